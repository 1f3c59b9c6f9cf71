"""``contract-kit check``: the main job, run as a user runs it, against the mock and over HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_kit import load_contract
from contract_kit.cli import main
from contract_kit.mock import ChatServer, MockRequest, MockResponse, error_response
from contract_kit.mock.transports import BackgroundServer, make_app

TITLES = (
    "valid request -> 200 with a conforming answer",
    "invalid request -> 4xx with an error body",
    "stream and JSON answers agree",
)


def check(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it (the interpreter's copy when scripts are elsewhere)."""
    script = Path(sys.executable).with_name("contract-kit")
    command = (
        [str(script)]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "import sys; from contract_kit.cli import main; sys.exit(main(sys.argv[1:]))",
        ]
    )
    return subprocess.run(
        [*command, "check", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_check_passes_against_the_embedded_mock_and_prints_a_summary() -> None:
    result = check("--examples", "40", "--seed", "7")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "contract-kit check: profile observed, 40 examples per property, seed 7"
    assert lines[1] == "target: mock (in-process, profile observed, seed 7)"
    header = next(line for line in lines if line.strip().startswith("property"))
    assert header.split() == ["property", "examples", "passed", "failed", "result"]
    for title in TITLES:
        row = next(line for line in lines if line.strip().startswith(title))
        assert row.split()[-4:] == ["40", "40", "0", "ok"]
    assert any(line.startswith("request schema coverage: ") for line in lines)
    assert lines[-1] == "ok: all 3 properties hold"
    assert result.stderr == ""


def test_the_same_seed_prints_the_same_report(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(2):
        assert main(["check", "--examples", "15", "--seed", "3", "--profile", "documented"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "profile documented" in outputs[0]


def test_without_a_seed_one_is_chosen_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--examples", "5", "--property", "valid"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("contract-kit check: profile observed, 5 examples per property, seed ")
    assert first.rsplit(" ", 1)[1].isdigit()


def test_property_filter_runs_only_what_is_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--examples", "5", "--seed", "1", "--property", "invalid"]) == 0
    out = capsys.readouterr().out
    assert TITLES[1] in out and TITLES[0] not in out and TITLES[2] not in out
    assert out.rstrip().endswith("ok: all 1 properties hold")


# -- over HTTP -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served_mock() -> Iterator[ChatServer]:
    with ChatServer(load_contract("observed"), seed=1, require_auth=False) as server:
        yield server


def always_500(request: MockRequest) -> MockResponse:
    return error_response(500, "upstream exploded")


@pytest.fixture(scope="module")
def broken_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(make_app(always_500)) as server:
        yield server


def test_check_against_a_loopback_server_runs_all_three_properties(
    served_mock: ChatServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", "--target", served_mock.base_url, "--no-auth", "--examples", "10", "--seed", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"target: {served_mock.base_url}/chat/completions" in out
    assert "skipped" not in out


def test_a_failing_target_exits_1_with_the_minimal_example_and_how_to_rerun(
    broken_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    base = broken_server.base_url
    args = ["--examples", "5", "--seed", "4", "--property", "valid", "--no-auth"]
    assert main(["check", "--target", base, *args]) == 1
    out = capsys.readouterr().out
    assert "FAILED valid: valid request -> 200 with a conforming answer" in out
    example = out.split("minimal failing example:\n", 1)[1].split("  what went wrong:", 1)[0]
    assert '"role": "user"' in example and '"tools"' not in example
    assert "    - status 500, expected 200; body: " in out
    assert out.rstrip().endswith(
        f"reproduce with: contract-kit check --target {base} --examples 5 --seed 4 "
        "--profile observed --no-auth --property valid"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "ftp://example.com"], "is neither 'mock' nor an http(s) URL"),
        (["--profile", "nope"], "invalid choice: 'nope'"),
        (["--examples", "0"], "must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["check", *args])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err


# -- a URL target and its key --------------------------------------------------------------------------
def test_a_url_target_without_a_key_exits_2_saying_how_to_pass_one(
    served_mock: ChatServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    assert main(["check", "--target", served_mock.base_url, "--examples", "3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was sent, not even the header line
    assert "needs the API key: set AIMLAPI_API_KEY" in captured.err
    assert "--no-auth" in captured.err


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[ChatServer]:
    with ChatServer(load_contract("observed"), seed=1, require_auth=True) as server:
        yield server


def test_a_property_that_only_met_401s_is_never_reported_as_holding(
    keyed_server: ChatServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-auth against a server that needs a key: every answer is 401, so nothing holds."""
    assert (
        main(["check", "--target", keyed_server.base_url, "--no-auth", "--examples", "20", "--seed", "3"])
        == 1
    )
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "->" in line or "agree" in line][:3]
    assert len(rows) == 3 and all(row.rstrip().endswith("error") for row in rows), rows
    assert "ok:" not in out and "FAILED: 3 of 3 properties do not hold" in out
    assert "answered 401 (it refused the credentials)" in out
    assert len(keyed_server.calls) == 1  # the first refusal stops the run: no shrinking over the network
