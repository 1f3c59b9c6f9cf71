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
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contract_kit.cassettes import atomic_write_text
from contract_kit.drift.collector import DriftCollector
from contract_kit.drift.findings import Finding
from contract_kit.errors import ConfigError
from contract_kit.redact import Redactor, scrub

WIDTH = 100
_COLUMNS = (
    ("", 5),
    ("severity", 8),
    ("kind", 19),
    ("where", 6),
    ("status", 6),
    ("path", 36),
    ("seen", 13),
)
_INDENT = " " * 6


def failing(findings: Sequence[Finding], policy: str) -> list[Finding]:
    """The findings that fail a test (or the CLI) under ``policy``."""
    if policy != "fail":
        return []
    return [f for f in findings if f.is_new_breaking]


def as_json(value: Any) -> str:
    """A value as JSON text, so ``"19"`` stays quoted and ``19`` does not."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("\n", " ")


def _cell(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else as_json(value)
    text = scrub(text.replace("\n", " "))  # before cutting: a cut key is no longer found
    return text if len(text) <= width else text[: width - 1] + "…"


def seen_line(collector: DriftCollector) -> str:
    counts = collector.answers
    return "seen: " + ", ".join(f"{counts.get(kind, 0)} {kind}" for kind in ("json", "stream", "error"))


def summary_line(collector: DriftCollector) -> str:
    report = collector.to_report()
    parts = []
    for bucket in ("new", "known"):
        counts = report["summary"][bucket]
        total = sum(counts.values())
        detail = ", ".join(f"{n} {severity}" for severity, n in sorted(counts.items()))
        parts.append(f"{total} {bucket}" + (f" ({detail})" if detail else ""))
    return f"contract drift: {'; '.join(parts)} in {collector.responses} checked response(s)"


def _wrapped(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        f"{label}{text}",
        WIDTH,
        initial_indent=_INDENT,
        subsequent_indent=_INDENT + "  ",
        break_long_words=True,
        break_on_hyphens=False,
    )


def render_table(collector: DriftCollector) -> list[str]:
    """The findings, new before known, breaking first; no line wider than :data:`WIDTH` columns.

    Each finding takes a header row, then ``expected`` / ``observed`` (as JSON) and its message,
    wrapped. "seen" counts responses of the finding's kind of answer (JSON, stream, error).
    """
    lines = [summary_line(collector), seen_line(collector)]
    findings = collector.sorted()
    if not findings:
        return lines
    lines.append(" ".join(title.ljust(width) for title, width in _COLUMNS).rstrip())
    several = len({f.document for f in findings if f.document}) > 1  # one document: named in the JSON only
    for finding in findings:
        lines.extend(_finding_rows(finding, collector, several))
    if collector.dropped:
        lines.append(f"... {collector.dropped} more finding(s) were dropped to keep the report bounded")
    return lines


def _finding_rows(finding: Finding, collector: DriftCollector, several: bool = False) -> list[str]:
    long_path = len(finding.path) > _COLUMNS[5][1]
    cells = (
        "known" if finding.known else "NEW",
        finding.severity,
        finding.kind,
        finding.where,
        finding.status,
        "(below)" if long_path else finding.path,
        f"{finding.count}/{collector.answers.get(finding.answer, collector.responses)} {finding.answer}",
    )
    rows = [" ".join(_cell(v, w).ljust(w) for v, (_, w) in zip(cells, _COLUMNS, strict=True)).rstrip()]
    if long_path:
        rows += _wrapped("path: ", finding.path)
    if several:
        rows += _wrapped("document: ", finding.document)
    rows += _wrapped("expected: ", as_json(finding.expected))
    rows += _wrapped("observed: ", as_json(finding.observed))
    if finding.message:
        rows += _wrapped("", finding.message[:400])
    if finding.baseline:
        rows += _wrapped("baseline: ", finding.baseline)
    return rows


def finding_lines(findings: Sequence[Finding]) -> str:
    """Findings as the body of a test failure: one line each, with what was expected."""
    out = []
    for f in findings:
        document = f" in {f.document}" if f.document else ""
        out.append(
            f"  - {f.kind} ({f.severity}) at {f.path} [{f.where}, status {f.status}]{document}: {f.message} "
            f"(expected {_cell(f.expected, 60)}, observed {_cell(f.observed, 60)})"
        )
    return "\n".join(out)


def write_json(
    path: str | Path, data: Mapping[str, Any], redactor: Redactor | None = None, *, what: str
) -> Path:
    """Write a report atomically; refuses (``SecretLeakError``) text that holds the API key."""

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return write_text(path, text, redactor, what=what)


def write_text(path: str | Path, text: str, redactor: Redactor | None = None, *, what: str) -> Path:
    """Write any report form atomically; refuses (``SecretLeakError``) text that holds the API key."""
    target = Path(path)
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
