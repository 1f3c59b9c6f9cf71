"""The pytest side of record / replay / drift; ``plugin.py`` registers the hooks and calls these.

Kept apart from ``plugin.py`` so the plugin module stays a list of options,
fixtures and one-line hooks, and kept free of heavy imports at load time:
the library (:mod:`contract_kit.plugin.session`) is imported on first use.

How a test fails: the ``chat_cassette`` fixture keeps a ``CassetteUse`` in the
item's stash. When the call phase ends, a kit error seen by the handler (a
missing cassette, an unmatched request, a live fault after retries, the cost
guard) or new breaking drift under ``--contract-drift=fail`` turns the
report into a failure with the kit's own message, even when the client
library wrapped the error (the openai SDK reports ``APIConnectionError``).

Under pytest-xdist the controller makes one run folder and hands it to the
workers (``workerinput``): it holds the live-call budget and the record of
which cassettes the run wrote. Each worker returns its findings in
``workeroutput``; the controller merges them into one report and one table.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contract_kit.defaults import API_KEY_ENV
from contract_kit.errors import MarkerError
from contract_kit.plugin._config import (
    RUN_DIR_KEY,
    SESSION_KEY,
    USE_KEY,
    list_setting,
    marker_kwargs,
    setting,
)

if TYPE_CHECKING:
    from contract_kit.plugin.session import CassetteUse, RecorderSession, Settings

WORKER_RUN_DIR = "contract_kit_run_dir"  # the same literals are in plugin.py's xdist hooks
WORKER_OUTPUT = "contract_kit"
MARKER_KWARGS = ("name", "ignore", "timing", "faults", "allow_hosts")


def _setting(config: pytest.Config, name: str) -> Any:
    return setting(config, name)


def _number(config: pytest.Config, name: str, kind: type[int] | type[float], example: str) -> Any:
    raw = _setting(config, name)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        option = "--" + name.replace("_", "-")
        raise pytest.UsageError(f"{name} = {raw!r} is not a number >= 0; e.g. {option} {example}")
    return value


def settings(config: pytest.Config) -> Settings:
    """Options, ini keys and the environment -> ``Settings`` (command line wins, then env, then ini)."""
    from contract_kit.drift import base_url_setting  # start-up cost
    from contract_kit.plugin.session import Settings  # start-up cost

    root = Path(str(config.rootpath))
    report, overlay = _setting(config, "contract_drift_report"), _setting(config, "contract_drift_overlay")
    baseline = _setting(config, "contract_drift_baseline")
    redact = _setting(config, "contract_redact") or ""
    max_tokens = _number(config, "contract_max_tokens", int, "1024")
    return Settings(
        mode=_setting(config, "contract_mode"),
        base_url=base_url_setting(
            config.getoption("contract_base_url", default=None), config.getini("contract_base_url") or None
        ),
        cassette_dir=root / _setting(config, "contract_cassette_dir"),
        drift=_setting(config, "contract_drift"),
        report=(root / report) if report else None,
        overlay=(root / overlay) if overlay else None,
        baseline=(root / baseline) if baseline else None,
        ignore=_ignore(config),
        redact=tuple(line for line in str(redact).splitlines() if line.strip()),
        max_live_calls=_number(config, "contract_max_live_calls", int, "50"),
        max_tokens=max_tokens or None,
        retries=_number(config, "contract_retries", int, "2"),
        backoff=_number(config, "contract_backoff", float, "1.0"),
        timeout=_number(config, "contract_timeout", float, "60"),
        timing=_number(config, "contract_replay_timing", float, "1.0"),
        spec=_setting(config, "contract_spec") or None,
        overlays=tuple(str(path) for path in list_setting(config, "contract_overlays")),
        allow_hosts=hosts(_setting(config, "contract_allow_hosts")),
    )


def hosts(value: Any) -> tuple[str, ...]:
    """Host names from a repeated option (a list), an ini value (one per line) or a marker (str or list)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(host for item in items for host in str(item).replace(",", " ").split()))


def _ignore(config: pytest.Config) -> tuple[str, ...]:
    from contract_kit.cassettes import parse_ignore  # start-up cost

    return parse_ignore(str(_setting(config, "contract_match_ignore") or ""))


