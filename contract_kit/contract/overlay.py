"""Apply OpenAPI Overlay 1.0 documents: repairs for a published spec kept beside it, not inside it.

Actions run in order on a deep copy, so the caller's document is never touched. A target
that matches nothing is an error by default: a repair that silently stops applying would
hide the very drift in the upstream document it was written for.

PyYAML reads unquoted keys such as ``200:`` as ints, while OpenAPI response codes are
strings, so int keys inside an action's ``update`` are turned into strings when parsing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract_kit._files import parse_text
from contract_kit.contract.jsonpath import Match, compile_path, find, member_key
from contract_kit.errors import OverlayError

_TOP_FIELDS = ("overlay", "info", "extends", "actions")
_ACTION_FIELDS = ("target", "description", "update", "remove")


@dataclass(frozen=True)
class Action:
    """One overlay action; ``index`` is its position in ``actions`` (0-based, as in ``actions[i]``)."""

    index: int
    target: str
    description: str
    update: Any
    remove: bool


@dataclass(frozen=True)
class Overlay:
    """A parsed overlay; ``source`` is its file (or ``<memory>``) so every error can name it."""

    title: str
    version: str
    actions: tuple[Action, ...]
    source: str = "<memory>"
    extends: str | None = None


# --- loading ----------------------------------------------------------------------------------


def load_overlay(path: str | Path) -> Overlay:
    """Read an overlay from YAML (or JSON) and validate it, naming file and line on failure."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverlayError(f"cannot read the overlay: {exc}", source=source) from None
    return parse_overlay(parse_text(text, source, OverlayError), source)


def parse_overlay(data: Any, source: str = "<memory>") -> Overlay:
    """Validate an already-parsed overlay document; every error names ``source`` and the field."""
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise OverlayError(
            f"an overlay must be a mapping with overlay, info and actions, got {kind}", source=source
        )
    _check_fields(data, _TOP_FIELDS, source, "the top level")
    _check_version(data.get("overlay"), source)
    title, version = _parse_info(data.get("info"), source)
    extends = data.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise OverlayError("'extends' must be a string (a URL or path)", source=source, location="extends")
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        raise OverlayError("'actions' must be a non-empty list", source=source, location="actions")
    parsed = tuple(_parse_action(item, index, source) for index, item in enumerate(actions))
    return Overlay(title, version, parsed, source, extends)


def _check_fields(data: dict[Any, Any], known: Sequence[str], source: str, where: str) -> None:
    """Reject unknown fields, so a typo (``remvoe``) or an unsupported 1.1 field is not ignored."""
    for key in data:
        if key not in known and not str(key).startswith("x-"):
            allowed = ", ".join(known)
            raise OverlayError(
                f"unknown field {key!r}; expected one of {allowed} (or an x- extension)",
                source=source,
                location=where,
            )


def _check_version(value: Any, source: str) -> None:
    if not isinstance(value, str):
        hint = ' (quote it: overlay: "1.0.0")' if value is not None else ""
        raise OverlayError(
            f"'overlay' must be a version string like '1.0.0'{hint}", source=source, location="overlay"
        )
    if not value.startswith("1."):
        raise OverlayError(
            f"unsupported overlay version {value!r}; expected 1.x", source=source, location="overlay"
        )


def _parse_info(info: Any, source: str) -> tuple[str, str]:
    if not isinstance(info, dict):
        raise OverlayError("'info' must be a mapping with title and version", source=source, location="info")
    for field in ("title", "version"):
        if not isinstance(info.get(field), str):
            raise OverlayError(
                f"'info.{field}' must be a string (quote numbers such as \"1.0\")",
                source=source,
                location=f"info.{field}",
            )
    return info["title"], info["version"]


def _parse_action(item: Any, index: int, source: str) -> Action:
    where = f"actions[{index}]"
    if not isinstance(item, dict):
        raise OverlayError(
            f"an action must be a mapping, got {type(item).__name__}", source=source, location=where
        )
    _check_fields(item, _ACTION_FIELDS, source, where)
    target, description, remove = item.get("target"), item.get("description", ""), item.get("remove", False)
    if not isinstance(target, str) or not target:
        raise OverlayError("'target' must be a non-empty JSONPath string", source=source, location=where)
    try:
        compile_path(target)
    except OverlayError as exc:
        raise OverlayError(str(exc), source=source, location=f"{where}.target") from None
    if not isinstance(description, str):
        raise OverlayError("'description' must be a string", source=source, location=where)
    if not isinstance(remove, bool):
        raise OverlayError(f"'remove' must be true or false, got {remove!r}", source=source, location=where)
    if remove and "update" in item:
        raise OverlayError(
            "an action has either 'update' or 'remove: true', not both", source=source, location=where
        )
    if not remove and "update" not in item:
        raise OverlayError("an action needs 'update' or 'remove: true'", source=source, location=where)
    update = _string_keys(item.get("update"), source, f"{where}.update")
    return Action(index, target, description, update, remove)


