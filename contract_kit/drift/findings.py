"""Drift: what the live API does that the contract does not say, as deduplicated findings.

Every response (the JSON body, every chunk of a stream, the stream's
invariants, the semantic rules, the status code and the content type) is
validated twice: against the **documented** profile (the vendor's document
plus repairs) and against the **observed** profile (plus ``observed.yaml``).

- A finding the observed profile does not raise is **known**: the
  ``observed`` overlay already describes it (``known: true``).
- Everything the observed profile still rejects is **new** drift.

Kinds and severities (the mapping is a decision, written down here):

======================  ==========  ============================================================
kind                    severity    meaning
======================  ==========  ============================================================
undocumented-field      additive    a field the schema does not declare (clients ignore it)
missing-required        breaking    a required field is absent
type-mismatch           breaking    wrong JSON type, or another value constraint (``rule`` says which)
enum-mismatch           breaking    a value outside the enum
nullability             breaking    ``null`` where the schema does not allow it
undocumented-status     breaking    for 1xx-3xx (a client would read it as success)
undocumented-status     additive    for 4xx/5xx (an error the document forgot; clients handle errors)
content-type            breaking    a media type the status does not document, or a non-JSON JSON body
stream-framing          breaking    SSE framing: no ``[DONE]``, data after it, an unterminated event, bad JSON
stream-invariant        breaking    id/model/created changing, finish_reason rules, the usage chunk
semantic                breaking    token arithmetic, tool calls vs finish_reason, an empty message
live-fault              info        the live API failed after retries (5xx, 429, timeout, cut)
status-mismatch         breaking    a probe got another status than documented for its request class
missing-header          additive    a documented header is absent (``Retry-After`` on 429)
======================  ==========  ============================================================

The error-answer rules (``status-mismatch``, error bodies, ``Retry-After``)
are :data:`contract_kit.drift.hypotheses.SEVERITY_RULES`.

``where`` is ``json`` (a JSON body), ``chunk`` (one stream chunk), ``stream``
(across chunks, or framing) or ``status`` (status code, content type, faults).
Paths are normalized (``$.choices[*].delta``) so one finding stands for every
index. ``document`` is the file name of the document a finding was checked
against (several documents: each response by its model's). A finding is counted once per response (``count`` of ``responses``) and
keeps a few truncated ``samples``; the collector keeps at most
``max_findings``, so a report stays small however long the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_kit.contract import load_contracts, media_type
from contract_kit.drift.infer import infer_schema, observe, to_schema
from contract_kit.validation import Violation, normalize, truncate

if TYPE_CHECKING:
    from contract_kit.cassettes import Interaction
    from contract_kit.contract import Contract

KINDS = (
    "undocumented-field",
    "missing-required",
    "type-mismatch",
    "enum-mismatch",
    "nullability",
    "undocumented-status",
    "content-type",
    "stream-framing",
    "stream-invariant",
    "semantic",
    "live-fault",
    "status-mismatch",
    "missing-header",
)
SEVERITIES = ("breaking", "additive", "info")
REPORT_VERSION = 1
MAX_SAMPLES = 3
MAX_SOURCES = 5
MAX_FINDINGS = 200
REQUEST_EXCERPT = 600  # characters of the request kept as a finding's evidence


@dataclass
class Finding:
    kind: str
    severity: str
    path: str
    where: str
    expected: Any = None
    observed: Any = None
    known: bool = False
    message: str = ""
    rules: list[str] = field(default_factory=list)
    count: int = 1
    samples: list[Any] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    hint: Any = None
    status: str = "200"
    shape: Any = None  # every value seen at the path (drift.infer), so proposals use all samples
    baseline: str = ""  # the reason of the baseline entry that accepted it
    request: Any = None  # an excerpt of the first request that showed it (evidence)
    document: str = ""  # the file name of the document it was checked against

    @property
    def answer(self) -> str:
        """The kind of answer it was seen in: ``json``, ``stream`` or ``error``."""
        if self.where in ("stream", "chunk"):
            return "stream"
        return "error" if self.status[:1] in ("4", "5") else "json"

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.kind, self.where, self.status, self.path, self.document

    @property
    def is_new_breaking(self) -> bool:
        return self.severity == "breaking" and not self.known

    def to_dict(self, responses: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "known": self.known,
            "path": self.path,
            "where": self.where,
            "status": self.status,
            "expected": truncate(self.expected),
            "observed": truncate(self.observed),
            "count": self.count,
            "samples": [truncate(s) for s in self.samples],
            "rules": sorted(self.rules),
            "message": self.message,
            "sources": list(self.sources),
        }
        if responses is not None:
            data["seen"] = f"{self.count} of {responses} responses"
        if self.hint is not None:
            data["hint"] = self.hint
        if self.shape is not None:
            data["shape"] = self.shape
        if self.baseline:
            data["baseline"] = self.baseline
        if self.request is not None:
            data["request"] = self.request
        if self.document:
            data["document"] = self.document
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        names = (
            "kind",
            "severity",
            "path",
            "where",
            "expected",
            "observed",
            "known",
            "message",
            "rules",
            "count",
            "samples",
            "sources",
            "hint",
            "status",
            "baseline",
            "request",
            "shape",
            "document",
        )
        return cls(**{name: data[name] for name in names if name in data})


# --- classification ---------------------------------------------------------------------------


def _where(violation: Violation) -> str:
    if violation.kind in ("status", "content-type"):
        return "status"
    if violation.where == "response":
        return "json"
    if violation.kind in ("stream", "framing") or violation.where == "stream":
        return "stream"
    return "chunk"


def classify(violation: Violation, status: int | str = 200) -> list[Finding]:
    """The drift finding(s) one violation stands for (a ``required`` error names every missing field)."""
    where, path = _where(violation), normalize(violation.path)

    def make(
        kind: str,
        severity: str,
        at: str = path,
        expected: Any = violation.expected,
        observed: Any = violation.observed,
    ) -> Finding:
        return Finding(
            kind,
            severity,
            at,
            where,
            expected,
            observed,
            message=violation.message,
            rules=[violation.rule],
            samples=[truncate(observed)],
            status=str(status),
        )

    kind, rule, observed = violation.kind, violation.rule, violation.observed
    if kind == "undocumented":
        return [_shaped(make("undocumented-field", "additive"), observed)]
    if kind == "status":
        success = str(observed)[:1] in ("1", "2", "3")
        return [make("undocumented-status", "breaking" if success else "additive", "$")]
    if kind == "content-type":
        return [make("content-type", "breaking", "$")]
    if kind == "framing":
        return [make("content-type" if where == "json" else "stream-framing", "breaking")]
    if kind == "stream":
        return [make("stream-invariant", "breaking")]
    if kind == "semantic":
        return [make("semantic", "breaking")]
    if rule == "required" and isinstance(observed, dict) and isinstance(violation.expected, list):
        missing = [name for name in violation.expected if isinstance(name, str) and name not in observed]
        prefix = path if path != "$" else "$"
        return [
            make("missing-required", "breaking", _child(prefix, name), "present", "absent")
            for name in missing
        ]
    if observed is None and rule in ("type", "enum", "const", "anyOf", "oneOf"):
        return [make("nullability", "breaking")]
    if rule in ("enum", "const"):
        finding = make("enum-mismatch", "breaking")
        finding.hint = [observed]
        return [finding]
    if rule in ("additionalProperties", "unevaluatedProperties"):
        return [make("undocumented-field", "breaking")]
    return [_shaped(make("type-mismatch", "breaking"), observed)]


def _shaped(finding: Finding, value: Any) -> Finding:
    finding.shape = observe(None, value)
    finding.hint = to_schema(finding.shape)
    return finding


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() else f"{path}[{json.dumps(name)}]"


# --- checking responses -----------------------------------------------------------------------


class DriftChecker:
    """Validate responses against both profiles and turn the differences into findings."""

    def __init__(
        self,
        documented: Contract,
        observed: Contract,
        *,
        by_model: Mapping[str, tuple[Contract, Contract]] | None = None,
    ) -> None:
        """``by_model``: with several documents, each model's (documented, observed) pair; a response
        whose request names none of them is checked against ``documented`` and ``observed``."""
        self.documented = documented
        self.observed = observed
        self.by_model = dict(by_model or {})

    @classmethod
    def for_spec(
        cls, spec: str | Path | Sequence[str | Path] | None = None, overlays: Iterable[str | Path] = ()
    ) -> DriftChecker:
        """A team's own overlays (accepted drift) join the observed side only, so what they describe is known.

        ``spec`` may name several documents (a folder, several paths): each response is then checked
        against the document of its request's model.
        """
        documented = load_contracts("documented", spec)
        observed = load_contracts("observed", spec, overlays=tuple(overlays))
        pairs = list(zip(documented, observed, strict=True))
        by_model = {model: pair for pair in pairs for model in pair[1].models} if len(pairs) > 1 else None
        return cls(pairs[0][0], pairs[0][1], by_model=by_model)

    def pair_for(self, request: Mapping[str, Any] | None) -> tuple[Contract, Contract]:
        """The (documented, observed) contracts of the request's model."""
        model = request.get("model") if request is not None else None
        found = self.by_model.get(model) if isinstance(model, str) else None
        return found if found is not None else (self.documented, self.observed)

    def applies_to(self, interaction: Interaction) -> bool:
        """Only the contract's operation is checked (a test may also call ``/models``, say)."""
        path = interaction.request.path.split("?", 1)[0].rstrip("/")
        tail = "/" + "/".join(self.observed.path.rstrip("/").split("/")[-2:])  # /chat/completions
        return path.endswith(tail)

    def check(self, interaction: Interaction) -> list[Finding]:
        """The findings of one response, one per key (so ``count`` counts responses)."""
        request = interaction.request.body if isinstance(interaction.request.body, dict) else None
        status = interaction.response.status
        documented_contract, observed_contract = self.pair_for(request)
        document = observed_contract.files.document.name
        observed = _dedupe(
            _named(f, document)
            for v in self.violations(observed_contract, interaction, request)
            for f in classify(v, status)
        )
        documented = _dedupe(
            _named(f, document)
            for v in self.violations(documented_contract, interaction, request)
            for f in classify(v, status)
        )
        out = dict(observed)
        for key, finding in documented.items():
            if key not in observed:
                finding.known = True
                out[key] = finding
        excerpt = (
            truncate(interaction.request.body, REQUEST_EXCERPT)
            if interaction.request.body is not None
            else None
        )
        for finding in out.values():
            finding.request = excerpt
            if finding.kind in ("undocumented-status", "content-type") and finding.where == "status":
                finding.hint = _body_hint(interaction)
        return list(out.values())

    @staticmethod
    def violations(
        contract: Contract, interaction: Interaction, request: Mapping[str, Any] | None
    ) -> list[Violation]:

        response = interaction.response
        mtype = media_type(response.content_type) or "application/json"
        if contract.response_check(response.status, mtype) is None:
            return contract.validate_response(None, response.status, mtype)
        if mtype == "text/event-stream":
            found = [v for v in contract.validate_stream(response.chunks(), request).violations]
            return [v for v in found if v.severity == "error" or v.kind == "undocumented"]
        if mtype == "application/json" or mtype.endswith("+json"):
            return contract.validate_response_bytes(
                response.body_bytes(), response.status, mtype, request=request
            )
        text = response.body_bytes().decode("utf-8", "replace")  # a documented non-JSON media type
        return contract.validate_response(text, response.status, mtype)


