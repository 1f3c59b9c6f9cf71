"""The key never reaches output: no byte the kit printed or wrote holds it, in any form.

The stand-in echoes the key back (``plant:echo-key``): literal, upper-case,
URL-encoded, hex, base64 at three byte offsets, base64url, in URLs as
``user:key@`` and ``?api_key=``, with every ``/`` JSON-escaped as ``\\/`` and once
fully ``\\u``-escaped; ``echo-key-stream`` splits it across two network reads.
The suite drives ``contract-kit drift --live`` and pytest's record mode
against it, captures stdout, stderr and every file written, and greps for
every form (``standin.key_needles``, computed independently of the redactor).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from standin import StandIn, key_forms, key_needles, serve

from contract_kit.cli.main import main
from contract_kit.errors import LiveAPIError
from contract_kit.redact import REDACTED, Redactor, Secret

pytest_plugins = ["pytester"]

# '/' and '+' make the JSON-escaped and URL-encoded forms differ from the literal one
FORMS_KEY = "sk-forms/7f3a+9c1e5b2d4a60/PLANTED-SECRET"
NEEDLES = key_needles(FORMS_KEY)


def _leaks(data: bytes) -> list[str]:
    return [name for name, needle in NEEDLES.items() if needle in data]


def _written(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py"
    }


def _assert_clean(out: str, err: str, root: Path) -> None:
    assert _leaks(out.encode()) == [], out
    assert _leaks(err.encode()) == [], err
    for name, data in _written(root).items():
        assert _leaks(data) == [], name


@pytest.mark.parametrize("form", sorted(key_forms(FORMS_KEY)))
def test_the_redactor_masks_each_form(form: str) -> None:
    redactor = Redactor(secrets=(Secret(FORMS_KEY),))
    text = f"before {key_forms(FORMS_KEY)[form]} after"
    clean = redactor.text(text)
    assert REDACTED in clean and _leaks(clean.encode()) == []
    assert redactor.contains_secret(text) is not None


def test_the_redactor_masks_json_escaped_forms_and_a_key_split_across_reads() -> None:
    redactor = Redactor(secrets=(Secret(FORMS_KEY),))
    escaped = json.dumps({"k": FORMS_KEY}).replace("/", "\\/")
    assert _leaks(redactor.text(escaped).encode()) == []
    unicode = "".join(f"\\u{ord(c):04x}" for c in FORMS_KEY)
    assert _leaks(redactor.text(unicode).encode()) == []
    data = f"data: {FORMS_KEY}\n\n".encode()
    reads = redactor.reads([data[:20], data[20:]])
    assert len(reads) == 2 and _leaks(b"".join(reads)) == [] and REDACTED.encode() in reads[0]


def test_a_user_pattern_that_matches_half_a_split_key_does_not_commit_the_other_half() -> None:
    import re

    redactor = Redactor((re.compile(r"sk-[A-Za-z0-9/+\-]+"),))  # what the error message suggests adding
    data = f"data: {FORMS_KEY}\n\n".encode()
    reads = redactor.reads([data[:20], data[20:]])
    assert b"PLANTED-SECRET" not in b"".join(reads)


def test_credentials_in_urls_are_masked_without_knowing_the_key() -> None:
    clean = Redactor().text("at https://me:hunter22@h.example/v1?api_key=abc123&x=1 and ?token=zzz")
    assert "hunter22" not in clean and "abc123" not in clean and "zzz" not in clean
    assert "h.example/v1" in clean and "x=1" in clean


@pytest.fixture
def forms_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", FORMS_KEY)
    monkeypatch.delenv("AIMLAPI_BASE_URL", raising=False)


@pytest.fixture
def echoing(forms_env: None) -> Iterator[str]:
    with serve(StandIn(key=FORMS_KEY, plant="echo-key")) as (_, base):
        yield base


def test_drift_live_prints_and_writes_no_form_of_the_key(
    echoing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code = main(
        [
            "drift",
            "--live",
            "--base-url",
            echoing,
            "--cassette-dir",
            str(out_dir / "probes"),
            "--report",
            str(out_dir / "report.json"),
            "--overlay",
            str(out_dir / "proposed.yaml"),
            "--max-tokens",
            "48",
            "--retries",
            "0",
        ]
    )
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "echo" in out and REDACTED in out  # the table shows the echoed fields, masked
    written = _written(out_dir)
    assert any(name.startswith("probes/") for name in written) and "report.json" in written
    _assert_clean(out, err, out_dir)


@pytest.mark.parametrize("encoded", [True, False], ids=["percent-encoded", "raw-slash-breaks-the-url"])
def test_a_live_api_error_shows_no_credentials_from_the_base_url(
    forms_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], encoded: bool
) -> None:
    userinfo = quote(FORMS_KEY, safe="") if encoded else FORMS_KEY
    with serve(StandIn(key=FORMS_KEY, fault="500x*")) as (_, base):
        host = base.removeprefix("http://")
        leaky = f"http://user:{userinfo}@{host}?api_key={FORMS_KEY}"
        code = main(
            ["drift", "--live", "--base-url", leaky, "--cassette-dir", str(tmp_path), "--retries", "0"]
        )
    out, err = capsys.readouterr()
    assert code in ((0, 1) if encoded else (2,)), out + err
    assert ("failed for POST" in out) if encoded else ("not an absolute http(s) URL" in err)
    _assert_clean(out, err, tmp_path)


def test_live_api_error_message_uses_the_public_url() -> None:
    from contract_kit.drift import LiveBudget, LiveClient, RetryPolicy

    with serve(StandIn(key=FORMS_KEY, fault="500x*")) as (_, base):
        host = base.removeprefix("http://")
        client = LiveClient(
            f"http://user:{quote(FORMS_KEY, safe='')}@{host}?key={FORMS_KEY}",
            Secret(FORMS_KEY),
            policy=RetryPolicy(retries=0),
            budget=LiveBudget(5),
        )
        with pytest.raises(LiveAPIError) as info:
            body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
            client.send("POST", "/chat/completions", {"content-type": "application/json"}, body)
    assert _leaks(str(info.value).encode()) == [] and host in str(info.value)


RECORD_TESTS = """
import httpx

