"""``--html FILE``: the drift report as one self-contained page a person reads in the morning.

No script, no font, no image, no link to fetch: the CSS is inline and every
value is escaped. Findings are grouped new/known, then by severity; each
shows its evidence (the request excerpt, the exact observed value as JSON,
the cassettes or probes it came from), then the hypotheses' verdicts and the
proposed overlay and baseline entries. Long values wrap, so nothing overflows
a 1280 px window (a headless-Chromium test checks it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from contract_kit.drift.formats import Report, finding_title

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#1b1f24}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{border:1px solid #ccd;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f5f7;padding:6px;margin:4px 0;max-height:240px;
overflow:auto}
code{overflow-wrap:anywhere}
.finding{border:1px solid #ccd;border-left:6px solid #889;border-radius:4px;padding:8px 12px;margin:10px 0}
.breaking{border-left-color:#c62828}.additive{border-left-color:#ef8f00}.info{border-left-color:#1565c0}
.tag{display:inline-block;padding:0 6px;border-radius:3px;background:#e8e8ee;margin-right:4px}
.confirmed{color:#2e7d32}.refuted{color:#c62828}.not-probed{color:#666}
dl{display:grid;grid-template-columns:110px minmax(0,1fr);gap:2px 10px;margin:6px 0}
dt{font-weight:600}dd{margin:0;min-width:0}
"""


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=1, ensure_ascii=False, default=str))


def _finding(finding: Mapping[str, Any]) -> str:
    severity = escape(str(finding.get("severity")))
    sources = ", ".join(str(s) for s in finding.get("sources") or []) or "—"
    rows = [
        ("message", escape(str(finding.get("message") or ""))),
        ("expected", f"<pre>{_json(finding.get('expected'))}</pre>"),
        ("observed", f"<pre>{_json(finding.get('observed'))}</pre>"),
        ("seen", escape(f"{finding.get('count')} response(s); from {sources}")),
    ]
    if finding.get("request") is not None:
        request = finding["request"]
        text = escape(request) if isinstance(request, str) else _json(request)  # a cut excerpt is text
        rows.append(("request", f"<pre>{text}</pre>"))
    if finding.get("baseline"):
        rows.append(("baseline", escape(str(finding["baseline"]))))
    body = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    key = escape("|".join(str(finding.get(k)) for k in ("kind", "where", "status", "path")), quote=True)
    return (
        f'<section class="finding {severity}" data-key="{key}">'
        f"<h3><span class=tag>{severity}</span><span class=tag>{escape(str(finding.get('kind')))}</span>"
        f"<code>{escape(finding_title(finding))}</code></h3><dl>{body}</dl></section>"
    )


def _group(title: str, findings: list[Mapping[str, Any]]) -> str:
    out = [f"<h2>{escape(title)} ({len(findings)})</h2>"]
    if not findings:
        out.append("<p>None.</p>")
    for severity in ("breaking", "additive", "info"):
        these = [f for f in findings if f.get("severity") == severity]
        if these:
            out.append(f"<h3>{severity} ({len(these)})</h3>")
            out += [_finding(f) for f in these]
    return "".join(out)


def _hypotheses(hypotheses: list[Mapping[str, Any]]) -> str:
    if not hypotheses:
        return "<h2>observed.yaml hypotheses</h2><p>No live probes in this run.</p>"
    rows = "".join(
        f"<tr><td>{escape(str(h.get('statement')))}</td>"
        f'<td class="{escape(str(h.get("verdict")).replace(" ", "-"))}"><b>{escape(str(h.get("verdict")))}</b></td>'
        f"<td>{escape(', '.join(h.get('probes') or []))}</td>"
        f"<td>{escape('; '.join(h.get('seen_instead') or []))}</td></tr>"
        for h in hypotheses
    )
    return (
        "<h2>observed.yaml hypotheses</h2><table><colgroup><col style=width:40%><col style=width:12%>"
        "<col style=width:24%><col style=width:24%></colgroup>"
        f"<tr><th>hypothesis</th><th>verdict</th><th>probes</th><th>seen instead</th></tr>{rows}</table>"
    )


def to_html(report: Report, *, overlay: str | None = None, baseline: str | None = None) -> str:
    """The whole page; ``overlay`` and ``baseline`` are the proposed files' text, when written."""
    findings = list(report.get("findings") or [])
    answers = report.get("answers") or {}
    seen = ", ".join(f"{answers.get(k, 0)} {k}" for k in ("json", "stream", "error"))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>contract-kit drift report</title><style>{_CSS}</style></head><body>",
        "<h1>contract-kit drift report</h1>",
        f"<p>{escape(str(report.get('mode', '')))}: {report.get('responses', 0)} response(s) checked ({seen}).</p>",
        _group("New findings", [f for f in findings if not f.get("known")]),
        _group("Known findings", [f for f in findings if f.get("known")]),
        _hypotheses(list(report.get("hypotheses") or [])),
        "<h2>Proposed overlay</h2>",
        f"<pre>{escape(overlay)}</pre>" if overlay else "<p>None proposed.</p>",
        "<h2>Proposed baseline entries</h2>",
        f"<pre>{escape(baseline)}</pre>" if baseline else "<p>None proposed.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
