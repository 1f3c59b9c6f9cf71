"""One test run's record / replay / drift state, behind the thin pytest plugin.

The plugin builds :class:`Settings` from options, ini keys and the
environment, and asks the :class:`RecorderSession` for a :class:`CassetteUse`
per test. Everything here is plain Python so it can be tested and reused
without pytest.

Modes:

- ``replay`` (default): offline and hermetic. The endpoint is routed to a
  :class:`~contract_kit.cassettes.replay.ReplayHandler`; unmatched requests raise,
  and so does any request to another host (a gateway the client points at) through
  httpx or httpx2/openai, sync or async, unless its host is allowed
  (``--contract-allow-host``). Nothing reaches the network. A missing cassette fails the test at its
  first request, naming the file and ``pytest --contract-mode=once <test>``.
- ``record``: forward to the live API, check drift, (over)write the cassette.
- ``once``: replay when the cassette exists, else record it.
- ``live``: forward and check drift; write nothing.

A cassette is written when the test's call phase ends, unless it was
interrupted (Ctrl+C), a live fault survived the retries, or the API refused
the key (401/403, which fails the test): then nothing is written, an older
cassette stays as it was, and ``once`` still records the test next time.
"""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_kit.cassettes import (
    DEFAULT_IGNORE,
    Cassette,
    Interaction,
    cassette_path,
    load_cassette,
    load_cassette_cached,
    own_cassette_path,
    write_cassette,
)
from contract_kit.defaults import (
    DEFAULT_BASE_URL,
    DEFAULT_CASSETTE_DIR,
    DEFAULT_DRIFT_POLICY,
    DEFAULT_MODE,
    kit_version,
)
from contract_kit.drift import (
    BaselineEntry,
    DriftChecker,
    DriftCollector,
    Finding,
    LiveBudget,
    LiveClient,
    RetryPolicy,
    answer_kind,
    api_key_from_env,
    apply_baseline,
    failing,
    finding_lines,
    load_baseline,
    public_url,
)
from contract_kit.errors import (
    CassetteNotFoundError,
    ContractKitError,
    DriftError,
)
from contract_kit.mock import Handler, MockRequest, MockResponse
from contract_kit.mock.transports import parse_base_urls, routed
from contract_kit.plugin._handlers import Blocked, Failing, Guarded, key_refused
from contract_kit.redact import Redactor, Secret, active, compile_patterns, register, scrub


class DriftWarning(UserWarning):
    """New drift that does not fail the test under the current policy."""


@dataclass(frozen=True)
class Settings:
    mode: str = DEFAULT_MODE
    base_url: str = DEFAULT_BASE_URL
    cassette_dir: Path = Path(DEFAULT_CASSETTE_DIR)
    drift: str = DEFAULT_DRIFT_POLICY
    report: Path | None = None
    overlay: Path | None = None
    baseline: Path | None = None
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    redact: tuple[str, ...] = ()
    max_live_calls: int = 50
    max_tokens: int | None = 1024
    retries: int = 2
    backoff: float = 1.0
    timeout: float = 60.0
    timing: float = 0.0
    spec: str | None = None
    overlays: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()


@dataclass
class CassetteUse:
    """What one test did with its cassette: the effective mode, the handler, findings and errors."""

    nodeid: str
    mode: str
    path: Path
    handler: Handler
    interactions: list[Interaction] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ContractKitError] = field(default_factory=list)
    aborted: bool = False
    requests: list[MockRequest] = field(default_factory=list)
    """Every request the test sent to the endpoint, secrets redacted."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts a replaying test may still reach (``--contract-allow-host``, the marker's ``allow_hosts``)."""

    def __repr__(self) -> str:
        return (
            f"<CassetteUse {self.nodeid} mode={self.mode} path={self.path} "
            f"interactions={len(self.interactions)} findings={len(self.findings)} errors={len(self.errors)}>"
        )

    def failure(self, policy: str) -> ContractKitError | None:
        """The error that fails the test: a kit error first, then new breaking drift under ``fail``."""
        if self.errors:
            return self.errors[0]
        bad = failing(self.findings, policy)
        if bad:
            return DriftError(
                scrub(
                    f"the live API broke the contract ({len(bad)} new breaking finding(s); "
                    f"--contract-drift=warn reports without failing):\n{finding_lines(bad)}"
                )
            )
        return None

    def warn(self, policy: str, filename: str = "", lineno: int = 0) -> None:
        """One warning per new finding that does not fail the test, pointing at the test."""
        if policy == "off":
            return
        failing_keys = {f.key for f in failing(self.findings, policy)}
        for finding in self.findings:
            if not finding.known and finding.key not in failing_keys:
                message = DriftWarning(scrub(f"contract drift: {finding_lines([finding]).strip()[2:]}"))
                warnings.warn_explicit(message, DriftWarning, filename or self.nodeid, lineno)


