"""Drift: how the live API differs from the contract, from live calls or recorded cassettes, and what to do about it.

``live`` talks to the API, ``recording`` turns answers into cassettes,
``findings`` classifies every difference, ``collector`` merges them per run,
``probes`` is the built-in probe set of ``drift --live``, ``hypotheses``
the error probes that confirm or refute ``observed.yaml`` and ``edges`` the
requests the document allows that the live API may not (``stop: {}``). ``baseline``
accepts what overlays cannot express; ``report`` (terminal, JSON),
``formats`` (JUnit, Markdown, diff), ``html`` and ``proposal`` (with
``infer``) write the results out.
"""

from contract_kit.drift.baseline import (
    BaselineEntry,
    apply_baseline,
    dump_baseline,
    load_baseline,
    propose_baseline,
    write_baseline,
)
from contract_kit.drift.collector import DriftCollector, answer_kind, check_cassettes
from contract_kit.drift.error_probes import ErrorProbe, edge_probes, error_probes, every_expectation
from contract_kit.drift.findings import DriftChecker, Finding, classify, fault_finding
from contract_kit.drift.formats import diff_lines, diff_reports, to_junit, to_markdown
from contract_kit.drift.html import to_html
from contract_kit.drift.hypotheses import (
    SEVERITY_RULES,
    Hypothesis,
    HypothesisBook,
    hypotheses_of,
    run_hypothesis_probes,
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
from contract_kit.drift.proposal import dump_overlay, propose, write_overlay
from contract_kit.drift.proxy import ProxySettings, ValidatingProxy
from contract_kit.drift.recording import RecordingHandler, max_tokens_guard
from contract_kit.drift.report import (
    failing,
    finding_lines,
    load_report,
    render_table,
    write_json,
    write_text,
)

__all__ = [
    "SEVERITY_RULES",
    "BaselineEntry",
    "DriftChecker",
    "DriftCollector",
    "ErrorProbe",
    "Exchange",
    "Finding",
    "Hypothesis",
    "HypothesisBook",
    "LiveBudget",
    "LiveClient",
    "LiveProbeRun",
    "LiveProbeSettings",
    "Probe",
    "ProxySettings",
    "RecordingHandler",
    "RetryPolicy",
    "ValidatingProxy",
    "answer_kind",
    "api_key_from_env",
    "apply_baseline",
    "base_url_setting",
    "check_cassettes",
    "classify",
    "diff_lines",
    "diff_reports",
    "dump_baseline",
    "dump_overlay",
    "edge_probes",
    "error_probes",
    "every_expectation",
    "failing",
    "fault_finding",
    "finding_lines",
    "hypotheses_of",
    "load_baseline",
    "load_report",
    "max_tokens_guard",
    "probes",
    "propose",
    "propose_baseline",
    "public_url",
    "render_table",
    "run_hypothesis_probes",
    "run_live_probes",
    "to_html",
    "to_junit",
    "to_markdown",
    "write_baseline",
    "write_json",
    "write_overlay",
    "write_text",
]
