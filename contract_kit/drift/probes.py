"""The built-in live probe set of ``contract-kit drift --live``: one small request per behaviour.

Each probe exercises one part of the contract that client code depends on,
with a small ``max_tokens`` (the cost guard caps it), and is recorded to its
own cassette (``probe-<name>.yaml``) so ``contract-kit drift DIR`` can
re-check it offline later:

========================  =============================================================
probe                     what it shows
========================  =============================================================
plain                     the JSON body of an ordinary completion
stream                    a streamed completion: chunk schema, framing, invariants
stream-usage              ``stream_options.include_usage``: the final usage chunk
tools-required            ``tool_choice: required``: tool calls, ``finish_reason: tool_calls``
image                     an ``image_url`` part (an inline 8x8 PNG, no download needed)
json-format               ``response_format: json_object``: the content is JSON
length                    ``max_tokens`` reached: ``finish_reason: length``
invalid                   a request without ``messages``: the error status and body shape
========================  =============================================================

A probe whose answer misses its expectation (no tool call, no ``length``)
adds an ``info`` finding; the schema and stream checks do the rest.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_kit.cassettes import Cassette, Interaction, cassette_path, write_cassette
from contract_kit.defaults import DEFAULT_MODEL, DEFAULT_PROBE_DIR
from contract_kit.drift.collector import DriftCollector, answer_kind
from contract_kit.drift.findings import DriftChecker, Finding, fault_finding
from contract_kit.drift.live import LiveBudget, LiveClient, RetryPolicy, api_key_from_env, public_url
from contract_kit.drift.recording import RecordingHandler, max_tokens_guard
from contract_kit.errors import ContractKitError
from contract_kit.mock import MockRequest
from contract_kit.mock.transports import parse_base_urls
from contract_kit.redact import Redactor, Secret

MODEL = DEFAULT_MODEL
DEFAULT_MAX_TOKENS = 64

Check = Callable[[Interaction], "str | None"]
Review = Callable[[str, Interaction, list[Finding]], list[Finding]]
"""Sees each probe's answer and its findings (``drift.hypotheses`` grades error statuses)."""


@dataclass(frozen=True)
class Probe:
    name: str
    body: dict[str, Any]
    expect: str
    check: Check | None = None


def tiny_png(size: int = 8) -> bytes:
    """A solid red ``size``x``size`` PNG, built by hand so the probe needs no image library or download."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _message(interaction: Interaction) -> tuple[str | None, dict[str, Any]]:
    """``(finish_reason, message)`` of a JSON or streamed answer (the stream's deltas merged)."""
    response = interaction.response
    if response.events is not None:
        finish, merged, calls = None, {"content": ""}, 0
        for event in response.events:
            for choice in (event.get("choices") or []) if isinstance(event, dict) else []:
                delta = choice.get("delta") or {}
                merged["content"] += delta.get("content") or ""
                calls += len(delta.get("tool_calls") or [])
                finish = choice.get("finish_reason") or finish
        return finish, {**merged, "tool_calls": [{}] * calls if calls else None}
    body = response.body if isinstance(response.body, dict) else {}
    choices = body.get("choices") or [{}]
    return choices[0].get("finish_reason"), choices[0].get("message") or {}


def _expect_finish(wanted: str) -> Check:
    def check(interaction: Interaction) -> str | None:
        if interaction.response.status != 200:
            return None
        finish, _ = _message(interaction)
        return None if finish == wanted else f"expected finish_reason {wanted!r}, got {finish!r}"

    return check


def _expect_json_content(interaction: Interaction) -> str | None:
    finish, message = _message(interaction)
    if interaction.response.status != 200 or finish != "stop":
        return None
    try:
        json.loads(message.get("content") or "")
    except ValueError:
        return "response_format json_object, finish_reason stop, but the content is not JSON"
    return None


def _expect_error(interaction: Interaction) -> str | None:
    status = interaction.response.status
    body = interaction.response.body
    if not 400 <= status < 500:
        return f"an invalid request (no messages) was answered with status {status}, not a 4xx"
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        return 'the error body is not an OpenAI-style {"error": {...}} object'
    return None


def probes(max_tokens: int = DEFAULT_MAX_TOKENS, model: str = MODEL) -> list[Probe]:
    """The probe set, every request capped at ``max_tokens`` (``length`` uses fewer on purpose)."""

    def ask(text: str, **extra: Any) -> dict[str, Any]:
        return {
            "model": model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": max_tokens,
            **extra,
        }

    image = "data:image/png;base64," + base64.b64encode(tiny_png()).decode("ascii")
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    return [
        Probe("plain", ask("Say hello in three words."), "a JSON completion"),
        Probe("stream", ask("Count from 1 to 5.", stream=True), "a valid event stream"),
        Probe(
            "stream-usage",
            ask("Count from 1 to 3.", stream=True, stream_options={"include_usage": True}),
            "a usage chunk last",
        ),
        Probe(
            "tools-required",
            ask("What is the weather in Paris?", tools=[weather], tool_choice="required"),
            "finish_reason tool_calls",
            _expect_finish("tool_calls"),
        ),
        Probe(
            "image",
            {
                **ask("x"),
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What colour is this image? One word."},
                            {"type": "image_url", "image_url": {"url": image, "detail": "low"}},
                        ],
                    }
                ],
            },
            "an answer about an image",
        ),
        Probe(
            "json-format",
            ask(
                'Reply with the JSON object {"ok": true} and nothing else.',
                response_format={"type": "json_object"},
            ),
            "JSON content",
            _expect_json_content,
        ),
        Probe(
            "length",
            ask("Write a long essay about the sea.", max_tokens=min(8, max_tokens)),
            "finish_reason length",
            _expect_finish("length"),
        ),
        Probe("invalid", {"model": model, "max_tokens": max_tokens}, "a 4xx error body", _expect_error),
    ]


