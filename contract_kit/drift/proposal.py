"""Propose the spec patch for observed drift: an OpenAPI Overlay a maintainer reviews and copies.

No recorder proposes a patch for what it finds. This module turns every *new*
finding that a schema can express into Overlay 1.0 actions on the observed
profile's document, in the format of ``openapi/observed.yaml``, each with its
evidence in ``description`` (what was seen, how often, an example, which
tests). Applied after ``observed.yaml`` the overlay makes the contract accept
what was observed:

- ``undocumented-field``: declare the property with a schema inferred from every sample
  (:mod:`contract_kit.drift.infer`); each action carries ``x-contract-kit-samples`` (how many
  values) and ``x-contract-kit-examples``;
- ``missing-required``: drop the field from ``required`` (remove the list, put the rest back);
- ``nullability``: ``nullable: true`` (and ``null`` appended to an enum);
- ``enum-mismatch``: append the observed values to the enum;
- ``type-mismatch``: replace the schema with ``anyOf: [the old schema, the observed type]``;
- ``undocumented-status`` / ``content-type``: add the response / media type with an inferred schema.

Framing, stream invariants, semantics and live faults cannot be written as a
schema; they are listed under ``x-contract-kit-unaddressed`` for a human.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from contract_kit import _resources
from contract_kit._json import split_pointer
from contract_kit.contract import parse_overlay
from contract_kit.drift.findings import Finding
from contract_kit.drift.infer import examples
from contract_kit.drift.report import write_text
from contract_kit.redact import Redactor

if TYPE_CHECKING:
    from contract_kit.contract import Contract

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\*\]|\[(\"(?:[^\"\\]|\\.)*\")\]")
_SCHEMA_MEDIA = {"json": "application/json", "chunk": "text/event-stream"}


class _Unmappable(Exception):
    """The finding's path does not lead to a schema node the overlay can edit."""


