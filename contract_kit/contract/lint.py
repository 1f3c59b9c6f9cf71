"""``contract-kit lint``: what is wrong with the documented document, and what repairs it.

Three families of findings:

- **validity**: the document as published is not valid OpenAPI; each problem
  names the overlay action that repairs it;
- **examples**: the page's own samples checked against the contract (the
  Python sample sends a message without ``role``);
- **smells**: schema choices that hurt LLM clients (non-nullable streaming
  ``finish_reason``, non-nullable ``content``, no error responses, no security
  scheme), each marked as addressed when the chosen profile's overlays fix it.

Exit codes: 0 nothing to report, 1 findings (errors or warnings), 2 the spec
or an overlay could not be loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from contract_kit import _resources
from contract_kit._json import pointer
from contract_kit.contract.document import effective_document, spec_files
from contract_kit.contract.effective import Contract
from contract_kit.contract.jsonpath import compile_path
from contract_kit.contract.loading import build_contract, load_contract
from contract_kit.contract.overlay import load_overlay
from contract_kit.contract.validity import SpecProblem, validity_problems
from contract_kit.errors import OperationNotFoundError, SpecError

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class LintFinding:
    family: str  # validity | examples | smells
    code: str
    severity: str  # error | warning | info
    location: str
    message: str
    resolution: str | None = None

    @property
    def resolved(self) -> bool:
        return self.resolution is not None


@dataclass
class LintReport:
    document: str
    profile: str
    examples: str | None
    findings: list[LintFinding]

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity in ("error", "warning") for f in self.findings) else 0

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITY_ORDER}
        return {
            "document": self.document,
            "profile": self.profile,
            "examples": self.examples,
            "findings": [asdict(f) | {"resolved": f.resolved} for f in self.findings],
            "summary": counts | {"resolved": sum(f.resolved for f in self.findings)},
            "exit_code": self.exit_code,
        }


def lint(
    spec: str | Path | None = None,
    profile: str = "observed",
    examples: str | Path | None = None,
    *,
    overlays: Iterable[str | Path] = (),
    whole: bool = True,
) -> LintReport:
    """Lint the document; ``whole=False`` checks only what the chat-completions operation reaches."""
    contract = _contract_for_lint(profile, spec, tuple(overlays))
    findings = validity_findings(contract, whole=whole)
    examples_dir = _examples_dir(contract.files.document, examples)
    if examples_dir is not None:
        findings += example_findings(contract, examples_dir)
    findings += smell_findings(contract)
    return LintReport(
        str(contract.files.document), profile, str(examples_dir) if examples_dir else None, findings
    )


def _contract_for_lint(profile: str, spec: str | Path | None, overlays: tuple[str | Path, ...]) -> Contract:
    """The profile's contract, built even when the document is invalid OpenAPI.

    ``load_contract`` refuses an invalid document and points the user here, so
    lint must not refuse it too: it reports the validity problems as findings.
    Unreadable files and broken overlays still raise (exit code 2).
    """
    try:
        return load_contract(profile, spec, overlays=overlays)
    except OperationNotFoundError:
        raise
    except SpecError:
        return build_contract(effective_document(spec_files(spec, overlays), profile), validate_spec=False)


# -- validity ------------------------------------------------------------------
def validity_findings(contract: Contract, *, whole: bool = True) -> list[LintFinding]:
    """Problems of the published document, each with the repair action that fixes it.

    In the chat-completions operation's scope they are errors; elsewhere in the
    document, warnings (``whole=False`` skips those, which is much faster on a
    large document). Locations are document-absolute JSON pointers, sorted.
    """
    repaired = effective_document(contract.files, "documented").document
    still_broken = {(p.path, p.message) for p in validity_problems(repaired, whole=whole)}
    findings = []
    for problem in validity_problems(contract.original, whole=whole):
        fixed = (problem.path, problem.message) not in still_broken
        findings.append(
            LintFinding(
                "validity",
                "openapi-invalid" if problem.severity == "error" else "openapi-invalid-elsewhere",
                problem.severity,
                problem.path,
                problem.message,
                _repair_for(contract, problem) if fixed else None,
            )
        )
    return findings


def _repair_for(contract: Contract, problem: SpecProblem) -> str:

    for ref in contract.files.repairs:
        overlay = load_overlay(ref.path)
        for action in overlay.actions:
            for match in compile_path(action.target).find(contract.original):
                if _within(problem.path, "#" + pointer(match.path)):
                    return f"repaired by {ref.path.name} action #{action.index} ({action.target})"
    return "repaired by the repairs overlay"


def _within(path: str, prefix: str) -> bool:
    """``#/a/post`` contains ``#/a/post/x``, not ``#/a/posted``."""
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] == "/")


# -- examples ------------------------------------------------------------------
def _examples_dir(document: Path, examples: str | Path | None) -> Path | None:
    """``--examples``; else the bundled examples for the bundled document; else ``examples/`` beside it."""
    if examples is not None:
        folder = Path(examples)
        if not folder.is_dir():
            raise SpecError(
                "examples folder not found; pass --examples with a folder of the page's "
                "*request*.json and *response*.json files",
                source=str(folder),
            )
        return folder
    if document.resolve() == _resources.default_document().resolve():
        return _resources.examples_dir()
    sibling = document.resolve().parent / "examples"
    return sibling if sibling.is_dir() else None


