"""The pytest wiring of record / replay / drift, tested from the outside with pytester.

Each test writes a small test file that calls the API with plain httpx (or
the openai SDK), runs pytest on it in a mode, and checks the outcome, the
exact lines printed and the files written. "Live" is the stand-in server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from standin import KEY, StandIn, serve

from contract_kit.cassettes import load_cassette
from contract_kit.contract import load_overlay

pytest_plugins = ["pytester"]

CLIENT = """
import json, os
import httpx, openai, pytest

API = "https://api.aimlapi.com/v1"

def ask(prompt, stream=False, key="sk-dummy"):
    body = {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 30, "stream": stream}
    with httpx.Client(base_url=API, headers={"authorization": f"Bearer {key}"}) as client, \\
            client.stream("POST", "/chat/completions", json=body) as response:
        return response.status_code, b"".join(response.iter_raw())

def ask_openai(prompt):
    client = openai.OpenAI(api_key="sk-dummy", base_url=API, max_retries=1)
    return client.chat.completions.create(model="alibaba/qwen3-vl-32b-thinking", max_tokens=30,
                                          messages=[{"role": "user", "content": prompt}])
"""

NO_NETWORK = """
import socket, pytest

@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("networking is disabled in replay")
    monkeypatch.setattr(socket.socket, "connect", refuse)
"""


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[StandIn, str]]:
    with serve() as pair:
        yield pair


@pytest.fixture
def record_args(live: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    monkeypatch.delenv("AIMLAPI_BASE_URL", raising=False)
    return [f"--contract-base-url={live[1]}", "--contract-backoff=0.01", "-p", "no:cacheprovider"]


def _write(pytester: pytest.Pytester, body: str, name: str = "test_chat") -> None:
    pytester.makepyfile(**{name: CLIENT + body})


def _files_text(root: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def test_replay_without_a_cassette_fails_naming_the_file_and_the_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    _write(
        pytester,
        """
def test_a(chat_cassette):
    ask("hello")

def test_sdk(chat_cassette):
    ask_openai("hello")

def test_no_call(chat_cassette):
    assert chat_cassette.mode == "replay"
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*CassetteNotFoundError: test_chat.py::test_a has no cassette to replay: "
            "*/fixtures/cassettes/test_chat__test_a.yaml does not exist. Record it with:",
            "*    pytest --contract-mode=once 'test_chat.py::test_a'",
            "*CassetteNotFoundError: test_chat.py::test_sdk has no cassette to replay*",  # not openai's wrapper
        ]
    )


def test_record_then_replay_offline_byte_for_byte(
    pytester: pytest.Pytester,
    live: tuple[StandIn, str],
    record_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin, _ = live
    _write(
        pytester,
        """
import pathlib

def test_json(chat_cassette):
    status, raw = ask("record json", key=os.environ.get("AIMLAPI_API_KEY", "sk-x"))
    assert status == 200 and json.loads(raw)["object"] == "chat.completion"
    pathlib.Path(f"seen-json-{chat_cassette.mode}.bin").write_bytes(raw)

def test_stream(chat_cassette):
    status, raw = ask("record stream", stream=True)
    assert raw.endswith(b"data: [DONE]\\n\\n")
    pathlib.Path(f"seen-stream-{chat_cassette.mode}.bin").write_bytes(raw)
""",
    )
    pytester.runpytest("--contract-mode=record", *record_args).assert_outcomes(passed=2)
    cassettes = pytester.path / "fixtures" / "cassettes"
    assert sorted(p.name for p in cassettes.iterdir()) == [
        "test_chat__test_json.yaml",
        "test_chat__test_stream.yaml",
    ]
    assert KEY not in _files_text(pytester.path)
    calls = sum(standin.calls.values())

    monkeypatch.delenv("AIMLAPI_API_KEY")
    pytester.makeconftest(NO_NETWORK)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    for kind in ("json", "stream"):
        assert (pytester.path / f"seen-{kind}-replay.bin").read_bytes() == (
            pytester.path / f"seen-{kind}-record.bin"
        ).read_bytes()
    assert sum(standin.calls.values()) == calls


def test_a_changed_request_fails_with_a_diff_and_the_record_command(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(pytester, 'def test_a(chat_cassette):\n    ask("first wording")\n')
    pytester.runpytest("--contract-mode=record", *record_args).assert_outcomes(passed=1)
    _write(pytester, 'def test_a(chat_cassette):\n    ask("second wording")\n')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*CassetteMismatchError: no recorded interaction in */test_chat__test_a.yaml matches "
            "POST /v1/chat/completions*",
            '*-      "content": "first wording",',
            '*+      "content": "second wording",',
            "*pytest --contract-mode=record 'test_chat.py::test_a'",
        ]
    )


