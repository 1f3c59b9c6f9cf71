"""Fuzzing (issue 6, item 4): the SSE decoder, the request handler and the cassette loader.

Each property runs twice over: a short version on every ``pytest`` run
(``FUZZ_EXAMPLES`` examples, default 300) and the full 10,000-example version,
marked ``slow``, which the default run deselects (pyproject's ``addopts``)
because it takes minutes:

    pytest -m slow tests/hardening/test_fuzz.py -s

None of the three may raise anything but its documented error, whatever it is fed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.cassettes import Cassette, load_cassette
from contract_kit.contract import Contract
from contract_kit.errors import CassetteError, SSEError
from contract_kit.mock import (
    CONTROL_PREFIX,
    SCENARIO_HEADER,
    MockRequest,
    MockResponse,
    MockService,
    error_body,
)
from contract_kit.mock.routes import Routes
from contract_kit.strategies import chat_requests
from contract_kit.validation import Event, SSEDecoder, decode, iter_events, rechunk

CI_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FULL_EXAMPLES = 10_000
BUDGETS = [
    pytest.param(CI_EXAMPLES, id="ci"),
    pytest.param(
        FULL_EXAMPLES,
        id="full",
        marks=[pytest.mark.slow],
    ),
]


RAN: Counter[str] = Counter()  # examples each fuzz property ran (each one counts itself)


def run_fuzz(check: Callable[..., None], examples: int, *args: Any) -> None:
    """Run a ``@given`` property for ``examples`` examples, then prove it really ran them all."""
    name = check.__name__
    RAN[name] = 0
    configured = settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )(check)
    started = time.monotonic()
    configured(*args)
    elapsed = time.monotonic() - started
    print(f"\n{name}: {RAN[name]} examples in {elapsed:.1f}s ({RAN[name] / elapsed:.0f}/s)")
    assert RAN[name] >= examples


# --- the SSE decoder --------------------------------------------------------------------------

SSE_TOKENS = [
    b"data:",
    b"data: ",
    b"data",
    b"event:",
    b"event: delta",
    b"id:",
    b"id: 7",
    b"id: a\x00b",
    b"retry:",
    b"retry: 1500",
    b"retry: 1x",
    b"retry: \xef\xbc\x91",
    b":",
    b": keep-alive",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b" ",
    b"\t",
    b"\xef\xbb\xbf",
    b"[DONE]",
    b'{"choices":[]}',
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xa9",
    "é€😀".encode(),
    "\u2028\u0085\x0c".encode(),
]
sse_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(SSE_TOKENS) | st.binary(max_size=4), max_size=60).map(b"".join),
)


@st.composite
def split_streams(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    data = draw(sse_bytes)
    every_byte = list(range(len(data) + 1))
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=20) | st.just(every_byte))
    return data, cuts


def reference_events(data: bytes) -> list[Event]:
    """The WHATWG event-stream algorithm, written out plainly over the whole stream at once."""
    text = data.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)[:-1]  # the piece after the last line break never ended
    events: list[Event] = []
    buffer: list[str] = []
    kind, last_id, retry = "", None, None
    for line in lines:
        if not line:
            if buffer:
                events.append(Event("\n".join(buffer), kind or "message", last_id, retry))
            buffer, kind, retry = [], "", None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            buffer.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\x00" not in value:
            last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events


@given(stream=split_streams())
@example(stream=(b"\xef\xbb", [1]))  # a BOM split across reads
@example(stream=(b"data: a\r\n\r\n", [8, 9]))  # a CRLF split across reads
@example(stream=("data: é\n\n".encode(), [7]))  # a UTF-8 character split across reads
def fuzz_sse_decoder(stream: tuple[bytes, list[int]]) -> None:
    RAN["fuzz_sse_decoder"] += 1
    data, cuts = stream
    whole = SSEDecoder()
    events = whole.feed(data) + whole.close()
    assert events == decode(data) == reference_events(data)

    pieces = rechunk(data, cuts)
    assert b"".join(pieces) == data
    incremental = SSEDecoder()
    found: list[Event] = []
    for piece in pieces:
        found += incremental.feed(piece)
    found += incremental.close()
    assert found == events
    assert list(iter_events(pieces)) == events
    assert (incremental.incomplete, incremental.comments, incremental.last_event_id) == (
        whole.incomplete,
        whole.comments,
        whole.last_event_id,
    )
    try:
        strict = decode(pieces, strict=True)
    except SSEError:
        assert whole.incomplete
    else:
        assert strict == events and not whole.incomplete
    with pytest.raises(SSEError):
        incremental.feed(b"data: late\n\n")
    for event in events:
        if event.is_done:
            with pytest.raises(SSEError):
                event.json()


@pytest.mark.parametrize("examples", BUDGETS)
def test_fuzz_sse_decoder(examples: int) -> None:
    """Arbitrary bytes, split anywhere: same events as whole, as the plain spec algorithm; only SSEError."""
    run_fuzz(fuzz_sse_decoder, examples)


# --- the request handler ----------------------------------------------------------------------

CHAT = "/v1/chat/completions"
MODEL = "alibaba/qwen3-vl-32b-thinking"
CONTRACTS = {profile: load_contract(profile) for profile in ("observed", "documented")}
SMALL_LIMIT = 2048
latin1 = st.text(st.characters(max_codepoint=255), max_size=40)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
BASES = [
    {"model": MODEL, "messages": [{"role": "user", "content": "Hello"}]},
    {
        "model": MODEL,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
        "seed": 3,
    },
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}],
        "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
        "tool_choice": "auto",
        "temperature": 0.2,
        "n": 1,
    },
]
TOP_LEVEL_KEYS = [
    "model",
    "messages",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "seed",
    "stop",
    "temperature",
    "top_p",
    "response_format",
    "logprobs",
    "top_logprobs",
    "user",
    "frequency_penalty",
    "parallel_tool_calls",
    "unknown",
]


def _pick(draw: st.DrawFn, options: list[Any]) -> Any:
    """One of ``options``; cheaper than ``sampled_from`` for a list built on every draw."""
    return options[draw(st.integers(0, len(options) - 1))]


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        found.append(path)
        for key, child in value.items():
            found += _containers(child, (*path, key))
    elif isinstance(value, list):
        found.append(path)
        for index, child in enumerate(value):
            found += _containers(child, (*path, index))
    return found


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    """A valid request (hand-written or generated from the contract) with one to three things broken."""
    body: Any = copy.deepcopy(draw(st.sampled_from(BASES) | chat_requests()))
    for _ in range(draw(st.integers(1, 3))):
        path = _pick(draw, _containers(body))
        target: Any = body
        for step in path:
            target = target[step]
        if isinstance(target, dict):
            key = _pick(draw, [*sorted(target), *TOP_LEVEL_KEYS])
            if key in target and draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(json_values)
        elif target and draw(st.booleans()):
            target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
        else:
            target.append(draw(json_values))
    return body


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


SCENARIOS = [
    '{"scenario": "error", "status": 503}',
    '{"scenario": "error", "status": 429, "retry_after": 2}',
    '[{"scenario": "latency", "ttft": 0.5}, {"scenario": "cut_stream", "after": 1}]',
    '{"scenario": "malformed_chunk", "at": 0}',
    '{"scenario": "reply", "text": "fixed"}',
    '{"scenario": "tool_call", "name": "look", "arguments": {"q": 1}}',
    '{"scenario": "refusal", "text": "no"}',
    '{"scenario": "nope"}',
    '{"scenario": "error", "status": 200}',
    "not json",
    "[]",
    "{}",
    '{"scenario": "reply", "text": "\\ud800"}',
    '{"scenario": "error", "status": 429, "message": "\\udfff"}',
    '{"queue": [{"scenario": "error", "status": 500}], "default": {"scenario": "latency", "ttft": 0.1}}',
]
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(_encode),
    mutated_requests().map(_encode),
    chat_requests().map(_encode),
    st.sampled_from(BASES).map(_encode),
    st.integers(1, 50_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 50_000).map(lambda depth: b'{"model": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"),
    st.integers(SMALL_LIMIT - 8, SMALL_LIMIT + 8).map(lambda size: b'{"x": "' + b"y" * size + b'"}'),
    st.sampled_from(SCENARIOS).map(str.encode),  # for POST /_contract/scenarios
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "APPLICATION/JSON ;x=1",
                "text/plain",
                "application/jsonx",
                "",
                ";",
            ]
        )
        | latin1,
        "authorization": st.sampled_from(
            ["Bearer sk-fuzz", "bearer   k", "Bearer", "Bearer a b", "Basic abc", ""]
        )
        | latin1,
        SCENARIO_HEADER: st.sampled_from(SCENARIOS) | latin1,
    },
).flatmap(
    lambda fixed: st.dictionaries(latin1.map(str.lower), latin1, max_size=3).map(
        lambda extra: {**extra, **fixed}
    )
)
requests = st.builds(
    lambda method, path, headers, body: MockRequest(method, f"http://127.0.0.1{path}", path, headers, body),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post"])
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8),
    path=st.sampled_from(
        [
            CHAT,
            "/chat/completions",
            f"{CHAT}/",
            "/",
            "",
            "/v1/models",
            f"{CHAT}/x",
            "/openai/v1/chat/completions",
            "/_contract/scenarios",
            "/_contract/calls",
            "/_contract/",
            "/_contract/other",
            "/v1/_contract/scenarios",
        ]
    )
    | st.text(max_size=40),
    headers=headers,
    body=bodies,
)


def check_response(contract: Contract, request: MockRequest, response: MockResponse, scripted: bool) -> None:
    """2xx/4xx only (5xx only when a scenario asked for it); errors OpenAI-shaped; answers valid."""
    assert isinstance(response, MockResponse)
    for name, value in response.headers:  # the ASGI app encodes these; a failure there is a 500
        name.encode("latin-1")
        value.encode("latin-1")
    control = CONTROL_PREFIX in request.path
    assert control or response.header("x-request-id")
    scripted = scripted or control or SCENARIO_HEADER in request.headers
    assert 200 <= response.status < 600
    if response.status >= 500:
        assert scripted, (response.status, response.body)
    if response.status >= 400:
        assert response.body is not None and response.chunks is None
        error = json.loads(response.body)["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["code"] not in ("mock_error", "mock_handler_error"), error
        if response.status == 405:
            assert response.header("allow")
        return
    if scripted:
        return  # a scripted answer may be cut, malformed or fixed on purpose
    if Routes.for_contract(contract).is_models(request.path):  # GET /v1/models[/{id}]: a list or a model
        assert json.loads(response.body or b"")["object"] in ("list", "model")
        return
    body = json.loads(request.body)
    if response.chunks is not None:
        report = contract.validate_stream(response.full_body(), body)
        assert report.done and report.errors == [], report.errors
    else:
        assert response.body is not None
        assert [v for v in contract.validate_response_bytes(response.body, 200) if v.is_error] == []


@given(
    profile=st.sampled_from(sorted(CONTRACTS)),
    options=st.fixed_dictionaries(
        {
            "seed": st.integers(0, 2**32),
            "require_auth": st.booleans(),
            "max_body_bytes": st.sampled_from([SMALL_LIMIT, 10 * 1024 * 1024]),
        }
    ),
    sequence=st.lists(requests, min_size=1, max_size=3),
)
@example(
    profile="observed",
    options={},
    sequence=[
        MockRequest("POST", "http://x" + CHAT, CHAT, {"content-type": "application/json"}, b"[" * 100_000)
    ],
)
@example(
    profile="documented",
    options={},
    sequence=[MockRequest("GET", "http://x/_contract/", "/_contract/", {}, b"")],
)
@example(  # a lone surrogate in a scenario's text once made every later answer a 500
    profile="observed",
    options={"require_auth": False},
    sequence=[
        MockRequest(
            "POST", "http://x/_contract/scenarios", "/_contract/scenarios", {}, SCENARIOS[-3].encode()
        ),
        MockRequest("POST", "http://x" + CHAT, CHAT, {"content-type": "application/json"}, _encode(BASES[0])),
        MockRequest(
            "POST",
            "http://x" + CHAT,
            CHAT,
            {"content-type": "application/json", SCENARIO_HEADER: SCENARIOS[-2]},
            _encode(BASES[0]),
        ),
    ],
)
def fuzz_handler(profile: str, options: dict[str, Any], sequence: list[MockRequest]) -> None:
    RAN["fuzz_handler"] += 1
    contract = CONTRACTS[profile]
    service = MockService(contract, **options)
    scripted, recorded = False, 0
    for request in sequence:
        response = service(request)
        check_response(contract, request, response, scripted)
        control = CONTROL_PREFIX in request.path
        scripted = scripted or control
        resource = request.path.rsplit(CONTROL_PREFIX, 1)[-1].strip("/")
        # a DELETE clears the log only when accepted: a body that is not JSON is a 415 first
        clears = (
            control and resource == "calls" and request.method.upper() == "DELETE" and response.status < 300
        )
        recorded = 0 if clears else recorded + (not control)
    assert len(service.calls) == recorded
    assert all("authorization" not in call.headers for call in service.calls)


@pytest.mark.parametrize("examples", BUDGETS)
def test_fuzz_request_handler(examples: int) -> None:
    """Any method, path, headers and body: a MockResponse, never a 5xx it was not asked for, never a raise."""
    run_fuzz(fuzz_handler, examples)


def test_the_error_shape_checked_is_the_one_the_service_sends() -> None:
    assert set(error_body(400)["error"]) == {"message", "type", "param", "code"}


# --- the cassette loader ----------------------------------------------------------------------

SEEDS = [
    """\
