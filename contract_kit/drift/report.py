"""Drift findings for people and machines: the terminal table, the JSON report, the policy.

Prism's validation proxy put violations in a response header, which
overflowed. Here the report is a file (``--contract-drift-report PATH`` /
``--report FILE``) with a top-level ``findings`` list, bounded by the
collector, and the terminal gets one table with new findings first.

Policy (``--contract-drift``):

- ``fail`` (the default): new breaking drift fails the test that saw it (and
  the CLI exits 1); everything else is reported as a warning;
- ``warn``: everything is reported, nothing fails;
- ``off``: responses are not checked at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contract_kit.cassettes import atomic_write_text
from contract_kit.drift.findings import DriftCollector, Finding
from contract_kit.errors import ConfigError
from contract_kit.redact import Redactor, scrub

_COLUMNS = (
    ("", 5),
    ("severity", 8),
    ("kind", 19),
    ("where", 6),
    ("status", 6),
    ("path", 44),
    ("seen", 9),
    ("observed", 36),
)


def failing(findings: Sequence[Finding], policy: str) -> list[Finding]:
    """The findings that fail a test (or the CLI) under ``policy``."""
    if policy != "fail":
        return []
    return [f for f in findings if f.is_new_breaking]


def _cell(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = scrub(text.replace("\n", " "))  # before cutting: a cut key is no longer found
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_line(collector: DriftCollector) -> str:
    report = collector.to_report()
    parts = []
    for bucket in ("new", "known"):
        counts = report["summary"][bucket]
        total = sum(counts.values())
        detail = ", ".join(f"{n} {severity}" for severity, n in sorted(counts.items()))
        parts.append(f"{total} {bucket}" + (f" ({detail})" if detail else ""))
    return f"contract drift: {'; '.join(parts)} in {collector.responses} checked response(s)"


def render_table(collector: DriftCollector) -> list[str]:
    """The findings as fixed-width lines, new before known, breaking first."""
    lines = [summary_line(collector)]
    findings = collector.sorted()
    if not findings:
        return lines
    lines.append(" ".join(title.ljust(width) for title, width in _COLUMNS).rstrip())
    for finding in findings:
        cells = (
            "known" if finding.known else "NEW",
            finding.severity,
            finding.kind,
            finding.where,
            finding.status,
            finding.path,
            f"{finding.count}/{collector.responses}",
            finding.observed,
        )
        row = " ".join(
            _cell(value, width).ljust(width) for value, (_, width) in zip(cells, _COLUMNS, strict=True)
        )
        lines.append(row.rstrip())
    if collector.dropped:
        lines.append(f"... {collector.dropped} more finding(s) were dropped to keep the report bounded")
    return lines


def finding_lines(findings: Sequence[Finding]) -> str:
    """Findings as the body of a test failure: one line each, with what was expected."""
    out = []
    for f in findings:
        out.append(
            f"  - {f.kind} ({f.severity}) at {f.path} [{f.where}, status {f.status}]: {f.message} "
            f"(expected {_cell(f.expected, 60)}, observed {_cell(f.observed, 60)})"
        )
    return "\n".join(out)


def write_json(
    path: str | Path, data: Mapping[str, Any], redactor: Redactor | None = None, *, what: str
) -> Path:
    """Write a report atomically; refuses (``SecretLeakError``) text that holds the API key."""

    target = Path(path)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    if redactor is not None:
        redactor.check_text(text, what=what, source=str(target))
    atomic_write_text(target, text)
    return target


def load_report(path: str | Path) -> dict[str, Any]:

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the drift report ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ConfigError(f"{path}: not a contract-kit drift report (no top-level 'findings' list)")
    return data