def test_once_records_only_what_is_missing_and_live_writes_nothing(
    pytester: pytest.Pytester, live: tuple[StandIn, str], record_args: list[str]
) -> None:
    standin, _ = live
    _write(pytester, 'def test_a(chat_cassette):\n    assert ask("once only")[0] == 200\n')
    for _ in range(2):
        pytester.runpytest("--contract-mode=once", *record_args).assert_outcomes(passed=1)
    assert standin.calls["once only"] == 1
    _write(pytester, 'def test_b(chat_cassette):\n    assert ask("live only")[0] == 200\n', name="test_live")
    pytester.runpytest("--contract-mode=live", "test_live.py", *record_args).assert_outcomes(passed=1)
    assert standin.calls["live only"] == 1
    assert [p.name for p in (pytester.path / "fixtures" / "cassettes").iterdir()] == [
        "test_chat__test_a.yaml"
    ]


@pytest.mark.parametrize("mode", ["record", "live"])
def test_a_live_mode_without_the_key_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    _write(pytester, "def test_a(chat_cassette):\n    pass\n")
    result = pytester.runpytest(f"--contract-mode={mode}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--contract-mode={mode} talks to the live API and needs an API key: export AIMLAPI_API_KEY=*"]
    )


def test_bad_mode_values_list_the_choices(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncontract_mode = replya\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*contract_mode = 'replya' is not one of the choices: replay, record, once, live"]
    )


DRIFTING = """
def test_breaking(chat_cassette):
    assert ask("plant:type-change now")[0] == 200

def test_additive(chat_cassette):
    assert ask("plant:extra-field now")[0] == 200
"""