def _member(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f".{name}"
    return "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _parts(path: str) -> list[str]:
    """``$.choices[*].delta["x-y"]`` -> ``["choices", "*", "delta", "x-y"]``."""
    parts, pos = [], 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None:
            raise _Unmappable(f"cannot read the path {path!r}")
        parts.append(match.group(1) or (json.loads(match.group(2)) if match.group(2) else "*"))
        pos = match.end()
    return parts


class _Walker:
    """Follow a payload path through the OpenAPI document's schemas, ``$ref`` included."""

    def __init__(self, contract: Contract) -> None:
        self.document = contract.document
        self.contract = contract
        self.operation = f"$.paths{_member(contract.path)}.post"

    def resolve(self, target: str, node: Any) -> tuple[str, Any]:
        for _ in range(16):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                break
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise _Unmappable(f"external $ref {ref!r}")
            node, target = self.document, "$"
            for part in split_pointer(ref):
                node, target = node[part], target + _member(part)
        return target, node

    def response(self, finding: Finding) -> tuple[str, str]:
        key = self.contract.status_key(finding.status)
        if key is None:
            raise _Unmappable(f"status {finding.status} is not documented")
        return f"{self.operation}.responses{_member(key)}", key

    def root(self, finding: Finding) -> tuple[str, Any]:
        media = _SCHEMA_MEDIA.get(finding.where)
        if media is None:
            raise _Unmappable(f"findings where={finding.where!r} have no schema")
        target, key = self.response(finding)
        response = self.document["paths"][self.contract.path]["post"]["responses"][key]
        target, response = self.resolve(target, response)
        schema = ((response.get("content") or {}).get(media) or {}).get("schema")
        if schema is None:
            raise _Unmappable(f"status {key} documents no {media} schema")
        return self.resolve(f"{target}.content{_member(media)}.schema", schema)

    def walk(self, finding: Finding, parts: list[str]) -> tuple[str, Any]:
        target, node = self.root(finding)
        for part in parts:
            target, node = self.step(target, node, part)
        return target, node

    def step(self, target: str, node: Any, part: str) -> tuple[str, Any]:
        target, node = self.resolve(target, node)
        if not isinstance(node, dict):
            raise _Unmappable(f"{target} is not a schema object")
        if part == "*":
            if isinstance(node.get("items"), dict):
                return self.resolve(f"{target}.items", node["items"])
            raise _Unmappable(f"{target} has no items schema")
        properties = node.get("properties")
        if isinstance(properties, dict) and part in properties:
            return self.resolve(f"{target}.properties{_member(part)}", properties[part])
        for keyword in ("allOf", "anyOf", "oneOf"):
            for index, branch in enumerate(node.get(keyword) or ()):
                try:
                    return self.step(f"{target}.{keyword}[{index}]", branch, part)
                except _Unmappable:
                    continue
        raise _Unmappable(f"{target} declares no property {part!r}")


def _evidence(finding: Finding, responses: int) -> str:
    sample = json.dumps(
        finding.samples[0] if finding.samples else finding.observed, ensure_ascii=False, default=str
    )
    sources = ", ".join(finding.sources) or "unknown"
    document = f" of {finding.document}" if finding.document else ""
    return (
        f"Proposed by contract-kit drift: {finding.kind} ({finding.severity}) at {finding.path}{document} "
        f"({finding.where}, status {finding.status}), seen in {finding.count} of {responses} live responses. "
        f"Expected: {json.dumps(finding.expected, ensure_ascii=False, default=str)[:200]}. "
        f"Observed, e.g.: {sample[:200]}. Evidence: {sources}. Review before accepting."
    )


class _Builder:
    def __init__(self, contract: Contract, responses: int) -> None:
        self.walker = _Walker(contract)
        self.responses = responses
        self.actions: list[dict[str, Any]] = []
        self.required_drops: dict[str, tuple[list[str], set[str], list[Finding]]] = {}

    def add(self, finding: Finding) -> None:
        method = getattr(self, "_" + finding.kind.replace("-", "_"), None)
        if method is None:
            raise _Unmappable(f"a {finding.kind} finding cannot be expressed in a schema")
        method(finding)

    def action(self, finding: Finding, target: str, update: Any = None, remove: bool = False) -> None:
        entry: dict[str, Any] = {"target": target, "description": _evidence(finding, self.responses)}
        shape = finding.shape if isinstance(finding.shape, dict) else {}
        entry["x-contract-kit-samples"] = int(shape.get("n", finding.count))
        entry["x-contract-kit-examples"] = examples(finding.samples)
        if remove:
            entry["remove"] = True
        else:
            entry["update"] = update
        self.actions.append(entry)

    def _undocumented_field(self, finding: Finding) -> None:
        *parent, name = _parts(finding.path)
        target, node = self.walker.walk(finding, parent)
        schema = finding.hint if isinstance(finding.hint, dict) else {}
        if isinstance(node.get("properties"), dict):
            self.action(finding, f"{target}.properties", {name: schema})
        else:
            self.action(finding, target, {"properties": {name: schema}})

    def _missing_required(self, finding: Finding) -> None:
        *parent, name = _parts(finding.path)
        target, node = self.walker.walk(finding, parent)
        required = node.get("required")
        if not isinstance(required, list) or name not in required:
            raise _Unmappable(f"{target} does not list {name!r} as required")
        entry = self.required_drops.setdefault(target, (list(required), set(), []))
        entry[1].add(name)
        entry[2].append(finding)

    def _nullability(self, finding: Finding) -> None:
        target, node = self.walker.walk(finding, _parts(finding.path))
        update: dict[str, Any] = {"nullable": True}
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            update["enum"] = [None]
        self.action(finding, target, update)

    def _enum_mismatch(self, finding: Finding) -> None:
        target, node = self.walker.walk(finding, _parts(finding.path))
        values = finding.hint if isinstance(finding.hint, list) else [finding.observed]
        self.action(finding, target, {"enum": [v for v in values if v not in (node.get("enum") or [])]})

    def _type_mismatch(self, finding: Finding) -> None:
        parts = _parts(finding.path)
        if not parts:
            raise _Unmappable("the whole body has another type")
        *parent, last = parts
        parent_target, parent_node = self.walker.walk(finding, parent)
        if last == "*":
            container, key, raw = parent_target, "items", parent_node.get("items")
        else:
            container, key = f"{parent_target}.properties", last
            raw = (parent_node.get("properties") or {}).get(last)
        if not isinstance(raw, dict):
            raise _Unmappable(f"{parent_target} does not declare {last!r} directly")
        _, node = self.walker.resolve(f"{container}{_member(key)}", raw)
        observed = finding.hint if isinstance(finding.hint, dict) else {}
        self.action(finding, f"{container}{_member(key)}", remove=True)
        self.action(
            finding,
            container if key != "items" else parent_target,
            {key: {"anyOf": [_plain(node), observed]}},
        )

    def _undocumented_status(self, finding: Finding) -> None:
        hint = finding.hint if isinstance(finding.hint, dict) else {}
        media = hint.get("media_type", "application/json")
        response = {
            "description": f"Observed live (status {finding.status}); not documented.",
            "content": {media: {"schema": hint.get("schema", {})}},
        }
        self.action(finding, f"{self.walker.operation}.responses", {str(finding.status): response})

    def _content_type(self, finding: Finding) -> None:
        hint = finding.hint if isinstance(finding.hint, dict) else {}
        media = hint.get("media_type", "application/octet-stream")
        target, _ = self.walker.response(finding)
        self.action(finding, f"{target}.content", {media: {"schema": hint.get("schema", {"type": "string"})}})

    def finish(self) -> None:
        for target, (required, missing, findings) in self.required_drops.items():
            self.action(findings[0], f"{target}.required", remove=True)
            remaining = [name for name in required if name not in missing]
            if remaining:
                self.action(findings[0], target, {"required": remaining})


def _plain(node: Any) -> Any:
    return json.loads(json.dumps(node))


def propose(findings: Iterable[Finding], contract: Contract, *, responses: int) -> dict[str, Any] | None:
    """An overlay (as a dict) for the new findings, or ``None`` when none can be expressed."""
    builder = _Builder(contract, responses)
    unaddressed = []
    for finding in findings:
        if finding.known:
            continue
        try:
            builder.add(finding)
        except _Unmappable as reason:
            unaddressed.append(
                {
                    "kind": finding.kind,
                    "path": finding.path,
                    "where": finding.where,
                    "status": finding.status,
                    "document": finding.document,
                    "why": str(reason),
                }
            )
    builder.finish()
    if not builder.actions:
        return None
    today = datetime.date.today().isoformat()
    overlay: dict[str, Any] = {
        "overlay": "1.0.0",
        "info": {"title": "contract-kit: proposed actions for observed drift", "version": today},
        "x-contract-kit": {
            "generated": today,
            "applies-after": _applies_after(contract),
            "accept-into": accept_into(contract),
            "review": "each action's description holds its evidence; append the ones you accept to accept-into",
        },
    }
    if unaddressed:
        overlay["x-contract-kit-unaddressed"] = unaddressed
    overlay["actions"] = builder.actions
    return overlay


def _applies_after(contract: Contract) -> str:
    overlays = contract.files.overlays_for(contract.profile)
    return str(overlays[-1].path) if overlays else str(contract.files.document)


def accept_into(contract: Contract) -> str:
    """Where accepted actions go: the team's last overlay, else an observed.yaml the user owns.

    Never the bundled ``observed.yaml`` of an installed kit: it sits in
    site-packages and the next upgrade would overwrite it.
    """
    if contract.files.extra:
        return str(contract.files.extra[-1].path)
    observed = contract.files.observed
    bundled = _resources.openapi_dir() / _resources.OBSERVED_NAME
    if observed and not (_resources.bundled_is_installed() and _same_file(observed[-1].path, bundled)):
        return str(observed[-1].path)
    return (
        "an overlay of your own (e.g. contract/overlay.yaml), applied with --contract-overlay PATH or "
        "ini contract_overlays (pytest), --contract-overlay PATH (every contract-kit command)"
    )


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def dump_overlay(overlay: dict[str, Any]) -> str:

    parse_overlay(json.loads(json.dumps(overlay)), "<proposed overlay>")  # what we write must load
    return yaml.safe_dump(overlay, sort_keys=False, allow_unicode=True, width=110)


def write_overlay(path: str | Path, overlay: dict[str, Any], redactor: Redactor | None = None) -> Path:
    return write_text(path, dump_overlay(overlay), redactor, what="proposed overlay")
