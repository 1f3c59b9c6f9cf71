"""``serve --proxy``: a validating, recording proxy in front of the live-API stand-in, driven by real clients."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from standin import KEY, MODEL, PLANTS, StandIn, chat_body, serve

from contract_kit.cassettes import list_cassettes, load_cassette, replay_handler_for_dir
from contract_kit.contract import Contract
from contract_kit.drift import DriftChecker, ProxySettings, ValidatingProxy, write_json
from contract_kit.mock import MockRequest
from contract_kit.mock.transports import BackgroundServer
from contract_kit.redact import Secret

PACED = "fault:pacedstreamx*"


@dataclass
class Proxied:
    standin: StandIn
    direct: str  # the stand-in's base URL
    proxy: str  # the proxy's base URL
    app: ValidatingProxy
    lines: list[str]
    record_dir: Path


@contextmanager
def proxied(tmp: Path, *, pass_key: bool = False, strict: bool = False) -> Iterator[Proxied]:
    lines: list[str] = []
    with serve() as (standin, direct):
        settings = ProxySettings(
            direct,
            key=None if pass_key else Secret(KEY),
            pass_key=pass_key,
            strict=strict,
            record_dir=tmp / "rec",
        )
        app = ValidatingProxy(settings, DriftChecker.for_spec(), log=lines.append)
        with BackgroundServer(app) as server:  # type: ignore[arg-type]
            yield Proxied(standin, direct, server.base_url, app, lines, tmp / "rec")


@pytest.fixture
def px(tmp_path: Path) -> Iterator[Proxied]:
    with proxied(tmp_path) as value:
        yield value


def _post(base: str, body: dict[str, object], key: str = "sk-client-dummy", **headers: str) -> httpx.Response:
    return httpx.post(
        f"{base}/chat/completions", json=body, headers={"Authorization": f"Bearer {key}", **headers}
    )


def test_json_comes_back_byte_for_byte_through_the_openai_sdk_and_curl(px: Proxied) -> None:
    body = chat_body("Hello there")
    direct = _post(px.direct, body, key=KEY).content
    via_httpx = _post(px.proxy, body).content
    assert via_httpx == direct
    sdk = openai.OpenAI(api_key="sk-client-dummy", base_url=px.proxy, max_retries=0)
    raw = sdk.chat.completions.with_raw_response.create(**body)  # type: ignore[arg-type]
    assert raw.http_response.content == direct
    if shutil.which("curl"):
        curl = subprocess.run(
            ["curl", "-s", "-X", "POST", f"{px.proxy}/chat/completions", "-H", "Content-Type: application/json",
             "-H", "Authorization: Bearer sk-client-dummy", "--data-binary", json.dumps(body)],
            capture_output=True, timeout=10, check=True,
        )  # fmt: skip
        assert curl.stdout == direct


def test_a_stream_comes_back_chunk_for_chunk_unbuffered(px: Proxied) -> None:
    body = chat_body(PACED, stream=True)
    with httpx.stream(
        "POST", f"{px.direct}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
    ) as r:
        expected = list(r.iter_raw())
    received: list[bytes] = []
    with httpx.stream(
        "POST", f"{px.proxy}/chat/completions", json=body, headers={"Authorization": "Bearer x"}
    ) as r:
        for data in r.iter_raw():
            received.append(data)
            if len(received) == 1:
                assert not px.lines  # the first chunk arrived while the stream was still running
    assert received == expected and len(expected) > 3
    sdk = openai.OpenAI(api_key="sk-client-dummy", base_url=px.proxy, max_retries=0)
    chunks = list(sdk.chat.completions.create(**body))  # type: ignore[call-overload]
    assert len(chunks) == len(expected) - 1 and chunks[-1].choices[0].finish_reason  # all but [DONE]


def test_cassettes_are_grouped_per_test_header_and_replay_offline(px: Proxied, contract: Contract) -> None:
    body, stream = chat_body("Record me"), chat_body("Record my stream", stream=True)
    live_json = _post(px.proxy, body, **{"x-contract-test": "tests/test_a.py::test_one"}).content
    live_stream = _post(px.proxy, stream, **{"x-contract-test": "tests/test_a.py::test_one"}).content
    _post(px.proxy, chat_body("Other"))
    names = sorted(load_cassette(path).name for path in list_cassettes(px.record_dir))
    assert (
        len(names) == 2 and names[0].startswith("proxy-session-") and names[1] == "tests/test_a.py::test_one"
    )
    replay = replay_handler_for_dir(px.record_dir, contract)
    for sent, live in ((body, live_json), (stream, live_stream)):
        request = MockRequest(
            "POST", "http://x/v1/chat/completions", "/v1/chat/completions", {"content-type": "application/json"},
            json.dumps(sent).encode(),
        )  # fmt: skip
        assert replay(request).full_body() == live


def test_the_report_finds_the_planted_deviations_and_never_holds_the_key(px: Proxied, tmp_path: Path) -> None:
    plants = ["extra-field", "type-change", "chunk-extra-field", "no-done"]
    for plant in plants:
        _post(px.proxy, chat_body(f"plant:{plant}", stream=PLANTS[plant][0]))
    report_path = write_json(tmp_path / "drift.json", px.app.report(), px.app.redactor, what="drift report")
    report = json.loads(report_path.read_text())
    found = {(f["kind"], f["severity"], f["where"], f["path"]) for f in report["findings"]}
    for plant in plants:
        assert PLANTS[plant][1] in found, plant
    assert any("undocumented-field" in line and "mood" in line for line in px.lines)
    written = [report_path.read_text(), *(p.read_text() for p in list_cassettes(px.record_dir))]
    assert not any(KEY in text for text in [*written, *px.lines])


def test_strict_answers_an_invalid_request_with_the_mocks_400_and_does_not_forward_it(tmp_path: Path) -> None:
    with proxied(tmp_path, strict=True) as px:
        rejected = _post(px.proxy, {"model": MODEL, "messages": [{"role": "robot", "content": "x"}]})
        assert rejected.status_code == 400 and rejected.json()["error"]["param"] == "messages[0].role"
        assert px.standin.paths == []
        assert _post(px.proxy, chat_body("fine")).status_code == 200
        assert px.standin.paths == ["/v1/chat/completions"]


def test_pass_key_forwards_the_clients_key_and_records_none(tmp_path: Path) -> None:
    with proxied(tmp_path, pass_key=True) as px:
        assert _post(px.proxy, chat_body("mine"), key=KEY).status_code == 200
        wrong = _post(px.proxy, chat_body("mine"), key="sk-wrong-key-for-the-standin")
        assert wrong.status_code == 401  # the stand-in's own answer, unchanged
        cassettes = "".join(p.read_text() for p in list_cassettes(px.record_dir))
    assert KEY not in cassettes and "sk-wrong-key-for-the-standin" not in cassettes
    assert not any(KEY in line for line in px.lines)


NODE_SCRIPT = """
const [base, test] = process.argv.slice(2);
const headers = {"content-type": "application/json", "authorization": "Bearer sk-node", "x-contract-test": test};
const body = {model: "MODEL", messages: [{role: "user", content: "From Node"}], max_tokens: 30};
const json = await (await fetch(base + "/chat/completions", {method: "POST", headers, body: JSON.stringify(body)})).json();
const res = await fetch(base + "/chat/completions", {method: "POST", headers, body: JSON.stringify({...body, stream: true})});
let text = ""; for await (const part of res.body) text += new TextDecoder().decode(part);
console.log(JSON.stringify({content: json.choices[0].message.content, done: text.includes("[DONE]")}));
""".replace("MODEL", MODEL)

REPLAY_TEST = """
import openai