def _string_keys(value: Any, source: str, where: str) -> Any:
    """Turn YAML int keys (``200:``) into strings, recursively, as OpenAPI expects."""
    if isinstance(value, list):
        return [_string_keys(item, source, where) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, item in value.items():
        name = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if name in out:
            raise OverlayError(f"key {name!r} appears twice (once unquoted)", source=source, location=where)
        out[name] = _string_keys(item, source, where)
    return out


# --- applying ---------------------------------------------------------------------------------


def apply_overlay(document: dict[str, Any], overlay: Overlay, *, strict: bool = True) -> dict[str, Any]:
    """Return a copy of ``document`` with every action applied; ``strict=False`` skips unmatched targets."""
    return apply_overlays(document, (overlay,), strict=strict)


def apply_overlays(
    document: dict[str, Any], overlays: Sequence[Overlay], *, strict: bool = True
) -> dict[str, Any]:
    """Apply several overlays in order to one deep copy of ``document``."""
    result = copy.deepcopy(document)
    for overlay in overlays:
        for action in overlay.actions:
            _apply_action(result, action, overlay.source, strict=strict)
    return result


def action_matches(document: Any, action: Action) -> list[Match]:
    """The distinct nodes an action touches, so lint can say which repair edits which location."""
    seen: set[tuple[str | int, ...]] = set()
    matches: list[Match] = []
    for match in find(action.target, document):
        if match.path not in seen:
            seen.add(match.path)
            matches.append(match)
    return matches


def _apply_action(document: dict[str, Any], action: Action, source: str, *, strict: bool) -> None:
    matches = action_matches(document, action)
    if not matches:
        if strict:
            raise _action_error(
                action,
                source,
                "matched nothing; the document changed or the target is wrong "
                "(strict=False skips such actions)",
            )
        return
    if action.remove:
        _remove(matches, action, source)
    else:
        _update(matches, action, source)


def _action_error(action: Action, source: str, problem: str) -> OverlayError:
    about = f" {action.description!r}" if action.description else ""
    message = f"action #{action.index}{about} (target {action.target!r}) {problem}"
    return OverlayError(message, source=source, location=f"actions[{action.index}]")


def _remove(matches: list[Match], action: Action, source: str) -> None:
    """Delete each match from its parent; list elements go from the highest index down."""
    if any(match.parent is None for match in matches):
        raise _action_error(action, source, "selects the document root, which cannot be removed")
    unique = list({(id(m.parent), m.key): m for m in matches}.values())
    in_dicts: list[tuple[Any, Any]] = [(m.parent, m.key) for m in unique if isinstance(m.parent, dict)]
    in_lists = sorted(((m.parent, m.key) for m in unique if isinstance(m.parent, list)), key=_list_index)
    for parent, key in [*in_dicts, *reversed(in_lists)]:
        del parent[key]


def _list_index(item: tuple[Any, Any]) -> int:
    return int(item[1])


def _update(matches: list[Match], action: Action, source: str) -> None:
    """Merge into objects, append to arrays; anything else is an error naming the node."""
    done: set[int] = set()
    for match in matches:
        node = match.value
        if id(node) in done:  # a YAML alias can make two paths share one node
            continue
        done.add(id(node))
        if isinstance(node, dict) and isinstance(action.update, dict):
            _merge(node, action.update)
        elif isinstance(node, list):
            node.extend(copy.deepcopy(action.update if isinstance(action.update, list) else [action.update]))
        else:
            problem = f"cannot update {_kind(node)} at {match.location} with {_kind(action.update)}"
            raise _action_error(
                action, source, problem + "; an update merges into an object or appends to an array"
            )


def _merge(target: dict[Any, Any], update: dict[Any, Any]) -> None:
    """Overlay merge: objects merge recursively, arrays concatenate, anything else is replaced."""
    for name, value in update.items():
        key = member_key(target, name) if isinstance(name, str) else name
        if key is None or key not in target:
            target[name] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value)
        elif isinstance(target[key], list) and isinstance(value, list):
            target[key].extend(copy.deepcopy(value))
        else:
            target[key] = copy.deepcopy(value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"the scalar {value!r}" if not isinstance(value, str) or len(value) < 40 else "a string"
