"""``contract-kit serve`` as a user starts it: a subprocess, driven by curl and httpx."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

MODEL = "alibaba/qwen3-vl-32b-thinking"
KEY = "sk-serve-cli-5d1e0a"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``contract-kit serve ARGS`` on a free port; yields its URL and the process (stderr readable after)."""
    port = free_port()
    command = [sys.executable, "-m", "contract_kit", "serve", "--port", str(port), *args]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/_contract/calls", timeout=0.5)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(
                        process.stderr.read() if process.stderr else "serve exited"
                    ) from None
                time.sleep(0.1)
        yield url, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stopped_stderr(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    return err


def test_serve_with_keys_rules_and_a_console_line_per_request(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - when: {last_user: ping}\n    reply: {scenario: reply, text: pong}\n")
    with serving("--api-key", KEY, "--api-key", "sk-other", "--rules", str(rules)) as (url, process):
        headers = {"Authorization": f"Bearer {KEY}"}
        chat = {"model": MODEL, "messages": [{"role": "user", "content": "ping"}]}
        answer = httpx.post(url + "/v1/chat/completions", json=chat, headers=headers)
        assert answer.json()["choices"][0]["message"]["content"] == "pong"
        assert (
            httpx.post(
                url + "/v1/chat/completions", json=chat, headers={"Authorization": "Bearer x"}
            ).status_code
            == 401
        )
        assert httpx.get(url + "/v1/models", headers=headers).json()["data"][0]["id"] == MODEL
        err = stopped_stderr(process)
    lines = [line for line in err.splitlines() if line.startswith(("POST /v1", "GET /v1"))]
    assert lines[0].startswith("POST /v1/chat/completions 200 ") and lines[0].endswith("[reply]")
    assert lines[1].startswith("POST /v1/chat/completions 401 ")
    assert lines[2].startswith("GET /v1/models 200 ")
    assert KEY not in err
    assert f"POST {url}/v1/chat/completions (base URL {url}/v1)" in err  # the bundled document's banner


def test_serve_on_azures_document_routes_its_server_path_and_template() -> None:
    import openai
    from published import AZURE

    with serving("--spec", str(AZURE), "--quiet") as (url, process):
        client = openai.AzureOpenAI(api_key="k", azure_endpoint=url, api_version="2024-10-21", max_retries=0)
        assert client.chat.completions.create(model="team-gpt", messages=[{"role": "user", "content": "Hi"}])
        calls = httpx.get(url + "/_contract/calls").json()["calls"]
        assert calls[-1]["path"] == "/openai/deployments/team-gpt/chat/completions"
        assert calls[-1]["status"] == 200
        for path in ("/openai/chat/completions", "/v2/chat/completions", "/v1/chat/completions"):
            wrong = httpx.post(
                url + path, params={"api-version": "2024-10-21"}, headers={"api-key": "k"}, json={}
            )
            assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found", path
        err = stopped_stderr(process)
    banner = f"POST {url}/openai/deployments/{{deployment-id}}/chat/completions (base URL {url}/openai)"
    assert banner in err


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_cors_preflight_with_curl_and_quiet() -> None:
    with serving("--cors", "https://ui.example.com", "--quiet") as (url, process):
        result = subprocess.run(
            ["curl", "-s", "-i", "-X", "OPTIONS", url + "/v1/chat/completions",
             "-H", "Origin: https://ui.example.com", "-H", "Access-Control-Request-Method: POST"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        err = stopped_stderr(process)
    assert "OPTIONS /v1" not in err
    head = result.stdout.lower()
    assert head.startswith("http/1.1 204")
    assert "access-control-allow-origin: https://ui.example.com" in head


def test_bad_rules_file_is_a_usage_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        json.dumps({"rules": [{"when": {"colour": "red"}, "reply": {"scenario": "reply", "text": "x"}}]})
    )
    result = subprocess.run(
        [sys.executable, "-m", "contract_kit", "serve", "--rules", str(rules), "--port", str(free_port())],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2 and "colour" in result.stderr


def test_serve_proxy_writes_the_report_at_shutdown_and_never_shows_the_key(tmp_path: Path) -> None:
    from standin import KEY as STANDIN_KEY
    from standin import chat_body
    from standin import serve as standin_serve

    report = tmp_path / "drift.json"
    with standin_serve() as (_, upstream):
        args = ("--proxy", upstream, "--record", str(tmp_path / "rec"), "--report", str(report))
        with serving(*args, env={"AIMLAPI_API_KEY": STANDIN_KEY}) as (url, process):
            answer = httpx.post(
                url + "/v1/chat/completions",
                json=chat_body("plant:extra-field"),
                headers={"x-contract-test": "t1"},
            )
            assert answer.status_code == 200
            err = stopped_stderr(process)
    assert process.returncode == 0  # additive drift only: no new breaking finding
    findings = json.loads(report.read_text())["findings"]
    new = [(f["kind"], f["path"]) for f in findings if not f["known"]]
    assert new == [("undocumented-field", "$.choices[*].message.mood")]
    assert "POST /v1/chat/completions 200" in err and "undocumented-field" in err
    written = report.read_text() + "".join(p.read_text() for p in (tmp_path / "rec").glob("*.yaml"))
    assert STANDIN_KEY not in err + written


def test_no_answer_check_still_serves_conforming_answers() -> None:
    """The benchmark switch: answers are sent unchecked, and the mock's own answers conform anyway."""
    from contract_kit import load_contract

    contract = load_contract("observed")
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "ping"}]}
    with serving("--no-answer-check", "--no-auth", "--quiet") as (url, process):
        answer = httpx.post(url + "/v1/chat/completions", json=chat)
        streamed = httpx.post(url + "/v1/chat/completions", json={**chat, "stream": True})
        stopped_stderr(process)
    assert answer.status_code == 200 and contract.validate_response(answer.json()) == []
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