def _named(finding: Finding, document: str) -> Finding:
    finding.document = document
    return finding


def _body_hint(interaction: Interaction) -> dict[str, Any]:
    """What an undocumented response looked like: its media type and a schema inferred from its body."""

    response = interaction.response
    mtype = media_type(response.content_type) or "application/octet-stream"
    if response.is_stream or response.body is None:
        return {"media_type": mtype, "schema": {"type": "string"}}
    return {"media_type": mtype, "schema": infer_schema(response.body)}


def _dedupe(findings: Iterable[Finding]) -> dict[tuple[str, str, str, str, str], Finding]:
    out: dict[tuple[str, str, str, str, str], Finding] = {}
    for finding in findings:
        existing = out.get(finding.key)
        if existing is None:
            out[finding.key] = finding
        else:
            existing.rules = sorted(set(existing.rules) | set(finding.rules))
    return out


def fault_finding(fault: Mapping[str, Any]) -> Finding:
    detail = f"{fault.get('detail')} ({fault.get('attempts')} attempts)"
    return Finding(
        "live-fault",
        "info",
        "$",
        "status",
        "a complete response",
        detail,
        message=f"the live API failed: {detail}",
        rules=[str(fault.get("kind"))],
        samples=[detail],
        status=str(fault.get("status") or "-"),
    )