def configure(config: pytest.Config) -> None:
    """A live mode: the key must be there before any test runs; the controller makes the run folder."""

    mode = _setting(config, "contract_mode")
    if mode in ("record", "live") and not os.environ.get(API_KEY_ENV, "").strip():
        raise pytest.UsageError(
            f"contract-kit: --contract-mode={mode} talks to the live API and needs an API key: export "
            f"{API_KEY_ENV}=... (in CI, from the CI's secrets), or run offline with --contract-mode=replay"
        )
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if workerinput.get(WORKER_RUN_DIR):
            config.stash[RUN_DIR_KEY] = Path(workerinput[WORKER_RUN_DIR])
    else:
        config.stash[RUN_DIR_KEY] = Path(tempfile.mkdtemp(prefix="contract-kit-run-"))


def get_session(config: pytest.Config) -> RecorderSession:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        from contract_kit.errors import ContractKitError  # start-up cost
        from contract_kit.plugin.session import RecorderSession  # start-up cost

        try:
            session = RecorderSession(settings(config), run_dir=config.stash.get(RUN_DIR_KEY, None))
        except ContractKitError as exc:
            raise pytest.UsageError(f"contract-kit: {exc}") from None
        config.stash[SESSION_KEY] = session
    return session


def check_cassettes(items: list[pytest.Item], config: pytest.Config) -> None:
    """Read every cassette the collected tests will replay, before any test runs.

    A malformed cassette then stops the run with one usage error naming the
    file and the line, instead of failing its test midway.
    """
    from contract_kit.cassettes import cassette_path, load_cassette, own_cassette_path  # start-up cost
    from contract_kit.errors import CassetteError  # start-up cost

    current = settings(config)
    if current.mode not in ("replay", "once"):
        return
    checked: set[Path] = set()
    for item in items:
        if "chat_cassette" not in getattr(item, "fixturenames", ()):
            continue
        name = marker_kwargs(item, "contract_cassette").get("name")
        path = (
            cassette_path(current.cassette_dir, name)
            if name
            else own_cassette_path(current.cassette_dir, item.nodeid)
        )
        if path not in checked and path.exists():
            checked.add(path)  # a shared cassette is read once, not once per test
            try:
                load_cassette(path)
            except CassetteError as exc:
                raise pytest.UsageError(f"contract-kit: {exc}") from None


def cassette_fixture(request: pytest.FixtureRequest) -> Iterator[CassetteUse]:
    """The body of the ``chat_cassette`` fixture."""

    options = marker_kwargs(request, "contract_cassette")
    unknown = sorted(set(options) - set(MARKER_KWARGS))
    if unknown:
        raise MarkerError(
            f"@pytest.mark.contract_cassette got unknown keyword(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(MARKER_KWARGS)}"
        )
    if "ignore" in options:
        from contract_kit.cassettes import parse_ignore  # start-up cost

        options["ignore"] = parse_ignore(options["ignore"])
    if "allow_hosts" in options:
        options["allow_hosts"] = hosts(options["allow_hosts"])
    from contract_kit.errors import ContractKitError  # start-up cost

    fault = request.getfixturevalue("cassette_fault") if options.pop("faults", None) is not None else None
    if fault is not None and not options.get("name"):  # every variant replays the one recorded cassette
        options["name"] = unparametrized(request.node.nodeid, fault.name)
    session = get_session(request.config)
    try:
        use = session.start(request.node.nodeid, **options)
    except ContractKitError as exc:  # a malformed cassette, a missing key: one line, no traceback
        pytest.fail(_scrubbed(exc), pytrace=False)
    if fault is not None and use.mode == "replay":
        from contract_kit.cassettes import FaultedReplay  # start-up cost

        use.handler = FaultedReplay(use.handler, fault.fault)
    request.node.stash[USE_KEY] = use
    with session.routed(use):
        yield use
    try:
        session.finish(use)
    except ContractKitError as exc:  # the cassette could not be written safely (e.g. it held the key)
        pytest.fail(_scrubbed(exc), pytrace=False)


def fault_names(faults: Any) -> list[str]:
    """The variant names of a ``faults=`` marker value; a bad one is a usage error naming the valid ones."""
    from contract_kit.cassettes import stream_faults  # start-up cost
    from contract_kit.errors import ConfigError  # start-up cost

    try:
        return [fault.name for fault in stream_faults(faults)]
    except ConfigError as exc:
        raise pytest.UsageError(f"@pytest.mark.contract_cassette(faults=...): {exc}") from None


