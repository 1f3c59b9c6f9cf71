r"""A local stand-in for the live AIML API: a real HTTP server on 127.0.0.1 with planted deviations.

The live API cannot be reached from tests, so every live path (record, once,
live, ``contract-kit drift --live``) runs against this server. Its answers
are the mock engine's observed-profile completions (which the observed
contract accepts), changed in one planted way chosen by the last user
message: ``plant:NAME`` for a contract deviation, ``fault:NAME`` for a
transport fault. ``PLANTS`` lists, for each deviation, the one finding the
drift check must report (kind, severity, where, path).

It checks ``Authorization: Bearer KEY`` and answers 401 (with the key
masked, as OpenAI does) otherwise; ``StandIn(deny=401)`` or ``deny=403`` is
the wrong-key mode: every request gets that answer, whatever key it carries
(a revoked key, or one without access to the model).

Two plants echo the caller's key, for the key-forms suite
(``tests/hardening/test_key_forms.py``): ``echo-key`` answers JSON with the
key in every form ``key_forms`` lists, in undocumented fields (so the drift
table and warnings show them), and escapes every ``/`` as ``\/`` the way PHP
and some gateways do; ``echo-key-stream`` streams the key in a content delta,
split across two network reads. ``fault`` (like ``plant``) applies one
``fault:NAME`` to every request that names none.


``StandIn(errors=...)`` turns on the error behaviour of the whole API (the
``observed.yaml`` hypotheses): 400 for a request the documented schema
rejects, 404 for an unknown model, 415 for a non-JSON body, 413 above
``max_body``, and one 429 (with ``Retry-After: 0``) before the first answer.
``errors=EXACT`` behaves exactly as the contract says; ``errors=DEVIANT``
plants the deviations of issue 12 (:data:`DEVIATIONS`), and ``narrow-stop``
(issue 15): a 400 for a ``stop`` the document allows but is no string or
list of strings (``stop: {}``).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from contract_kit.mock import MockRequest, MockResponse, complete, error_bytes, render_chunks, render_json
from contract_kit.mock.transports import BackgroundServer, make_app
from contract_kit.validation import encode_json_chunks

KEY = "sk-standin-7f3a9c1e5b2d4a60-PLANTED-SECRET"
JSON_CT = [("content-type", "application/json")]
SSE_CT = [("content-type", "text/event-stream")]

# plant -> (stream?, expected finding: kind, severity, where, path)
PLANTS: dict[str, tuple[bool, tuple[str, str, str, str]]] = {
    "extra-field": (False, ("undocumented-field", "additive", "json", "$.choices[*].message.mood")),
    "type-change": (False, ("type-mismatch", "breaking", "json", "$.created")),
    "missing-required": (False, ("missing-required", "breaking", "json", "$.model")),
    "null-not-nullable": (False, ("nullability", "breaking", "json", "$.id")),
    "enum-change": (False, ("enum-mismatch", "breaking", "json", "$.object")),
    "usage-sum": (False, ("semantic", "breaking", "json", "$.usage.total_tokens")),
    "status-418": (False, ("undocumented-status", "additive", "status", "$")),
    "text-plain": (False, ("content-type", "breaking", "status", "$")),
    "chunk-extra-field": (True, ("undocumented-field", "additive", "chunk", "$.choices[*].delta.mood")),
    "chunk-type-change": (True, ("type-mismatch", "breaking", "chunk", "$.created")),
    "no-done": (True, ("stream-framing", "breaking", "stream", "$")),
    "id-changes": (True, ("stream-invariant", "breaking", "stream", "$.id")),
}


# deviation -> the finding drift --live must report for it: kind, severity, where, path, status
DEVIATIONS: dict[str, tuple[str, str, str, str, str]] = {
    "422": ("status-mismatch", "breaking", "status", "$", "422"),
    "no-retry-after": ("missing-header", "additive", "status", '$.headers["Retry-After"]', "429"),
    "error-without-error": ("missing-required", "breaking", "json", "$.error", "401"),
    "json-not-json": ("semantic", "breaking", "json", "$.choices[*].message.content", "200"),
    "ignore-tool-choice": ("semantic", "breaking", "json", "$.choices[*].message.tool_calls", "200"),
    "no-done": ("stream-framing", "breaking", "stream", "$", "200"),
    "narrow-stop": (
        "status-mismatch",
        "breaking",
        "status",
        "$",
        "400",
    ),  # refuses stop: {}, which the document allows
}
EXACT: frozenset[str] = frozenset()
DEVIANT: frozenset[str] = frozenset(DEVIATIONS)


def prompt_of(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def _word(prompt: str, prefix: str) -> str | None:
    for word in prompt.split():
        if word.startswith(prefix):
            return word[len(prefix) :]
    return None


class StandIn:
    """The handler; ``calls`` counts requests per prompt, ``started`` is set on each streaming request."""

    def __init__(
        self,
        key: str = KEY,
        plant: str | None = None,
        deny: int | None = None,
        fault: str | None = None,
        *,
        errors: frozenset[str] | None = None,
        max_body: int = 1 << 20,
    ) -> None:
        self.key = key
        self.deny = deny
        self.plant = plant  # applied to every request that plants nothing itself
        self.fault = fault  # likewise for faults
        self.errors = errors  # None: the old behaviour (no request checks); else the deviations planted
        self.max_body = max_body
        self.rate_limited = False
        self.calls: Counter[str] = Counter()
        self.paths: list[str] = []
        self.started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, request: MockRequest) -> MockResponse:
        self.paths.append(request.path)
        sent = request.headers.get("authorization", "").removeprefix("Bearer ")
        masked = f"{sent[:3]}***{sent[-4:]}" if len(sent) > 8 else "***"
        if self.deny == 403:
            return MockResponse(
                403, JSON_CT, error_bytes(403, f"The key {masked} has no access to this model.")
            )
        if self.deny == 401 or request.headers.get("authorization") != f"Bearer {self.key}":
            if self.errors is not None and "error-without-error" in self.errors:
                return MockResponse(401, JSON_CT, json.dumps({"detail": "Not authenticated"}).encode())
            return MockResponse(401, JSON_CT, error_bytes(401, f"Incorrect API key provided: {masked}."))
        if self.errors is not None:
            refused = self._refuse(request)
            if refused is not None:
                return refused
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return MockResponse(400, JSON_CT, error_bytes(400, "The body is not valid JSON"))
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return MockResponse(400, JSON_CT, error_bytes(400, "messages is required", param="messages"))
        prompt = prompt_of(body)
        with self._lock:
            self.calls[prompt] += 1
            attempt = self.calls[prompt]
        fault = _word(prompt, "fault:") or self.fault
        if fault is not None:
            answer = self._fault(fault, attempt, body)
            if answer is not None:
                return answer
        plant = _word(prompt, "plant:") or self.plant
        if plant == "echo-key":
            return self._echo_key(body)
        if plant == "echo-key-stream":
            return self._echo_key_stream(body)
        if body.get("stream"):
            return self._stream(body, plant)
        return self._json(body, plant)

    # -- the API's error behaviour (errors=...) ---------------------------------------------------
    def _refuse(self, request: MockRequest) -> MockResponse | None:
        errors = self.errors or frozenset()
        if len(request.body) > self.max_body:
            return MockResponse(413, JSON_CT, error_bytes(413, "Request body too large"))
        if not request.headers.get("content-type", "").startswith("application/json"):
            return MockResponse(415, JSON_CT, error_bytes(415, "Send the body as application/json"))
        try:
            body = json.loads(request.body)
        except ValueError:
            return MockResponse(400, JSON_CT, error_bytes(400, "The body is not valid JSON"))
        if isinstance(body, dict) and isinstance(body.get("model"), str) and body["model"] != MODEL:
            return MockResponse(404, JSON_CT, error_bytes(404, f"The model {body['model']!r} does not exist"))
        if "narrow-stop" in errors and isinstance(body, dict) and not _plain_stop(body.get("stop")):
            return MockResponse(400, JSON_CT, error_bytes(400, "stop must be a string or a list of strings"))
        problems = _documented().validate_request(body)
        if problems:
            status = 422 if "422" in errors else 400
            return MockResponse(
                status, JSON_CT, error_bytes(400, problems[0].message, param=problems[0].path)
            )
        if not self.rate_limited:  # the first answer is a 429: how the API rate-limits is a hypothesis too
            self.rate_limited = True
            headers = JSON_CT if "no-retry-after" in errors else [*JSON_CT, ("retry-after", "0")]
            return MockResponse(429, headers, error_bytes(429))
        return None

    def _deviate(self, body: dict[str, Any], data: dict[str, Any]) -> None:
        errors = self.errors or frozenset()
        message = data["choices"][0]["message"]
        format_type = (body.get("response_format") or {}).get("type")
        if "json-not-json" in errors and format_type == "json_object":
            message["content"] = 'Sure! Here it is: {"ok": true}'
        if "ignore-tool-choice" in errors and body.get("tool_choice") == "required":
            message["content"], message["tool_calls"] = "It is sunny in Paris.", None
            message.pop("tool_calls")
            data["choices"][0]["finish_reason"] = "stop"

    # -- answers --------------------------------------------------------------------------------
    def _json(self, body: dict[str, Any], plant: str | None) -> MockResponse:
        data = render_json(complete(body), body)
        self._deviate(body, data)
        if plant == "status-418":
            return MockResponse(418, JSON_CT, error_bytes(418, "I'm a teapot"))
        if plant == "text-plain":
            return MockResponse(200, [("content-type", "text/plain")], b"hello, plain text")
        if plant == "extra-field":
            data["choices"][0]["message"]["mood"] = "cheerful"
        elif plant == "type-change":
            data["created"] = str(data["created"])
        elif plant == "missing-required":
            del data["model"]
        elif plant == "null-not-nullable":
            data["id"] = None
        elif plant == "enum-change":
            data["object"] = "chat.completion.v2"
        elif plant == "usage-sum":
            data["usage"]["total_tokens"] += 7
        return MockResponse(200, JSON_CT, json.dumps(data).encode())

    def _stream(self, body: dict[str, Any], plant: str | None, **pace: Any) -> MockResponse:
        chunks = render_chunks(complete(body), body)
        if plant == "chunk-extra-field":
            chunks[1]["choices"][0]["delta"]["mood"] = "cheerful"
        elif plant == "chunk-type-change":
            for chunk in chunks:
                chunk["created"] = str(chunk["created"])
        elif plant == "id-changes":
            chunks[2]["id"] = "chatcmpl-other"
        self.started.set()
        if self.errors is not None and "no-done" in self.errors:
            plant = "no-done"
        return MockResponse(200, SSE_CT, chunks=encode_json_chunks(chunks, done=plant != "no-done"), **pace)

    def _echo_key(self, body: dict[str, Any]) -> MockResponse:
        """The key in every form, in undocumented fields; every ``/`` escaped, one field \\u-escaped."""
        if body.get("stream"):
            return self._echo_key_stream(body)
        data = render_json(complete(body), body)
        message = data["choices"][0]["message"]
        message["content"] = f"your key is {self.key}"
        message["echo"] = {**key_forms(self.key), "unicode": "@@UNICODE@@"}
        text = json.dumps(data).replace("/", "\\/")
        text = text.replace("@@UNICODE@@", "".join(f"\\u{ord(c):04x}" for c in self.key))
        return MockResponse(200, JSON_CT, text.encode())

    def _echo_key_stream(self, body: dict[str, Any]) -> MockResponse:
        """The key in a content delta, its bytes split across two reads (a pause between them)."""
        chunks = render_chunks(complete(body), body)
        delta = next(c for c in chunks if c["choices"] and "content" in c["choices"][0]["delta"])
        delta["choices"][0]["delta"]["content"] = f"your key is {self.key}"
        raw = b"".join(encode_json_chunks(chunks)).replace(b"/", b"\\/")
        escaped = self.key.replace("/", "\\/").encode()
        middle = raw.index(escaped) + len(escaped) // 2
        return MockResponse(200, SSE_CT, chunks=[raw[:middle], raw[middle:]], chunk_delay=0.1)

    def _fault(self, fault: str, attempt: int, body: dict[str, Any]) -> MockResponse | None:
        name, _, times = fault.partition("x")
        failing = attempt <= int(times or "1") if times != "*" else True
        if not failing:
            return None
        if name == "429":
            return MockResponse(429, [*JSON_CT, ("retry-after", "1")], error_bytes(429))
        if name == "429ms":
            return MockResponse(429, [*JSON_CT, ("retry-after-ms", "50")], error_bytes(429))
        if name == "429long":
            return MockResponse(429, [*JSON_CT, ("retry-after", "3600")], error_bytes(429))
        if name == "500":
            return MockResponse(500, JSON_CT, error_bytes(500))
        if name == "cut":
            chunks = encode_json_chunks(render_chunks(complete(body), body))
            return MockResponse(200, SSE_CT, chunks=chunks[:3], cut=True)
        if name == "drop":
            return MockResponse(200, JSON_CT, chunks=[], cut=True)
        if name == "slow":
            return MockResponse(
                200, JSON_CT, json.dumps(render_json(complete(body), body)).encode(), first_byte_delay=1.5
            )
        if name == "slowstream":
            return self._stream(body, None, chunk_delay=0.25)
        if name == "pacedstream":  # gaps long enough that no proxy or socket merges two chunks
            return self._stream(body, None, chunk_delay=0.08)
        raise AssertionError(f"unknown stand-in fault {fault!r}")


def key_forms(key: str) -> dict[str, str]:
    """The forms a key takes in text: each must be found in no byte the kit prints or writes."""
    raw = key.encode()
    return {
        "literal": key,
        "upper": key.upper(),
        "url": quote(key, safe=""),
        "hex": raw.hex(),
        "hex_upper": raw.hex().upper(),
        "base64": base64.b64encode(raw).decode(),
        "base64_offset_1": base64.b64encode(b"x" + raw).decode(),
        "base64_offset_2": base64.b64encode(b"xy" + raw).decode(),
        "base64url": base64.urlsafe_b64encode(b"x" + raw).decode(),
        "url_userinfo": f"https://user:{key}@example.com/v1",
        "url_query": f"https://example.com/v1?api_key={key}&x=1",
    }


def key_needles(key: str) -> dict[str, bytes]:
    """What to grep for: each form's key-only part (base64 without the groups mixed with other bytes)."""
    raw = key.encode()
    needles = {
        "literal": raw,
        "upper": key.upper().encode(),
        "json_escaped": key.replace("/", "\\/").encode(),
        "unicode_escaped": "".join(f"\\u{ord(c):04x}" for c in key).encode(),
        "url": quote(key, safe="").encode(),
        "hex": raw.hex().encode(),
        "hex_upper": raw.hex().upper().encode(),
    }
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw)
        core = encoded[4 if offset else 0 : (offset + len(raw)) // 3 * 4]
        needles[f"base64_{offset}"] = core
        needles[f"base64url_{offset}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    return needles


def _plain_stop(stop: Any) -> bool:
    """What most OpenAI-compatible APIs take as ``stop``: null, a string or a list of strings."""
    return (
        stop is None
        or isinstance(stop, str)
        or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    )


@lru_cache(maxsize=1)
def _documented() -> Any:
    from contract_kit import load_contract

    return load_contract("documented")


@contextmanager
def serve(standin: StandIn | None = None) -> Iterator[tuple[StandIn, str]]:
    """Run a stand-in on a free loopback port; yields it and its base URL (``http://127.0.0.1:P/v1``)."""
    handler = standin or StandIn()
    with BackgroundServer(make_app(handler)) as server:
        yield handler, server.base_url


API = "https://api.aimlapi.com/v1"
MODEL = "alibaba/qwen3-vl-32b-thinking"


def chat_body(prompt: str, *, stream: bool = False, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 30,
        **extra,
    }
    if stream:
        body["stream"] = True
    return body


def recorder(base_url: str, *, key: str = KEY, retries: int = 0, **policy: Any) -> Any:
    """A RecordingHandler forwarding to the stand-in, routed for ``API``; no drift observer."""
    from contract_kit.drift import LiveBudget, LiveClient, RecordingHandler, RetryPolicy
    from contract_kit.mock.transports import parse_base_urls
    from contract_kit.redact import Redactor, Secret

    client = LiveClient(
        base_url,
        Secret(key),
        policy=RetryPolicy(retries=retries, backoff=0.01, **policy),
        budget=LiveBudget(10_000),
    )
    return RecordingHandler(client, parse_base_urls([API]), redactor=Redactor(secrets=(Secret(KEY),)))


def record(base_url: str, body: dict[str, Any], **options: Any) -> Any:
    """Send one request through a RecordingHandler (no client library) and return its Interaction."""
    handler = recorder(base_url, **options)
    handler(
        MockRequest(
            "POST",
            f"{API}/chat/completions",
            "/v1/chat/completions",
            {"content-type": "application/json", "authorization": "Bearer sk-dummy"},
            json.dumps(body).encode(),
        )
    )
    return handler.interactions[0]