def test_new_breaking_drift_fails_the_test_by_default_and_the_summary_shows_the_table(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(pytester, DRIFTING)
    result = pytester.runpytest("--contract-mode=live", *record_args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*DriftError: the live API broke the contract (1 new breaking finding(s); --contract-drift=warn*",
            "*  - type-mismatch (breaking) at $.created [[]json, status 200]*",
            "*contract-kit drift*",
            "contract drift: 2 new (1 additive, 1 breaking); 5 known (5 additive) in 2 checked response(s)",
            "NEW   breaking type-mismatch       json   200    $.created*",
            "NEW   additive undocumented-field  json   200    $.choices[[]*[]].message.mood*",
            "known additive undocumented-field*",
        ]
    )
    result.stdout.fnmatch_lines(["*DriftWarning: contract drift: undocumented-field (additive)*"])


@pytest.mark.parametrize(("expires", "failed"), [("2999-01-01", 0), ("2000-01-01", 1)])
def test_a_baseline_entry_accepts_its_finding_until_it_expires(
    pytester: pytest.Pytester, record_args: list[str], expires: str, failed: int
) -> None:
    _write(pytester, DRIFTING)
    pytester.path.joinpath("drift-baseline.yaml").write_text(
        "version: 1\nentries:\n"
        "  - {kind: type-mismatch, path: $.created, where: json, reason: we parse both, "
        f"expires: '{expires}'}}\n"
    )
    result = pytester.runpytest(
        "--contract-mode=live", "--contract-drift-baseline=drift-baseline.yaml", *record_args
    )
    result.assert_outcomes(passed=2 - failed, failed=failed)
    assert ("known breaking type-mismatch" in result.stdout.str()) is (failed == 0)


@pytest.mark.parametrize(("policy", "table"), [("warn", True), ("off", False)])
def test_warn_and_off_never_fail(
    pytester: pytest.Pytester, record_args: list[str], policy: str, table: bool
) -> None:
    _write(pytester, DRIFTING)
    result = pytester.runpytest("--contract-mode=live", f"--contract-drift={policy}", *record_args)
    result.assert_outcomes(passed=2)
    assert ("NEW   breaking type-mismatch" in result.stdout.str()) is table


def test_report_and_overlay_files_hold_the_findings_and_no_key(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(pytester, DRIFTING)
    result = pytester.runpytest(
        "--contract-mode=record",
        "--contract-drift=warn",
        "--contract-drift-report=out/r.json",
        "--contract-drift-overlay=out/proposed.yaml",
        *record_args,
    )
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "out" / "r.json").read_text())
    assert report["responses"] == 2 and report["mode"] == "record"
    new = [(f["kind"], f["path"]) for f in report["findings"] if not f["known"]]
    assert new == [("type-mismatch", "$.created"), ("undocumented-field", "$.choices[*].message.mood")]
    overlay = load_overlay(pytester.path / "out" / "proposed.yaml")
    assert len(overlay.actions) == 3  # remove + anyOf for the type, one property for the field
    result.stdout.fnmatch_lines(
        [
            "drift report written to */out/r.json",
            "proposed overlay (3 action(s)) written to */out/proposed.yaml",
        ]
    )
    assert KEY not in _files_text(pytester.path) and KEY not in result.stdout.str()


