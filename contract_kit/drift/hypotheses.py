"""Confirm or refute every hypothesis of ``observed.yaml``: the error probes and their verdicts.

``observed.yaml`` adds error responses the vendor's page leaves out (400,
401, 404, 413, 415, 429, 5XX), the OpenAI error body, and ``Retry-After`` on
429, on the evidence of a convention. ``drift --live`` probes each with one
small request (``max_tokens`` <= 16, the cost guard and the call budget
respected) that breaks exactly one thing:

==================  ==========  =====================================================
probe               expects     request
==================  ==========  =====================================================
missing-nested      400         a message without ``role``
wrong-type          400         ``max_tokens: "16"`` (a string)
out-of-range        400         ``temperature: 5`` (maximum 2)
outside-enum        400         ``response_format.type: "yaml"``
unknown-property    400         ``response_format`` with a property its schema forbids
unknown-model       404         a model that does not exist (400 is documented too)
wrong-key           401         ``Authorization: Bearer <a made-up key>``
no-key              401         no ``Authorization`` header
text-plain          415         a ``text/plain`` body
oversized           413         a body of ``--probe-large-bytes`` (only with ``--probe-large``)
==================  ==========  =====================================================

The built-in ``invalid`` probe (no ``messages``) expects 400 too. A 429 or
5xx met on the way (the client retries it) is checked like any answer. The
edges of ``drift.edges`` (``stop: {}``, which the document allows) are probed
here too, each expecting what the effective contract says.

Severity rules (what breaks a client decides; :data:`SEVERITY_RULES`):

=========================================================  ==========  ===================
what was seen                                              severity    kind
=========================================================  ==========  ===================
another status than the contract documents for the         breaking    status-mismatch
probe's class of request (422 where 400 is documented)
an error body without ``error.message``                    breaking    missing-required
a 429 without ``Retry-After``                              additive    missing-header
an undocumented 4xx/5xx on an ordinary request             additive    undocumented-status
an undocumented 1xx-3xx                                    breaking    undocumented-status
=========================================================  ==========  ===================

Each hypothesis ends **confirmed**, **refuted** (with what was seen
instead) or **not probed**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract_kit.cassettes import Cassette, Interaction, cassette_path, write_cassette
from contract_kit.drift.collector import answer_kind
from contract_kit.drift.error_probes import (
    BUILTIN_EXPECT,
    ERROR_MAX_TOKENS,
    WRONG_KEY,
    ErrorProbe,
    edge_probes,
    error_probes,
)
from contract_kit.drift.findings import Finding
from contract_kit.drift.live import LiveBudget, public_url
from contract_kit.drift.probes import LiveProbeSettings, live_client, send_probe
from contract_kit.drift.recording import RecordingHandler, max_tokens_guard
from contract_kit.mock import MockRequest
from contract_kit.mock.transports import parse_base_urls
from contract_kit.redact import Redactor, Secret

if TYPE_CHECKING:
    from contract_kit.drift.collector import DriftCollector
    from contract_kit.drift.findings import DriftChecker

CONFIRMED, REFUTED, NOT_PROBED = "confirmed", "refuted", "not probed"
RETRY_AFTER = "Retry-After"

SEVERITY_RULES: tuple[tuple[str, str, str], ...] = (
    ("another status than documented for the probe's class of request", "breaking", "status-mismatch"),
    ("an error body without error.message", "breaking", "missing-required"),
    ("a 429 without Retry-After", "additive", "missing-header"),
    ("an undocumented 4xx/5xx on an ordinary request", "additive", "undocumented-status"),
    ("an undocumented 1xx-3xx", "breaking", "undocumented-status"),
)
"""The one table of severity rules for error answers (the README repeats it)."""


@dataclass(frozen=True)
class Hypothesis:
    id: str
    statement: str
    status: str | None = None
    probe: str | None = None  # the one probe that decides it (an edge of drift.edges)


@dataclass
class Seen:
    probe: str
    status: int
    headers: dict[str, str]
    body: Any


def hypotheses_of(checker: DriftChecker) -> list[Hypothesis]:
    """Every error response observed.yaml adds to the documented contract, plus body shape and Retry-After."""
    documented = set(checker.documented.documented_statuses)
    responses = _responses(checker)
    out = []
    for status in checker.observed.documented_statuses:
        if status in documented or status[:1] not in ("4", "5"):
            continue
        description = str((responses.get(status) or {}).get("description", "")).strip()
        out.append(Hypothesis(f"status-{status}", f"{status}: {description}".rstrip(": "), status))
    if out:
        out.append(Hypothesis("error-body", 'error answers carry {"error": {"message": ...}}'))
    if RETRY_AFTER in ((responses.get("429") or {}).get("headers") or {}):
        out.append(Hypothesis("retry-after", "a 429 carries a Retry-After header"))
    for probe in edge_probes(checker):
        out.append(Hypothesis(probe.hypothesis, probe.states, probe=probe.name))
    return out


def _responses(checker: DriftChecker) -> dict[str, Any]:
    document = checker.observed.document
    operation = document["paths"][checker.observed.path]["post"]
    return {str(k): v for k, v in (operation.get("responses") or {}).items() if isinstance(v, dict)}


@dataclass
class HypothesisBook:
    """Sees every probe answer, grades error statuses, and gives each hypothesis its verdict."""

    checker: DriftChecker
    expect: dict[str, tuple[int, ...]] = field(default_factory=lambda: dict(BUILTIN_EXPECT))
    seen: list[Seen] = field(default_factory=list)

    def review(self, probe: str, interaction: Interaction, findings: list[Finding]) -> list[Finding]:
        """The findings of one answer, with the error rules of :data:`SEVERITY_RULES` applied."""
        response = interaction.response
        status = response.status
        self.seen.append(Seen(probe, status, dict(response.headers), response.body))
        expected = self.expect.get(probe)
        if expected and status not in expected:
            findings = [f for f in findings if f.kind != "undocumented-status"]
            findings.append(_status_mismatch(probe, status, expected))
        if status >= 400 and self.checker.observed.status_key(status) is None:
            findings.extend(_error_body_findings(probe, status, response.body))
        if status == 429 and not _has_retry_after(response.headers):
            findings.append(_missing_retry_after(probe))
        return findings

    def seen_probes(self) -> bool:
        """Whether any probe answer was seen (an offline re-check of a test's cassettes has none)."""
        return any(s.probe in self.expect for s in self.seen)

    def verdicts(self) -> list[dict[str, Any]]:
        return [self._verdict(h) for h in hypotheses_of(self.checker)]

    def _verdict(self, hypothesis: Hypothesis) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": hypothesis.id, "statement": hypothesis.statement}
        if hypothesis.status is not None:
            verdict, probes, seen = self._status_verdict(hypothesis.status)
        elif hypothesis.probe is not None:
            verdict, probes, seen = self._check_all(
                lambda s: s.probe == hypothesis.probe,
                lambda s: None if s.status in self.expect.get(s.probe, ()) else f"status {s.status}",
            )
        elif hypothesis.id == "error-body":
            verdict, probes, seen = self._check_all(lambda s: s.status >= 400, _error_message_problem)
        else:
            verdict, probes, seen = self._check_all(
                lambda s: s.status == 429,
                lambda s: None if _has_retry_after(s.headers) else "429 without Retry-After",
            )
        return {**entry, "verdict": verdict, "probes": probes, "seen_instead": seen}

    def _status_verdict(self, status: str) -> tuple[str, list[str], list[str]]:
        aimed = [s for s in self.seen if self.expect.get(s.probe, (0,))[0] == _int(status)]
        if aimed:
            wrong = [f"probe {s.probe}: {s.status}" for s in aimed if not _matches(s.status, status)]
            return (REFUTED if wrong else CONFIRMED), sorted({s.probe for s in aimed}), wrong
        met = sorted({s.probe for s in self.seen if _matches(s.status, status)})
        return (CONFIRMED, met, []) if met else (NOT_PROBED, [], [])

    def _check_all(self, applies: Any, problem: Any) -> tuple[str, list[str], list[str]]:
        relevant = [s for s in self.seen if applies(s)]
        if not relevant:
            return NOT_PROBED, [], []
        wrong = [f"probe {s.probe}: {p}" for s in relevant if (p := problem(s))]
        return (REFUTED if wrong else CONFIRMED), sorted({s.probe for s in relevant}), wrong


def _int(status: str) -> int:
    return int(status) if status.isdigit() else -1


def _matches(status: int, key: str) -> bool:
    return str(status) == key or (key.endswith("XX") and str(status)[:1] == key[:1])


def _has_retry_after(headers: Mapping[str, str]) -> bool:
    names = {name.lower() for name in headers}
    return "retry-after" in names or "retry-after-ms" in names


def _error_message_problem(seen: Seen) -> str | None:
    body = seen.body
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return None
    shape = sorted(body) if isinstance(body, dict) else type(body).__name__
    return f"{seen.status} body without error.message (got {shape})"


def _status_mismatch(probe: str, status: int, expected: tuple[int, ...]) -> Finding:
    wanted = " or ".join(str(s) for s in expected)
    message = (
        f"probe {probe}: status {status} where the contract documents {wanted} for this class of "
        "request; client SDKs map each status to its own exception class"
    )
    if expected == (200,):
        message = (
            f"probe {probe}: status {status} for a request the contract allows; the live API is "
            "narrower than the document: after review, narrow the schema in a team overlay"
        )
    return Finding(
        "status-mismatch",
        "breaking",
        "$",
        "status",
        list(expected),
        status,
        message=message,
        rules=[f"probe:{probe}"],
        samples=[status],
        status=str(status),
    )


def _error_body_findings(probe: str, status: int, body: Any) -> list[Finding]:
    """An undocumented error status is not schema-checked; its body must still carry ``error.message``."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return []
    path = "$.error.message" if isinstance(error, dict) else "$.error"
    return [
        Finding(
            "missing-required",
            "breaking",
            path,
            "json",
            "present",
            "absent",
            message=f"probe {probe}: the {status} error body has no error.message; clients show that text",
            rules=["error-body"],
            samples=[body],
            status=str(status),
        )
    ]


def _missing_retry_after(probe: str) -> Finding:
    return Finding(
        "missing-header",
        "additive",
        '$.headers["Retry-After"]',
        "status",
        "a Retry-After header (seconds)",
        "absent",
        message=f"probe {probe}: a 429 without Retry-After; clients fall back to their own backoff",
        rules=["retry-after"],
        samples=["absent"],
        status="429",
    )


# --- running the error probes -----------------------------------------------------------------


def run_hypothesis_probes(
    settings: LiveProbeSettings,
    checker: DriftChecker,
    collector: DriftCollector,
    book: HypothesisBook,
    *,
    key: Secret,
    budget: LiveBudget,
    redactor: Redactor,
    large_bytes: int | None = None,
) -> list[str]:
    """Send every error probe (their clients share ``budget``); returns one line per probe."""
    clients = {
        "key": live_client(settings, key, budget),
        "wrong": live_client(settings, Secret(WRONG_KEY), budget),
        "none": live_client(settings, None, budget),
    }
    lines = []
    for probe in [*error_probes(large_bytes=large_bytes), *edge_probes(checker)]:
        book.expect[probe.name] = probe.expect
        test = f"probe {probe.name}"

        def observe(interaction: Interaction, name: str = probe.name, test: str = test) -> None:
            findings = book.review(name, interaction, checker.check(interaction))
            collector.add(findings, test, answer=answer_kind(interaction))

        handler = RecordingHandler(
            clients[probe.auth],
            parse_base_urls(settings.base_url.rstrip("/")),
            redactor=redactor,
            observer=observe,
            guard=max_tokens_guard(min(settings.max_tokens, ERROR_MAX_TOKENS)),
            test=test,
        )
        lines.append(_send(probe, handler, settings, collector, redactor))
    return lines


def _send(
    probe: ErrorProbe,
    handler: RecordingHandler,
    settings: LiveProbeSettings,
    collector: DriftCollector,
    redactor: Redactor,
) -> str:
    test = f"probe {probe.name}"
    base_url = settings.base_url.rstrip("/")
    prefix = parse_base_urls(base_url)[0].path
    headers = {"content-type": probe.content_type, "accept": "application/json"}
    request = MockRequest(
        "POST", f"{base_url}/chat/completions", f"{prefix}/chat/completions", headers, probe.body
    )
    failed = send_probe(handler, request, collector, test)
    if failed is not None:
        return failed
    interaction = handler.interactions[0]
    expected = " or ".join(str(s) for s in probe.expect)
    line = f"{test}: status {interaction.response.status} (expected {expected})"
    if not probe.keep:
        return line + " (not recorded: too big for a cassette)"
    meta = {
        "recorded_with": "contract-kit drift --live",
        "base_url": public_url(base_url),
        "probe": probe.states,
    }
    name = f"probe-{probe.name}"
    path = write_cassette(
        cassette_path(settings.cassette_dir, name), Cassette(name, [interaction], meta), redactor
    ).path
    return f"{line}, recorded to {path}"
