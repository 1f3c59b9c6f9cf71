"""Progress: a live line on a terminal (checked through a real pty), silence and one summary line in CI logs."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from standin import EXACT, KEY, StandIn, serve

from contract_kit.cli._progress import Progress

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], *, tty: bool, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``python -m contract_kit ARGS`` from outside the repo; stderr on a pty when ``tty``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMLAPI_")}
    environ.update(env or {})
    command = [sys.executable, "-m", "contract_kit", *args]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environ, cwd="/")
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=environ, cwd="/")
    os.close(follower)
    seen = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError(f"no output for 120 s; so far: {seen!r}")
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the pty
            break
        if not data:
            break
        seen += data
    os.close(leader)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    return process.wait(timeout=60), out, seen.decode(errors="replace")


def test_check_on_a_terminal_shows_each_propertys_examples_as_they_run() -> None:
    code, out, err = _run(["check", "--examples", "6", "--seed", "1", "--property", "valid"], tty=True)
    assert code == 0, out + err
    assert "\rvalid: 6/6 examples" in err
    assert "examples" not in out.splitlines()[-1] and out.rstrip().endswith("ok: all 1 properties hold")


def test_check_in_a_ci_log_is_quiet_and_ends_with_one_summary_line() -> None:
    code, out, err = _run(["check", "--examples", "6", "--seed", "1", "--property", "valid"], tty=False)
    assert code == 0
    assert err == ""
    assert "\r" not in out
    assert out.rstrip().splitlines()[-1] == "ok: all 1 properties hold"


def test_drift_live_on_a_terminal_shows_each_probe(tmp_path: Path) -> None:
    with serve(StandIn(errors=EXACT)) as (_, base):  # an API exactly as documented: no drift, exit 0
        env = {"AIMLAPI_API_KEY": KEY, "AIMLAPI_BASE_URL": base}
        args = ["drift", "--live", "--cassette-dir", str(tmp_path / "probes")]
        code, out, err = _run(args, tty=True, env=env)
        quiet_code, quiet_out, quiet_err = _run([*args[:-1], str(tmp_path / "again")], tty=False, env=env)
    assert code == 0, out + err
    assert "\rprobe 1/" in err and "plain" in err
    total = err.split("\rprobe 1/", 1)[1].split(":", 1)[0]
    assert f"\rprobe {total}/{total}: " in err
    assert KEY not in err and KEY not in out
    assert quiet_code == 0 and quiet_err == "" and "\r" not in quiet_out


def test_the_status_line_is_throttled_and_erased() -> None:
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    for done in range(1, 101):
        progress.examples("valid", done, 100)
    written = stream.getvalue()
    assert written.startswith("\rvalid: 1/100 examples")
    assert written.endswith("\rvalid: 100/100 examples")  # the last one always shows
    assert written.count("\r") < 10  # throttled to ten a second
    progress.clear()
    assert stream.getvalue().endswith("\r" + " " * len("valid: 100/100 examples") + "\r")


def test_a_stream_that_is_not_a_terminal_gets_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.examples("valid", 5, 5)
    progress.done("valid: ok")
    progress.clear()
    assert stream.getvalue() == ""