API = "https://api.aimlapi.com/v1"

def ask(prompt, stream=False):
    body = {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 30, "stream": stream}
    with httpx.Client(base_url=API, headers={"authorization": "Bearer sk-dummy"}) as client, \\
            client.stream("POST", "/chat/completions", json=body) as response:
        return response.status_code, b"".join(response.iter_raw())

def test_json(chat_cassette):
    status, raw = ask("plant:echo-key")
    assert status == 200

def test_stream(chat_cassette):
    status, raw = ask("plant:echo-key-stream", stream=True)
    assert status == 200 and raw.endswith(b"[DONE]\\n\\n")
"""


def test_pytest_record_mode_prints_and_writes_no_form_of_the_key(
    pytester: pytest.Pytester, forms_env: None
) -> None:
    pytester.makepyfile(test_echo=RECORD_TESTS)
    with serve(StandIn(key=FORMS_KEY)) as (_, base):
        result = pytester.runpytest_subprocess(
            "--contract-mode=record",
            f"--contract-base-url={base}",
            "--contract-drift=warn",
            "--contract-drift-report=drift.json",
            "--contract-drift-overlay=proposed.yaml",
            "-p",
            "no:cacheprovider",
            "-rA",
        )
    out, err = result.stdout.str(), result.stderr.str()
    result.assert_outcomes(passed=2, warnings=result.parseoutcomes().get("warnings", 0))
    assert "contract drift" in out and REDACTED in out
    cassettes = sorted((pytester.path / "fixtures" / "cassettes").iterdir())
    assert [p.name for p in cassettes] == ["test_echo__test_json.yaml", "test_echo__test_stream.yaml"]
    assert (pytester.path / "drift.json").exists()
    _assert_clean(out, err, pytester.path)


def test_a_secret_found_while_writing_the_report_fails_the_run_cleanly(
    pytester: pytest.Pytester, forms_env: None
) -> None:
    pytester.makeconftest(
        f"""
import pytest
from contract_kit.drift import Finding
from contract_kit.plugin.recorder import get_session

@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    recorder = get_session(session.config)
    recorder.collector.add([Finding("semantic", "info", "$.x", "json", observed={FORMS_KEY!r})])
"""
    )
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--contract-drift-report=drift.json", "-p", "no:cacheprovider")
    out, err = result.stdout.str(), result.stderr.str()
    assert result.ret == 1, out + err
    assert "could not write the drift outputs" in out and "SecretLeakError" in out
    assert "INTERNALERROR" not in out + err and "Traceback" not in out + err
    assert not (pytester.path / "drift.json").exists()
    _assert_clean(out, err, pytester.path)


def test_the_kits_log_records_are_scrubbed(caplog: pytest.LogCaptureFixture, forms_env: None) -> None:
    import logging

    from contract_kit.drift import api_key_from_env

    api_key_from_env("record")  # registers the key and installs the filters
    with caplog.at_level(logging.INFO, logger="contract_kit.drift.live"):
        logging.getLogger("contract_kit.drift.live").info("sent %s", f"Bearer {FORMS_KEY.upper()}")
    assert caplog.records and _leaks(caplog.text.encode()) == [] and REDACTED in caplog.text
