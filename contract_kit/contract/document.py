"""Documented document + overlays -> the effective OpenAPI document of a profile.

Profiles:

- ``documented`` = the vendor's document + ``repairs.yaml`` (only what makes it
  valid OpenAPI 3.0; no behaviour changes);
- ``observed`` = ``documented`` + ``observed.yaml`` (what the live API does
  beyond the document, each action with its evidence). This is the default.

The spec path is configurable. Overlays are looked up beside the document
(``repairs.yaml``, ``observed.yaml``). A document without its own overlays
gets the bundled ones, applied leniently, only when it is the same vendor's
(its first server is the bundled document's host): another model's page picks
up the same repairs and observations, while another vendor's document is never
given this vendor's error bodies or security scheme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, Draft202012Validator
from openapi_spec_validator.schemas import schema_v30, schema_v31
from openapi_spec_validator.validation import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.versions.shortcuts import get_spec_version

from contract_kit import _resources
from contract_kit._files import parse_text
from contract_kit.contract.oas30 import resolve_pointer
from contract_kit.contract.overlay import action_matches, apply_overlay, load_overlay
from contract_kit.defaults import DEFAULT_PROFILE, PROFILES
from contract_kit.errors import OperationNotFoundError, ProfileError, SpecError
from contract_kit.validation import json_path

__all__ = ["DEFAULT_PROFILE", "PROFILES", "EffectiveDocument", "OverlayRef", "SpecFiles", "spec_files"]

SPEC_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class OverlayRef:
    """An overlay file and whether an unmatched target is an error."""

    path: Path
    strict: bool = True


@dataclass(frozen=True)
class SpecFiles:
    """The files that make up the contract for every profile."""

    document: Path
    repairs: tuple[OverlayRef, ...] = ()
    observed: tuple[OverlayRef, ...] = ()
    extra: tuple[OverlayRef, ...] = ()

    def overlays_for(self, profile: str) -> tuple[OverlayRef, ...]:
        check_profile(profile)
        if profile == "documented":
            return self.repairs + self.extra
        return self.repairs + self.observed + self.extra


@dataclass
class EffectiveDocument:
    """The document of one profile, with a record of what each overlay did."""

    profile: str
    files: SpecFiles
    original: dict[str, Any]
    document: dict[str, Any]
    skipped_actions: list[str] = field(default_factory=list)


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ProfileError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return profile


def spec_files(spec: str | Path | None = None, overlays: Iterable[str | Path] = ()) -> SpecFiles:
    """Resolve a spec path (file or folder, or None for the bundled default) to its files."""
    document = _resolve_document(spec)
    same_vendor = _same_vendor(document)
    repairs = _sibling_or_bundled(document, _resources.REPAIRS_NAME, same_vendor)
    observed = _sibling_or_bundled(document, _resources.OBSERVED_NAME, same_vendor)
    extra = tuple(OverlayRef(Path(p)) for p in overlays)
    return SpecFiles(document=document, repairs=repairs, observed=observed, extra=extra)


def _resolve_document(spec: str | Path | None) -> Path:
    if spec is None or str(spec) == "":
        return _resources.default_document()
    path = Path(spec).expanduser()
    if path.is_dir():
        return _document_in_folder(path)
    if not path.is_file():
        raise SpecError(
            "spec file not found; pass --contract-spec with the path of an OpenAPI JSON or YAML file",
            source=str(path),
        )
    return path


def _document_in_folder(folder: Path) -> Path:
    overlay_names = {_resources.REPAIRS_NAME, _resources.OBSERVED_NAME}
    candidates = sorted(
        p for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES and p.name not in overlay_names
    )
    documents = [p for p in candidates if _looks_like_openapi(p)]
    if len(documents) != 1:
        found = ", ".join(p.name for p in documents) or "none"
        raise SpecError(
            f"expected exactly one OpenAPI document in the folder, found: {found}; pass the file itself",
            source=str(folder),
        )
    return documents[0]


def _looks_like_openapi(path: Path) -> bool:
    try:
        data = read_document(path)
    except SpecError:
        return False
    return isinstance(data, dict) and "openapi" in data


def _sibling_or_bundled(document: Path, name: str, same_vendor: bool) -> tuple[OverlayRef, ...]:
    sibling = document.parent / name
    if sibling.is_file():
        return (OverlayRef(sibling, strict=True),)
    bundled = _resources.openapi_dir() / name
    if same_vendor and bundled.is_file():
        return (OverlayRef(bundled, strict=document.resolve() == _resources.default_document().resolve()),)
    return ()


def _same_vendor(document: Path) -> bool:
    """True when the document's first server is the bundled document's host."""
    if document.resolve() == _resources.default_document().resolve():
        return True
    return _server_host(document, document.stat().st_mtime) == _server_host(
        _resources.default_document(), 0.0
    )


@lru_cache(maxsize=64)
def _server_host(document: Path, mtime: float) -> str | None:
    """The first server's host; cached per file version, since every ``load_contract`` call asks."""

    try:
        data = read_document(document)
    except SpecError:
        return None
    servers = data.get("servers") if isinstance(data, dict) else None
    if not servers or not isinstance(servers[0], dict):
        return None
    return urlsplit(str(servers[0].get("url", ""))).hostname


