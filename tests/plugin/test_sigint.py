"""Ctrl+C while a test records: no cassette is written, a half-written one never appears,
and an older cassette for the same test stays exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from standin import KEY, StandIn, serve

TEST = """
import httpx

def ask(prompt, stream):
    body = {"model": "m", "messages": [{"role": "user", "content": prompt}], "max_tokens": 30, "stream": stream}
    with httpx.Client(base_url="https://api.aimlapi.com/v1") as client, \\
            client.stream("POST", "/chat/completions", json=body) as response:
        return b"".join(response.iter_raw())

def test_two_calls(chat_cassette):
    ask("first call completes", False)
    ask("fault:slowstream second call is interrupted", True)
"""


def test_sigint_during_recording_leaves_no_partial_cassette(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sig.py").write_text(TEST)
    cassettes = tmp_path / "fixtures" / "cassettes"
    cassettes.mkdir(parents=True)
    old = cassettes / "test_sig__test_two_calls.yaml"
    old.write_text("version: 1\nname: old\ninteractions: []\n")
    standin = StandIn()
    with serve(standin) as (_, base):
        env = {**os.environ, "AIMLAPI_API_KEY": KEY, "PYTHONUNBUFFERED": "1"}
        env.pop("AIMLAPI_BASE_URL", None)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "--contract-mode=record",
                f"--contract-base-url={base}",
                "test_sig.py",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert standin.started.wait(30), "the slow stream never started"
            time.sleep(0.3)  # some chunks have arrived; the stream is mid-way
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
        finally:
            process.kill()
    text = output.decode(errors="replace")
    assert process.returncode == 2, text  # pytest's "interrupted"
    assert "KeyboardInterrupt" in text and KEY not in text
    assert standin.calls["first call completes"] == 1
    assert sorted(p.name for p in cassettes.iterdir()) == [old.name]  # no temporary or lock file either
    assert old.read_text() == "version: 1\nname: old\ninteractions: []\n"
