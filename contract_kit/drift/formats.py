"""The drift report for CI: JUnit XML for dashboards, Markdown for a job summary, and a run-to-run diff.

All three read the JSON report (:meth:`DriftCollector.to_report` plus the
run's ``hypotheses``), so ``contract-kit drift diff`` works on yesterday's
file too.

- **JUnit** (``--junit FILE``): one ``testsuite``, one ``testcase`` per probe
  or checked response (``checked``), plus one per finding no source names.
  A new breaking finding is a ``failure`` of every testcase it was seen in.
- **Markdown** (``--summary FILE``, for ``$GITHUB_STEP_SUMMARY``): counts, the
  new findings, the hypotheses' verdicts, expired baseline entries.
- **diff**: which findings appeared and disappeared between two reports,
  keyed by kind, where, status and path.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

Report = Mapping[str, Any]
SUITE = "contract-kit drift"


def _new_breaking(finding: Mapping[str, Any]) -> bool:
    return finding.get("severity") == "breaking" and not finding.get("known")


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finding_title(finding: Mapping[str, Any]) -> str:
    document = f" in {finding['document']}" if finding.get("document") else ""
    return (
        f"{finding.get('kind')} ({finding.get('severity')}) at {finding.get('path')} "
        f"[{finding.get('where')}, status {finding.get('status')}]{document}"
    )


# --- JUnit --------------------------------------------------------------------------------------


def to_junit(report: Report) -> str:
    """JUnit XML (the common schema: testsuite > testcase > failure)."""
    findings = list(report.get("findings") or [])
    cases: dict[str, list[Mapping[str, Any]]] = {name: [] for name in report.get("checked") or []}
    for finding in findings:
        names = [s for s in finding.get("sources") or [] if s in cases] or [
            f"finding {finding_title(finding)}"
        ]
        for name in names:
            cases.setdefault(name, []).append(finding)
    suite = ET.Element("testsuite", name=SUITE, tests=str(len(cases)), errors="0", skipped="0")
    failures = 0
    for name, seen in cases.items():
        case = ET.SubElement(suite, "testcase", classname="contract_kit.drift", name=name, time="0")
        breaking = [f for f in seen if _new_breaking(f)]
        if breaking:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                message="; ".join(finding_title(f) for f in breaking)[:500],
                type="new-breaking-drift",
            )
            failure.text = "\n".join(
                f"{finding_title(f)}: {f.get('message')} (expected {_short(f.get('expected'))}, "
                f"observed {_short(f.get('observed'))})"
                for f in breaking
            )
        other = [f for f in seen if not _new_breaking(f)]
        if other:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"{'known' if f.get('known') else 'new'} {finding_title(f)}" for f in other
            )
    suite.set("failures", str(failures))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


# --- Markdown -----------------------------------------------------------------------------------


def _md(text: Any) -> str:
    value = text if isinstance(text, str) else _short(text, 60)
    return value.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """A GitHub job summary: what is new, what the hypotheses say, what expired."""
    findings = list(report.get("findings") or [])
    new = [f for f in findings if not f.get("known")]
    breaking = [f for f in new if f.get("severity") == "breaking"]
    answers = report.get("answers") or {}
    lines = [
        "## Contract drift",
        "",
        f"**{len(breaking)} new breaking**, {len(new) - len(breaking)} other new, "
        f"{len(findings) - len(new)} known finding(s) in {report.get('responses', 0)} response(s) "
        f"({', '.join(f'{answers.get(k, 0)} {k}' for k in ('json', 'stream', 'error'))}).",
        "",
    ]
    if new:
        lines += [
            "| severity | kind | where | status | path | expected | observed | seen | document |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {f.get('severity')} | {f.get('kind')} | {f.get('where')} | {f.get('status')} | "
            f"`{_md(f.get('path'))}` | {_md(f.get('expected'))} | {_md(f.get('observed'))} | {f.get('count')} | "
            f"{_md(f.get('document') or '')} |"
            for f in new
        ]
        lines.append("")
    lines += _hypothesis_lines(report.get("hypotheses") or [])
    expired = (report.get("baseline") or {}).get("expired") or []
    if expired:
        lines += ["### Expired baseline entries", ""]
        lines += [
            f"- `{e.get('kind')}` at `{e.get('path')}` ({e.get('where')}): {e.get('reason')}" for e in expired
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def _hypothesis_lines(hypotheses: Iterable[Mapping[str, Any]]) -> list[str]:
    rows = [
        f"| {_md(h.get('statement'))} | **{h.get('verdict')}** | {_md(', '.join(h.get('seen_instead') or []))} |"
        for h in hypotheses
    ]
    if not rows:
        return []
    return [
        "### observed.yaml hypotheses",
        "",
        "| hypothesis | verdict | seen instead |",
        "|---|---|---|",
        *rows,
        "",
    ]


# --- diff ---------------------------------------------------------------------------------------


def _key(finding: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(finding.get("kind")),
        str(finding.get("where")),
        str(finding.get("status")),
        str(finding.get("path")),
    )


def diff_reports(old: Report, new: Report) -> dict[str, list[Mapping[str, Any]]]:
    """Findings that appeared, disappeared, or changed known/severity between two reports."""
    before = {_key(f): f for f in old.get("findings") or []}
    after = {_key(f): f for f in new.get("findings") or []}
    changed = [
        after[k]
        for k in after.keys() & before.keys()
        if (after[k].get("known"), after[k].get("severity"))
        != (before[k].get("known"), before[k].get("severity"))
    ]
    return {
        "appeared": [after[k] for k in after if k not in before],
        "disappeared": [before[k] for k in before if k not in after],
        "changed": sorted(changed, key=_key),
    }


def diff_lines(diff: Mapping[str, list[Mapping[str, Any]]]) -> list[str]:
    lines = []
    for title, sign in (("appeared", "+"), ("disappeared", "-"), ("changed", "~")):
        found = diff[title]
        lines.append(f"{len(found)} finding(s) {title} since the last run")
        lines += [f"  {sign} {'known' if f.get('known') else 'NEW'} {finding_title(f)}" for f in found]
    return lines