def read_document(path: Path) -> Any:
    """Parse a JSON or YAML file; a syntax error names the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"the file is not UTF-8 ({exc.reason})", source=str(path)) from None
    return stringify_keys(parse_text(text, str(path)))


def stringify_keys(value: Any) -> Any:
    """YAML reads ``200:`` as an int; OpenAPI keys (status codes) are strings."""
    if isinstance(value, dict):
        return {
            str(k) if isinstance(k, (int, float, bool)) else k: stringify_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [stringify_keys(v) for v in value]
    return value


def effective_document(files: SpecFiles, profile: str) -> EffectiveDocument:
    """Apply the profile's overlays, in order, to a copy of the document."""

    original = read_document(files.document)
    if not isinstance(original, dict):
        raise SpecError(
            "an OpenAPI document must be a JSON object at the top level", source=str(files.document)
        )
    document = original
    skipped: list[str] = []
    for ref in files.overlays_for(profile):
        overlay = load_overlay(ref.path)
        if ref.strict:
            document = apply_overlay(document, overlay)
        else:
            document = _apply_leniently(document, overlay, skipped)
    return EffectiveDocument(profile, files, original, document, skipped)


def _apply_leniently(document: dict[str, Any], overlay: Any, skipped: list[str]) -> dict[str, Any]:
    """Apply action by action, noting each one whose target is absent at its turn."""

    for action in overlay.actions:
        if action_matches(document, action):
            document = apply_overlay(document, replace(overlay, actions=(action,)))
        else:
            skipped.append(f"{Path(overlay.source).name} action #{action.index}: {action.target}")
    return document


@dataclass(frozen=True)
class SpecProblem:
    """One reason the document is not valid OpenAPI, compressed to its leaf cause."""

    path: str
    message: str


def validity_problems(document: dict[str, Any]) -> list[SpecProblem]:
    """OpenAPI validity errors, each compressed to a readable leaf cause.

    openapi-spec-validator (the openapi-core family) gives the verdict, but it
    reports a ``oneOf`` failure with the whole offending object as its message
    and no sub-errors. For those we re-check the node against the same OAS
    meta-schema with ``jsonschema`` and descend into the branch that was meant
    (a node without ``$ref`` is not a Reference Object).
    """

    try:
        version = get_spec_version(document)
    except Exception:
        return [
            SpecProblem(
                "$.openapi", "not an OpenAPI 3.x document: the 'openapi' version field is missing or unknown"
            )
        ]
    loops = ref_loops(document)
    if loops:  # the validator would follow them until Python's recursion limit
        return loops
    minor = str(getattr(version, "minor", "0"))
    leaves = {problem.path: problem for problem in _meta_schema_problems(document, minor)}
    problems: list[SpecProblem] = []
    try:
        for error in _validator_class(minor)(document).iter_errors():
            path = _document_path(document, list(error.absolute_path))
            problem = leaves.get(path) or SpecProblem(path, _clip(str(error.message)))
            if problem not in problems:
                problems.append(problem)
    except RecursionError:
        problems.append(SpecProblem("$", "the document nests or refers too deeply to be checked"))
    return problems