def test_the_proposal_names_the_teams_overlay_and_accepting_it_makes_the_drift_known(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(pytester, DRIFTING)
    team = pytester.path / "team.yaml"
    team.write_text(
        'overlay: 1.0.0\ninfo: {title: team, version: "1"}\n'
        "actions:\n  - target: $.info\n    update: {x-team: ours}\n"
    )
    pytester.makeini("[pytest]\ncontract_overlays = team.yaml\n")
    args = ["--contract-mode=live", "--contract-drift=warn", "--contract-drift-overlay=proposed.yaml"]
    pytester.runpytest(*args, *record_args).assert_outcomes(passed=2)
    proposal = yaml.safe_load((pytester.path / "proposed.yaml").read_text())
    assert proposal["x-contract-kit"]["accept-into"] == str(team)
    accepted = yaml.safe_load(team.read_text())
    accepted["actions"] += proposal["actions"]
    team.write_text(yaml.safe_dump(accepted))
    result = pytester.runpytest("--contract-mode=live", "--contract-drift=fail", *record_args)
    result.assert_outcomes(passed=2)  # the reviewed drift is known now: nothing new fails
    assert "NEW " not in result.stdout.str()


def test_a_live_fault_fails_the_test_clearly_and_records_nothing(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(
        pytester,
        """
def test_sdk(chat_cassette):
    ask_openai("fault:500x* always")

def test_httpx(chat_cassette):
    ask("fault:cutx* always", stream=True)
""",
    )
    result = pytester.runpytest(
        "--contract-mode=record", "--contract-retries=1", "--contract-drift-report=r.json", *record_args
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*LiveAPIError: the live API at http://127.0.0.1:*/v1 failed for POST /chat/completions after 2 attempt(s): "
            "status 500 Internal Server Error. Nothing was recorded for this test; the API is failing*",
            "*LiveAPIError: *failed for POST /chat/completions after 2 attempt(s): the connection dropped after*",
        ]
    )
    assert not (pytester.path / "fixtures" / "cassettes").exists()
    report = json.loads((pytester.path / "r.json").read_text())
    faults = [f for f in report["findings"] if f["kind"] == "live-fault"]
    assert {f["rules"][0] for f in faults} == {"status", "cut"}


def test_secrets_appear_in_nothing_written_or_printed(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    _write(
        pytester,
        """
import logging

def test_fails_after_recording(chat_cassette):
    key = "not-the-key"
    status, raw = ask("secret check", key=os.environ["AIMLAPI_API_KEY"])
    logging.getLogger("contract_kit").debug("settings %r", chat_cassette)
    assert status == 418, raw

def test_fault(chat_cassette):
    ask("fault:500x* secret", key=os.environ["AIMLAPI_API_KEY"])
""",
    )
    result = pytester.runpytest(
        "--contract-mode=record",
        "--contract-retries=0",
        "-l",
        "-vv",
        "--tb=long",
        "--log-level=DEBUG",
        "-o",
        "log_cli=true",
        "-o",
        "log_cli_level=DEBUG",
        "--contract-drift-report=r.json",
        "--contract-drift-overlay=o.yaml",
        *record_args,
    )
    result.assert_outcomes(failed=2)
    printed = result.stdout.str() + result.stderr.str()
    assert "assert 200 == 418" in printed  # the failure really was printed, locals and logs included
    assert KEY not in printed
    assert KEY not in _files_text(pytester.path)
    assert load_cassette(
        pytester.path / "fixtures" / "cassettes" / "test_chat__test_fails_after_recording.yaml"
    )


def test_recording_under_xdist_loses_nothing_and_merges_one_report(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    tests = "\n".join(
        f"""
def test_{n}(chat_cassette):
    assert ask("xdist {n}", stream={n % 2 == 0})[0] == 200
"""
        for n in range(4)
    )
    shared = "\n".join(
        f"""
@pytest.mark.contract_cassette(name="shared")
def test_shared_{n}(chat_cassette):
    assert ask("plant:extra-field shared {n}")[0] == 200
"""
        for n in range(4)
    )
    _write(pytester, tests + shared)
    quiet = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:recording"]
    result = pytester.runpytest(
        "-n", "2", "--contract-mode=record", "--contract-drift-report=r.json", *quiet, *record_args
    )
    result.assert_outcomes(passed=8)
    cassettes = pytester.path / "fixtures" / "cassettes"
    assert sorted(p.name for p in cassettes.iterdir()) == [
        "shared.yaml",
        *[f"test_chat__test_{n}.yaml" for n in range(4)],
    ]
    shared_prompts = sorted(
        i.request.body["messages"][0]["content"]
        for i in load_cassette(cassettes / "shared.yaml").interactions
    )
    assert shared_prompts == [f"plant:extra-field shared {n}" for n in range(4)]
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["responses"] == 8
    mood = next(f for f in report["findings"] if f["path"] == "$.choices[*].message.mood")
    assert mood["count"] == 4 and not mood["known"]
    result.stdout.fnmatch_lines(
        [
            "contract drift: 1 new (1 additive); * in 8 checked response(s)",
            "5 cassette(s) written to */fixtures/cassettes",
        ]
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=8)  # and all of it replays


def test_a_malformed_cassette_is_one_usage_error_naming_file_and_line(pytester: pytest.Pytester) -> None:
    _write(pytester, 'def test_a(chat_cassette):\n    ask("hello")\n\ndef test_b():\n    pass\n')
    cassettes = pytester.path / "fixtures" / "cassettes"
    cassettes.mkdir(parents=True)
    (cassettes / "test_chat__test_a.yaml").write_text("version: 1\nname: x\ninteractions:\n- request: 7\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # before any test runs
    result.stderr.fnmatch_lines(
        [
            "ERROR: contract-kit: */test_chat__test_a.yaml at line 4: 'request' must be a "
            "mapping, got int; fix the file or delete it and record again"
        ]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "cassette_parse.py" not in output and "passed" not in output