version: 1
name: tests_test_chat__test_json
interactions:
- request:
    method: POST
    path: /v1/chat/completions
    headers: {content-type: application/json}
    body: {model: alibaba/qwen3-vl-32b-thinking, messages: [{role: user, content: Hi}]}
  response:
    status: 200
    headers: {content-type: application/json}
    elapsed: 0.25
    body: {id: chatcmpl-1, object: chat.completion, choices: []}
    body_style: compact
""",
    """\
version: 1
name: tests_test_chat__test_stream
interactions:
- test: tests/test_chat.py::test_stream
  request:
    method: POST
    path: /v1/chat/completions
    text: '{"model": "m", "stream": true}'
  response:
    status: 200
    headers: {content-type: text/event-stream}
    events:
    - {choices: [{delta: {content: Hi}}]}
    - '[DONE]'
    reads:
    - at: 0.1
      text: "data: {\\"choices\\": [{\\"delta\\": {\\"content\\": \\"Hi\\"}}]}\\n\\n"
    - at: 0.2
      base64: ZGF0YTogW0RPTkVdCgo=
- request: {method: GET, path: /v1/models}
  response: {status: 404, headers: {}, text: not found, cut: true}
""",
]
YAML_TOKENS = [
    ":",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "*b",
    "!!binary ",
    "!!python/object:os.system ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!null ",
    "!!set ",
    "!!omap ",
    "'",
    '"',
    "\n",
    "\n  ",
    "  ",
    "\t",
    "#",
    "null",
    "~",
    "1e999",
    ".nan",
    "-1",
    "0x10",
    "2001-12-14",
    "yes",
    "version: 2",
    "base64: '!!!'",
    "at: x",
    "elapsed: x",
    "elapsed: [1]",
    "status: 999",
    "status: '200'",
    "body_style: fancy",
    "events: 1",
    "reads: {}",
    "text: 5",
    "\x00",
    "\ufeff",
    "%YAML 1.1\n---\n",
    "...\n",
    "---\n",
    "? ",
    "|\n  ",
    ">-\n  ",
    "[[[[[[[[",
    "é",
    "\udcff",
]


@st.composite
def text_mutations(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        choice = draw(st.integers(0, 4))
        if choice == 0:
            text = text[:at] + draw(st.sampled_from(YAML_TOKENS) | st.text(max_size=6)) + text[at:]
        elif choice == 1:
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif choice == 2:
            text = text[:at]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = (lines[j], lines[i]) if choice == 3 else (lines[j], lines[j])
            text = "\n".join(lines)
    return text


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.dates()
    | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def structure_mutations(draw: st.DrawFn) -> str:
    data = yaml.safe_load(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        path = _pick(draw, _containers(data))
        target = data
        for step in path:
            target = target[step]
        if isinstance(target, dict):
            key = _pick(draw, [*sorted(map(str, target)), "version", "status", "text", "reads", "events"])
            if key in target and draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(yaml_values)
        elif isinstance(target, list) and target:
            target[draw(st.integers(0, len(target) - 1))] = draw(yaml_values)
    return yaml.safe_dump(data, allow_unicode=True)


def _utf8(text: str) -> bytes:
    return (
        text.encode("utf-8", "surrogateescape") if "\udcff" not in text else text.encode("utf-8", "replace")
    )


cassette_files = st.one_of(
    text_mutations().map(_utf8),
    structure_mutations().map(_utf8),
    st.sampled_from(SEEDS).map(_utf8),
    st.binary(max_size=200),
    st.text(max_size=200).map(_utf8),
)


@given(content=cassette_files)
@example(content=b"version: 1\ninteractions: " + b"[" * 5000 + b"]" * 5000)
@example(content=SEEDS[0].replace("elapsed: 0.25", "elapsed: x").encode())
@example(content=SEEDS[0].replace("elapsed: 0.25", "elapsed: [1]").encode())
@example(content=SEEDS[1].replace("text: '{", "text: '" + "[" * 5000 + "{").encode())
@example(content=b"\xff\xfe")
@example(content=b"version: 1\nname: 2001-13-45\ninteractions: []\n")  # PyYAML: ValueError
@example(content=b"version: 1\nname: !!timestamp soon\ninteractions: []\n")  # PyYAML: AttributeError
@example(content=b"version: 1\nname: !!bool maybe\ninteractions: []\n")  # PyYAML: KeyError
@example(content=b"!!int ")  # PyYAML: IndexError
def fuzz_cassette_loader(path: Path, content: bytes) -> None:
    RAN["fuzz_cassette_loader"] += 1
    path.write_bytes(content)
    try:
        cassette = load_cassette(path)
    except CassetteError as exc:
        assert exc.source == str(path)
        assert str(path) in str(exc)
    else:
        assert isinstance(cassette, Cassette) and cassette.path == path


@pytest.mark.parametrize("examples", BUDGETS)
def test_fuzz_cassette_loader(examples: int, tmp_path: Path) -> None:
    """Random and mutated YAML: a Cassette, or one CassetteError naming the file; nothing else."""
    path = tmp_path / "fuzzed.yaml"
    run_fuzz(fuzz_cassette_loader, examples, path)


def test_the_cassette_seeds_load() -> None:
    """The fuzz starts from valid files, so its mutations reach the checks beyond YAML syntax."""
    from contract_kit.cassettes import parse_cassette

    json_seed, stream_seed = (parse_cassette(seed, "seed.yaml") for seed in SEEDS)
    assert json_seed.interactions[0].response.body["object"] == "chat.completion"
    assert stream_seed.interactions[0].response.is_stream and stream_seed.interactions[1].response.cut
