"""The error probes of ``drift --live``: one small request per hypothesis of ``observed.yaml``,
each breaking exactly one thing, and the edges of :mod:`contract_kit.drift.edges`, each expecting
what the effective contract says. :mod:`contract_kit.drift.hypotheses` sends them and judges the
answers; the table of probes is in its docstring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contract_kit.defaults import DEFAULT_MODEL
from contract_kit.drift.edges import edges, expected_status

if TYPE_CHECKING:
    from contract_kit.drift.findings import DriftChecker

ERROR_MAX_TOKENS = 16
WRONG_KEY = "sk-contract-kit-wrong-key-0000000000000000"


@dataclass(frozen=True)
class ErrorProbe:
    name: str
    hypothesis: str
    expect: tuple[int, ...]
    states: str
    body: bytes
    content_type: str = "application/json"
    auth: str = "key"  # key | wrong | none
    keep: bool = True  # False: too big for a cassette


def error_probes(model: str = DEFAULT_MODEL, large_bytes: int | None = None) -> list[ErrorProbe]:
    """One request per hypothesis, each breaking exactly one thing (a test checks that)."""

    def body(**changes: Any) -> bytes:
        data = {"model": model, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8}
        return json.dumps({**data, **changes}).encode()

    bad = "a request with one schema violation is answered 400"
    out = [
        ErrorProbe("missing-nested", "status-400", (400,), bad, body(messages=[{"content": "Say hi."}])),
        ErrorProbe("wrong-type", "status-400", (400,), bad, body(max_tokens="8")),
        ErrorProbe("out-of-range", "status-400", (400,), bad, body(temperature=5)),
        ErrorProbe("outside-enum", "status-400", (400,), bad, body(response_format={"type": "yaml"})),
        ErrorProbe(
            "unknown-property",
            "status-400",
            (400,),
            bad,
            body(response_format={"type": "json_object", "x_contract_kit_probe": 1}),
        ),
        ErrorProbe(
            "unknown-model",
            "status-404",
            (404, 400),
            "an unknown model is answered 404",
            body(model="contract-kit/no-such-model"),
        ),
        ErrorProbe("wrong-key", "status-401", (401,), "a wrong key is answered 401", body(), auth="wrong"),
        ErrorProbe("no-key", "status-401", (401,), "a missing key is answered 401", body(), auth="none"),
        ErrorProbe(
            "text-plain",
            "status-415",
            (415,),
            "a text/plain body is answered 415",
            b"Say hi.",
            content_type="text/plain",
        ),
    ]
    if large_bytes:
        huge = body(max_tokens=1, messages=[{"role": "user", "content": "x" * large_bytes}])
        out.append(
            ErrorProbe(
                "oversized", "status-413", (413,), "an oversized body is answered 413", huge, keep=False
            )
        )
    return out


def edge_probes(checker: DriftChecker, model: str = DEFAULT_MODEL) -> list[ErrorProbe]:
    """The edges of ``drift.edges``, each expecting what the effective (observed) contract says."""
    out = []
    for edge in edges(model):
        status = expected_status(checker.observed, edge)
        verb = (
            "accepted (200), as the contract allows"
            if status == 200
            else "refused (400), as the contract says"
        )
        body = json.dumps(edge.body).encode()
        out.append(ErrorProbe(edge.probe, edge.hypothesis, (status,), f"{edge.what} is {verb}", body))
    return out


BUILTIN_EXPECT: dict[str, tuple[int, ...]] = {"invalid": (400,)}
"""The built-in probes of ``drift.probes`` that test an error hypothesis."""


def every_expectation(checker: DriftChecker | None = None) -> dict[str, tuple[int, ...]]:
    """Probe name -> expected statuses, for grading recorded probe cassettes offline (edges need ``checker``)."""
    probes = [*error_probes(large_bytes=1), *(edge_probes(checker) if checker is not None else [])]
    return {**BUILTIN_EXPECT, **{p.name: p.expect for p in probes}}