def expectation_finding(probe: Probe, interaction: Interaction) -> Finding | None:
    """An ``info`` finding when the answer misses what the probe is for."""
    problem = probe.check(interaction) if probe.check else None
    if problem is None:
        return None
    return Finding(
        "semantic",
        "info",
        "$",
        "json",
        probe.expect,
        problem,
        message=f"probe {probe.name}: {problem}",
        rules=[f"probe:{probe.name}"],
        samples=[problem],
        sources=[f"probe {probe.name}"],
        status=str(interaction.response.status),
    )


@dataclass(frozen=True)
class LiveProbeSettings:
    """The knobs of one ``drift --live`` run: where, how hard, and where the cassettes go."""

    base_url: str
    cassette_dir: Path = Path(DEFAULT_PROBE_DIR)
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_calls: int = 50
    retries: int = 2
    timeout: float = 60.0
    backoff: float = 1.0


@dataclass
class LiveProbeRun:
    """What a live probe run did: one line per probe, and the redactor that knows the key."""

    redactor: Redactor
    lines: list[str] = field(default_factory=list)


def run_live_probes(
    settings: LiveProbeSettings,
    checker: DriftChecker,
    collector: DriftCollector,
    on_probe: Callable[[str, int, int], None] | None = None,
    *,
    budget: LiveBudget | None = None,
    review: Review | None = None,
) -> LiveProbeRun:
    """Send every probe to the live API, check each answer for drift, and record one cassette per probe.

    ``on_probe(name, number, total)`` is called as each probe starts (the CLI's progress line).
    """
    key = api_key_from_env("drift --live")
    run = LiveProbeRun(Redactor(secrets=(key,)))
    base_url = settings.base_url.rstrip("/")
    client = live_client(settings, key, budget or LiveBudget(settings.max_calls))
    planned = probes(settings.max_tokens)
    for number, probe in enumerate(planned, 1):
        if on_probe is not None:
            on_probe(probe.name, number, len(planned))
        run.lines.append(
            _run_probe(probe, base_url, client, settings, checker, collector, run.redactor, review)
        )
    return run


def live_client(settings: LiveProbeSettings, key: Secret | None, budget: LiveBudget) -> LiveClient:
    policy = RetryPolicy(retries=settings.retries, timeout=settings.timeout, backoff=settings.backoff)
    return LiveClient(settings.base_url.rstrip("/"), key, policy=policy, budget=budget)


def _run_probe(
    probe: Probe,
    base_url: str,
    client: LiveClient,
    settings: LiveProbeSettings,
    checker: DriftChecker,
    collector: DriftCollector,
    redactor: Redactor,
    review: Review | None = None,
) -> str:
    test = f"probe {probe.name}"
    bases = parse_base_urls(base_url)

    def observe(interaction: Interaction) -> None:
        findings = checker.check(interaction)
        findings = review(probe.name, interaction, findings) if review else findings
        collector.add(findings, test, answer=answer_kind(interaction))

    handler = RecordingHandler(
        client,
        bases,
        redactor=redactor,
        observer=observe,
        guard=max_tokens_guard(settings.max_tokens),
        test=test,
    )
    failed = send_probe(handler, _probe_request(probe, base_url, bases[0].path), collector, test)
    if failed is not None:
        return failed
    interaction = handler.interactions[0]
    missed = expectation_finding(probe, interaction)
    if missed is not None:
        collector.add([missed], test, response=False)
    meta = {
        "recorded_with": "contract-kit drift --live",
        "base_url": public_url(base_url),
        "probe": probe.expect,
    }
    path = write_cassette(
        cassette_path(settings.cassette_dir, f"probe-{probe.name}"),
        Cassette(f"probe-{probe.name}", [interaction], meta),
        redactor,
    ).path
    return f"{test}: status {interaction.response.status}, recorded to {path}"


def send_probe(
    handler: RecordingHandler, request: MockRequest, collector: DriftCollector, test: str
) -> str | None:
    """Send one probe; on a live fault that survived the retries, record it as a finding and say so."""
    try:
        handler(request)
    except ContractKitError as exc:
        fault = getattr(exc, "fault", None)
        if fault:
            collector.add([fault_finding(fault)], test, response=False)
        return f"{test}: {exc}"
    return None


def _probe_request(probe: Probe, base_url: str, path_prefix: str) -> MockRequest:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    return MockRequest(
        "POST",
        f"{base_url}/chat/completions",
        f"{path_prefix}/chat/completions",
        headers,
        json.dumps(probe.body).encode(),
    )