def test_replays_node_recording(chat_cassette):
    client = openai.OpenAI(api_key="sk-dummy", base_url="https://api.aimlapi.com/v1", max_retries=0)
    body = dict(model="%s", messages=[{"role": "user", "content": "From Node"}], max_tokens=30)
    assert client.chat.completions.create(**body).choices[0].message.content == %r
    chunks = list(client.chat.completions.create(**body, stream=True))
    assert chunks and chunks[-1].choices[0].finish_reason
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_fetch_through_the_proxy_records_a_cassette_pytest_replays(
    px: Proxied, tmp_path: Path, pytester: pytest.Pytester
) -> None:
    script = tmp_path / "client.mjs"
    script.write_text(NODE_SCRIPT)
    node = subprocess.run(
        ["node", str(script), px.proxy, "test_node_replay.py::test_replays_node_recording"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    seen = json.loads(node.stdout)
    assert seen["done"] is True
    pytester.makepyfile(test_node_replay=REPLAY_TEST % (MODEL, seen["content"]))
    result = pytester.runpytest(
        "--rootdir", str(pytester.path), "--cassette-dir", str(px.record_dir), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)


def test_an_upstream_cut_reaches_the_client_as_a_cut_and_is_recorded(px: Proxied) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _post(px.proxy, chat_body("fault:cutx*", stream=True), **{"x-contract-test": "cut"})
    recorded = load_cassette(next(p for p in list_cassettes(px.record_dir) if "cut" in p.name))
    assert recorded.interactions[0].response.cut is True
    assert any("dropped the connection" in line for line in px.lines)