def example_findings(contract: Contract, folder: Path) -> list[LintFinding]:
    """Check ``*request*.json`` files as requests and ``*response*.json`` as responses."""
    findings = []
    for path in sorted(folder.glob("*.json")):
        if "request" not in path.stem and "response" not in path.stem:
            continue
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            findings.append(
                LintFinding(
                    "examples",
                    "example-invalid-json",
                    "error",
                    f"{path.name} line {exc.lineno}, column {exc.colno}",
                    f"the example is not valid JSON: {exc.msg}",
                )
            )
            continue
        except UnicodeDecodeError as exc:
            findings.append(
                LintFinding(
                    "examples",
                    "example-invalid-json",
                    "error",
                    path.name,
                    f"the example is not UTF-8 ({exc.reason})",
                )
            )
            continue
        if "request" in path.stem:
            violations = contract.validate_request(body)
        else:
            violations = contract.validate_response(body)
        for v in violations:
            severity = "error" if v.severity == "error" else "info"
            findings.append(
                LintFinding(
                    "examples",
                    f"example-{v.kind}",
                    severity,
                    f"{path.name} {v.path}",
                    f"{v.message} (rule: {v.rule})",
                )
            )
    return findings


# -- smells ----------------------------------------------------------------------
@dataclass(frozen=True)
class Smell:
    code: str
    message: str
    present: Callable[[Contract], bool]


def _sub(schema: Any, *keys: str) -> Any:
    """The subschema at ``keys``, through ``#/$defs/`` references, standalone (it keeps the root's ``$defs``).

    Documents built on ``$ref`` (``#/components/schemas/...``, converted to
    ``#/$defs/...``) must be smelled like inline ones.
    """
    root = schema
    for key in keys:
        schema = _deref(root, schema)
        if not isinstance(schema, dict):
            return None
        schema = schema.get(key)
    defs = root.get("$defs") if isinstance(root, dict) else None
    return {**schema, "$defs": defs} if isinstance(schema, dict) and defs else schema


def _deref(root: Any, schema: Any) -> Any:
    for _ in range(32):  # a bound, for reference cycles
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/$defs/") and isinstance(root, dict)):
            return schema
        schema = (root.get("$defs") or {}).get(ref[len("#/$defs/") :])
    return schema


def _accepts_null(schema: Any) -> bool:

    if schema is None:
        return True
    return bool(jsonschema_rs.validator_for(schema).is_valid(None))


def _chunk_finish_not_nullable(c: Contract) -> bool:
    schema = _sub(c.chunk_schema, "properties", "choices", "items", "properties", "finish_reason")
    return schema is not None and not _accepts_null(schema)


def _content_not_nullable(c: Contract) -> bool:
    schema = _sub(
        c.response_schema(200),
        "properties",
        "choices",
        "items",
        "properties",
        "message",
        "properties",
        "content",
    )
    return schema is not None and not _accepts_null(schema)


def _no_error_responses(c: Contract) -> bool:
    return not any(not status.startswith("2") for status in c.responses)


def _no_security(c: Contract) -> bool:
    return not (c.document.get("security") or (c.document.get("components") or {}).get("securitySchemes"))


SMELLS = (
    Smell(
        "chunk-finish-reason-not-nullable",
        "streaming chunks' choices[].finish_reason is not nullable, yet every OpenAI-compatible stream "
        "sends null until the final chunk",
        _chunk_finish_not_nullable,
    ),
    Smell(
        "message-content-not-nullable",
        "choices[].message.content is not nullable, although tool-call responses carry content: null",
        _content_not_nullable,
    ),
    Smell(
        "no-error-responses",
        "only a 200 response is documented: no 4xx/5xx error responses or error body schema",
        _no_error_responses,
    ),
    Smell(
        "no-security-scheme",
        "no security scheme is declared, although the API needs an 'Authorization: Bearer' key",
        _no_security,
    ),
)


def smell_findings(contract: Contract) -> list[LintFinding]:
    """Smells of the documented document; resolved when the chosen profile fixes them."""
    documented = contract if contract.profile == "documented" else _documented_twin(contract)
    findings = []
    for smell in SMELLS:
        if not smell.present(documented):
            continue
        fixed = contract.profile != "documented" and not smell.present(contract)
        resolution = f"addressed in the {contract.profile!r} profile by its overlays" if fixed else None
        findings.append(
            LintFinding(
                "smells", smell.code, "warning", _operation_pointer(contract), smell.message, resolution
            )
        )
    return findings


def _operation_pointer(contract: Contract) -> str:
    return "#" + pointer(("paths", contract.path, "post"))


def _documented_twin(contract: Contract) -> Contract:
    return build_contract(
        effective_document(contract.files, "documented"), operation=contract.path, validate_spec=False
    )


# -- rendering -------------------------------------------------------------------
FAMILY_TITLES = {"validity": "OpenAPI validity", "examples": "The page's examples", "smells": "Schema smells"}


def render_text(report: LintReport) -> str:
    lines = [f"contract-kit lint: {report.document} (profile: {report.profile})"]
    for family, title in FAMILY_TITLES.items():
        items = [f for f in report.findings if f.family == family]
        lines.append("")
        lines.append(f"{title}: {len(items) or 'no'} finding{'s' if len(items) != 1 else ''}")
        for f in sorted(items, key=lambda f: (SEVERITY_ORDER[f.severity], f.location, f.message)):
            lines.append(f"  {f.severity:<8}{f.location}: {f.message}")
            if f.resolution:
                lines.append(f"  {'':<8}-> {f.resolution}")
    summary = report.to_dict()["summary"]
    lines.append("")
    lines.append(
        f"{summary['error']} error(s), {summary['warning']} warning(s), {summary['info']} info; "
        f"{summary['resolved']} resolved by overlays. Exit {report.exit_code}."
    )
    return "\n".join(lines)
