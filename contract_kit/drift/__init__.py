"""Drift: how the live API differs from the contract, from live calls or recorded cassettes, and what to do about it.

``live`` talks to the API, ``recording`` turns answers into cassettes,
``findings`` classifies every difference, ``report`` and ``proposal`` write
them out, and ``probes`` is the built-in probe set of ``drift --live``.
"""

from contract_kit.drift.findings import (
    DriftChecker,
    DriftCollector,
    Finding,
    check_cassettes,
    classify,
    fault_finding,
)
from contract_kit.drift.live import (
    Exchange,
    LiveBudget,
    LiveClient,
    RetryPolicy,
    api_key_from_env,
    base_url_setting,
    public_url,
)
from contract_kit.drift.probes import LiveProbeRun, LiveProbeSettings, Probe, probes, run_live_probes
from contract_kit.drift.proposal import propose, write_overlay
from contract_kit.drift.proxy import ProxySettings, ValidatingProxy
from contract_kit.drift.recording import RecordingHandler, max_tokens_guard
from contract_kit.drift.report import failing, finding_lines, render_table, write_json

__all__ = [
    "DriftChecker",
    "DriftCollector",
    "Exchange",
    "Finding",
    "LiveBudget",
    "LiveClient",
    "LiveProbeRun",
    "LiveProbeSettings",
    "Probe",
    "ProxySettings",
    "RecordingHandler",
    "RetryPolicy",
    "ValidatingProxy",
    "api_key_from_env",
    "base_url_setting",
    "check_cassettes",
    "classify",
    "failing",
    "fault_finding",
    "finding_lines",
    "max_tokens_guard",
    "probes",
    "propose",
    "public_url",
    "render_table",
    "run_live_probes",
    "write_json",
    "write_overlay",
]