class RecorderSession:
    """Cassettes, the live client and the drift collector of one process."""

    def __init__(
        self, settings: Settings, *, run_dir: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.run_dir = run_dir
        self.environ = environ if environ is not None else os.environ
        self.collector = DriftCollector()
        self.budget = LiveBudget(settings.max_live_calls, run_dir / "calls" if run_dir else None)
        self.written: list[str] = []
        self._checker: DriftChecker | None = None
        self._baseline: list[BaselineEntry] | None = None
        self._key: Secret | None = None
        self._patterns = compile_patterns(settings.redact)
        register(patterns=self._patterns)

    @property
    def redactor(self) -> Redactor:
        """The session's patterns and key, plus every key the process knows (the environment's too)."""
        known = tuple(
            secret for secret in active().secrets if not self._key or secret.reveal() != self._key.reveal()
        )
        return Redactor(self._patterns, ((self._key,) if self._key else ()) + known)

    def api_key(self) -> Secret:
        if self._key is None:
            self._key = api_key_from_env(self.settings.mode, self.environ)
        return self._key

    def checker(self) -> DriftChecker:
        if self._checker is None:
            self._checker = DriftChecker.for_spec(self.settings.spec, self.settings.overlays)
        return self._checker

    def accept_baselined(self, findings: list[Finding]) -> None:
        """Findings the team's baseline file accepts become known (so they fail no test)."""
        if self.settings.baseline is None:
            return
        if self._baseline is None:
            self._baseline = load_baseline(self.settings.baseline)
        apply_baseline(findings, self._baseline)

    def bases(self) -> list[str]:
        return list(dict.fromkeys([self.settings.base_url.rstrip("/"), DEFAULT_BASE_URL]))

    # -- one test --------------------------------------------------------------------------------
    def start(
        self,
        nodeid: str,
        *,
        name: str | None = None,
        ignore: Sequence[str] | None = None,
        timing: float | None = None,
        allow_hosts: Sequence[str] = (),
    ) -> CassetteUse:
        settings = self.settings
        path = (
            cassette_path(settings.cassette_dir, name)
            if name
            else own_cassette_path(settings.cassette_dir, nodeid)
        )
        mode = settings.mode
        loaded = None
        if mode == "once":
            loaded = _recorded_for(path, nodeid, shared=bool(name))
            mode = "replay" if loaded is not None else "record"
        hosts = tuple(dict.fromkeys([*settings.allow_hosts, *allow_hosts]))
        use = CassetteUse(nodeid, mode, path, handler=_unused, allow_hosts=hosts)
        if mode == "replay":
            use.handler = self._replay_handler(use, nodeid, ignore, timing, loaded)
        else:
            use.handler = self._recording_handler(use, nodeid)
        return use

    def _replay_handler(
        self,
        use: CassetteUse,
        nodeid: str,
        ignore: Sequence[str] | None,
        timing: float | None,
        loaded: Cassette | None = None,
    ) -> Handler:
        from contract_kit.cassettes import ReplayHandler  # start-up cost

        if not use.path.exists():
            return Failing(
                use,
                CassetteNotFoundError(
                    f"{nodeid} has no cassette to replay: {use.path} does not exist. Record it with:\n"
                    f"    pytest --contract-mode=once '{nodeid}'"
                ),
            )
        replay = ReplayHandler(
            loaded or load_cassette_cached(use.path),
            ignore=self.settings.ignore if ignore is None else ignore,
            timing=self.settings.timing if timing is None else timing,
            record_hint=f"pytest --contract-mode=record '{nodeid}'",
        )
        use.interactions = replay.replayed
        return Guarded(use, replay)

    def _recording_handler(self, use: CassetteUse, nodeid: str) -> Handler:
        from contract_kit.drift import RecordingHandler, max_tokens_guard  # start-up cost

        settings = self.settings
        policy = RetryPolicy(retries=settings.retries, backoff=settings.backoff, timeout=settings.timeout)
        client = LiveClient(settings.base_url, self.api_key(), policy=policy, budget=self.budget)

        def observe(interaction: Interaction) -> None:
            refused = key_refused(interaction, use)
            if refused is not None and not use.errors:
                use.errors.append(refused)
            if settings.drift == "off" or not self.checker().applies_to(interaction):
                return
            found = self.checker().check(interaction)
            self.accept_baselined(found)
            use.findings.extend(found)
            self.collector.add(found, nodeid, answer=answer_kind(interaction))

        recorder = RecordingHandler(
            client,
            parse_base_urls(self.bases()),
            redactor=self.redactor,
            observer=observe,
            guard=max_tokens_guard(settings.max_tokens),
            test=nodeid,
        )
        use.interactions = recorder.interactions
        return Guarded(use, recorder, self.collector)

    @contextmanager
    def routed(self, use: CassetteUse) -> Iterator[CassetteUse]:
        """Route the endpoint (the configured and the default base URL) to the test's handler.

        Replay is hermetic: any other request fails the test (:class:`_Blocked`)
        unless its host is allowed.
        """
        if use.mode != "replay":
            with routed(use.handler, self.bases()):
                yield use
            return
        with routed(use.handler, self.bases(), unmatched=Blocked(use), allow_hosts=use.allow_hosts):
            yield use

    def finish(self, use: CassetteUse) -> Path | None:
        """Write the test's cassette when its mode records and nothing went wrong."""
        if (
            use.mode != "record"
            or self.settings.mode == "live"
            or use.aborted
            or use.errors
            or not use.interactions
        ):
            return None
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        meta = {
            "recorded_with": f"contract-kit {kit_version()}",
            "recorded_at": now,
            "base_url": public_url(self.settings.base_url),
        }
        cassette = Cassette(use.nodeid, list(use.interactions), meta)
        for item in cassette.interactions:
            item.test = item.test or use.nodeid
        write_cassette(
            use.path, cassette, self.redactor, run_dir=self.run_dir, keep_others=self.settings.mode == "once"
        )
        self.written.append(str(use.path))
        return use.path

    # -- the run -----------------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        return self.collector.to_report(
            generated=now,
            mode=self.settings.mode,
            policy=self.settings.drift,
            base_url=public_url(self.settings.base_url),
        )

    def write_outputs(self) -> list[str]:
        """Write the JSON report and the proposed overlay when asked; returns lines for the terminal."""
        from contract_kit.drift import write_json  # start-up cost

        lines = []
        settings = self.settings
        if settings.report is not None:
            write_json(settings.report, self.report(), self.redactor, what="drift report")
            lines.append(f"drift report written to {settings.report}")
        if settings.overlay is not None:
            lines.append(self.write_overlay(settings.overlay))
        return lines

    def write_overlay(self, path: Path) -> str:
        from contract_kit.drift import propose, write_overlay  # start-up cost

        overlay = propose(
            self.collector.sorted(), self.checker().observed, responses=self.collector.responses
        )
        if overlay is None:
            return f"no overlay proposed: no new drift that a schema can express (nothing written to {path})"
        write_overlay(path, overlay, self.redactor)
        return f"proposed overlay ({len(overlay['actions'])} action(s)) written to {path}"

    def to_workeroutput(self) -> dict[str, Any]:
        return {"drift": self.collector.to_report(), "written": list(self.written)}

    def merge_workeroutput(self, data: Mapping[str, Any]) -> None:
        self.collector.merge_report(data.get("drift") or {})
        self.written.extend(data.get("written") or [])


def _recorded_for(path: Path, nodeid: str, *, shared: bool) -> Cassette | None:
    """The cassette ``once`` replays: the file, when it exists and (shared by ``name=``) holds this test's calls."""
    if not path.exists():
        return None
    cassette = load_cassette(path)
    if shared and not any((item.test or cassette.name) == nodeid for item in cassette.interactions):
        return None
    return cassette


def _unused(request: MockRequest) -> MockResponse:  # pragma: no cover - replaced before use
    raise AssertionError("handler not set")
