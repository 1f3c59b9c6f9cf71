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

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contract_kit import _json, _resources
from contract_kit._files import parse_text
from contract_kit._json import resolve_pointer
from contract_kit.contract.overlay import action_matches, apply_overlay, load_overlay
from contract_kit.defaults import DEFAULT_PROFILE, PROFILES
from contract_kit.errors import OperationNotFoundError, ProfileError, SpecError

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "EffectiveDocument",
    "OverlayRef",
    "SpecFiles",
    "documents_in_folder",
    "spec_files",
]

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
    documents = documents_in_folder(folder)
    if len(documents) != 1:
        found = ", ".join(p.name for p in documents) or "none"
        raise SpecError(
            f"expected exactly one OpenAPI document in the folder, found: {found}; pass the file itself, "
            "or load every document of the folder with load_contracts() (the CLI's --spec and the "
            "plugin's --contract-spec do)",
            source=str(folder),
        )
    return documents[0]


def documents_in_folder(folder: Path) -> list[Path]:
    """Every OpenAPI document of a folder, by name; overlays and other JSON/YAML files are not documents."""
    overlay_names = {_resources.REPAIRS_NAME, _resources.OBSERVED_NAME}
    candidates = sorted(
        p for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES and p.name not in overlay_names
    )
    return [p for p in candidates if _looks_like_openapi(p)]


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
    """Parse a JSON or YAML file; a syntax error names the file, line and column.

    A published document can be 3 MB of YAML (seconds to parse), and lint, the
    contract and the folder scan each read it: the parse is cached per file
    version as compact JSON, and every caller gets its own fresh copy.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", source=str(path)) from None
    cached = _parsed(path, stat.st_mtime_ns, stat.st_size)
    return _json.loads(cached) if isinstance(cached, bytes) else copy.deepcopy(cached)


@lru_cache(maxsize=16)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    """The parsed document as JSON bytes (cheap to copy), or as is when JSON cannot carry it (huge ints)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"the file is not UTF-8 ({exc.reason})", source=str(path)) from None
    parsed = stringify_keys(parse_text(text, str(path)))
    try:
        return _json.dumps(parsed)
    except TypeError:
        return parsed


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