def unparametrized(nodeid: str, fault: str) -> str:
    """The node id without the fault variant's id: the cassette every variant shares."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return nodeid
    base, ids = nodeid[:-1].split("[", 1)
    if ids == fault:
        return base
    for before, after in ((f"-{fault}", ""), (f"{fault}-", "")):
        if ids.endswith(before) or ids.startswith(before):
            return f"{base}[{ids.replace(before, after, 1)}]"
    return f"{base}[{ids.replace(f'-{fault}-', '-', 1)}]"


class CassetteFault:
    """A stream fault for one test: its ``name``, the ``fault`` itself and what a client meets."""

    def __init__(self, fault: Any) -> None:
        self.fault = fault
        self.name: str = fault.name

    @classmethod
    def named(cls, name: str) -> CassetteFault:
        from contract_kit.cassettes import stream_faults  # start-up cost

        return cls(stream_faults(name)[0])

    @property
    def expected(self) -> type[BaseException] | None:
        """The exception class a client raises (``openai.APIConnectionError``...), or ``None``."""
        if self.fault.expected is None:
            return None
        module, name = self.fault.expected
        found: type[BaseException] = getattr(importlib.import_module(module), name)
        return found

    def raises(self) -> Any:
        """``pytest.raises(expected)``, or a no-op context when a correct client reads to the end."""
        expected = self.expected
        return contextlib.nullcontext() if expected is None else pytest.raises(expected)

    def __repr__(self) -> str:
        return f"CassetteFault({self.name!r})"


def after_call(item: pytest.Item, interrupted: bool) -> None:
    use = item.stash.get(USE_KEY, None)
    if use is None:
        return
    if interrupted:
        use.aborted = True
        return
    path, lineno, _ = item.location
    use.warn(get_session(item.config).settings.drift, str(item.config.rootpath / path), (lineno or 0) + 1)


def make_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """Turn the call report into a failure with the kit's message (see the module doc)."""
    use = item.stash.get(USE_KEY, None)
    if use is None or report.when != "call":
        return
    error = use.failure(get_session(item.config).settings.drift)
    if error is None:
        return
    report.outcome = "failed"
    report.longrepr = _scrubbed(error)


def _scrubbed(error: BaseException) -> str:
    """An error as one line for the terminal, with every registered key (in any form) masked."""
    from contract_kit.redact import scrub  # start-up cost

    return scrub(f"{type(error).__name__}: {error}")


def testnodedown(node: Any) -> None:
    data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if data:
        get_session(node.config).merge_workeroutput(data)


def sessionfinish(session: pytest.Session) -> None:
    config = session.config
    recorder = config.stash.get(SESSION_KEY, None)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        if recorder is not None:
            workeroutput[WORKER_OUTPUT] = recorder.to_workeroutput()
        return
    wants_files = _setting(config, "contract_drift_report") or _setting(config, "contract_drift_overlay")
    if recorder is None and not wants_files:
        return
    from contract_kit.errors import ContractKitError  # start-up cost

    recorder = get_session(config)
    try:
        config.stash[_LINES_KEY] = recorder.write_outputs()
    except ContractKitError as exc:  # e.g. the report would hold the key: say so, fail the run, no traceback
        config.stash[_LINES_KEY] = [f"contract-kit: could not write the drift outputs: {_scrubbed(exc)}"]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_LINES_KEY = pytest.StashKey[list[str]]()


def terminal_summary(reporter: Any, config: pytest.Config) -> None:
    from contract_kit.drift import render_table  # start-up cost

    recorder = config.stash.get(SESSION_KEY, None)
    if recorder is None or hasattr(config, "workerinput"):
        return
    if recorder.settings.mode == "replay" and not recorder.collector.findings:
        return
    from contract_kit.redact import scrub  # start-up cost

    reporter.write_sep("-", "contract-kit drift")
    for line in render_table(recorder.collector):
        reporter.write_line(scrub(line))
    settings = recorder.settings
    if recorder.written:
        reporter.write_line(f"{len(set(recorder.written))} cassette(s) written to {settings.cassette_dir}")
    for line in config.stash.get(_LINES_KEY, []):
        reporter.write_line(scrub(line))