def ref_loops(document: Any) -> list[SpecProblem]:
    """Every ``$ref`` that only leads to other ``$ref``s and back to itself, with its place.

    A schema that refers to itself *inside* a property is fine (recursion);
    ``A: {$ref: B}``, ``B: {$ref: A}`` names nothing at all.
    """
    problems: list[SpecProblem] = []
    reported: set[str] = set()
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                chain = _ref_chain(document, ref)
                if chain is not None and chain[-1] not in reported:
                    reported.update(chain)
                    problems.append(
                        SpecProblem(
                            json_path(where),
                            f"a $ref loop: {' -> '.join(chain)}; make one of them a schema",
                        )
                    )
            stack.extend((value, [*where, str(key)]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*where, index]) for index, value in enumerate(node))
    return problems


def _ref_chain(document: Any, ref: str, limit: int = 64) -> list[str] | None:
    """The chain of references from ``ref`` when it loops, else ``None``."""
    chain = [ref]
    while len(chain) <= limit:
        try:
            target = resolve_pointer(document, chain[-1])
        except SpecError:
            return None
        nxt = target.get("$ref") if isinstance(target, dict) else None
        if not isinstance(nxt, str) or not nxt.startswith("#"):
            return None
        if nxt in chain:
            return [*chain[chain.index(nxt) :], nxt]
        chain.append(nxt)
    return None


def _meta_schema_problems(document: dict[str, Any], minor: str) -> list[SpecProblem]:

    schema = dict(schema_v31 if minor == "1" else schema_v30)
    validator = (Draft202012Validator if minor == "1" else Draft4Validator)(schema)
    problems = []
    for error in validator.iter_errors(document):
        leaf = _intended_leaf(error)
        path = _document_path(document, list(error.absolute_path))
        problems.append(SpecProblem(path, _clip(str(leaf.message))))
    return problems


def _intended_leaf(error: Any) -> Any:
    while error.context and error.validator in ("oneOf", "anyOf"):
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [errs for errs in branches.values() if not _only_missing_ref(errs)]
        if len(meant) != 1:
            return error
        error = meant[0][0]
    return error


def _only_missing_ref(errors: list[Any]) -> bool:
    return all(e.validator == "required" and "'$ref'" in str(e.message) for e in errors)


def _document_path(document: Any, parts: list[Any]) -> str:
    """Render a validator path, keeping keys as keys (the validator turns '200' into 200)."""

    rendered: list[str | int] = []
    node = document
    for part in parts:
        if isinstance(node, list) and isinstance(part, int):
            rendered.append(part)
            node = node[part] if part < len(node) else None
        else:
            key = str(part)
            rendered.append(key)
            node = node.get(key) if isinstance(node, dict) else None
    return json_path(rendered)


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _validator_class(minor: str) -> Any:

    return OpenAPIV31SpecValidator if minor == "1" else OpenAPIV30SpecValidator


def ensure_valid(effective: EffectiveDocument) -> None:
    """Refuse to build a contract on an invalid document, naming each problem."""
    problems = validity_problems(effective.document)
    if problems:
        listing = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
        raise SpecError(
            f"the {effective.profile!r} document is not valid OpenAPI ({listing}); "
            "add an overlay action that repairs it (see `contract-kit lint`)",
            source=str(effective.files.document),
        )


def deref(document: Any, node: Any, *, limit: int = 32) -> Any:
    """Resolve a chain of ``$ref`` objects (response, request body, media type level)."""

    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(document, node["$ref"])
        seen += 1
        if seen > limit:
            raise SpecError("reference cycle while resolving a response or request body")
    return node


def operation_path(document: dict[str, Any], wanted: str | None = None) -> str:
    """The chat-completions path: the one asked for, else the POST path ending in /chat/completions."""

    paths = document.get("paths") or {}
    if wanted is not None:
        if "post" in (paths.get(wanted) or {}):
            return wanted
        raise OperationNotFoundError(f"the document has no POST {wanted}")
    matches = [
        p
        for p, item in paths.items()
        if p.rstrip("/").endswith("/chat/completions") and "post" in (item or {})
    ]
    if not matches:
        known = ", ".join(sorted(paths)) or "none"
        raise OperationNotFoundError(
            f"no POST .../chat/completions operation in the document (paths: {known}); "
            "this kit tests OpenAI-compatible chat-completions documents"
        )
    return str(sorted(matches, key=len)[0])


def server_path_prefix(document: dict[str, Any]) -> str:
    """The path part of the first server URL (``https://host/v1`` -> ``/v1``)."""

    servers: Sequence[Any] = document.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
