"""How ``contract-kit check`` prints a suite run: a table, each failure's minimal example, the coverage.

Written for a person reading CI output: one line per property with its
counts, then for each failure the shrunk example that breaks it (as JSON, or
for a malformed body the bytes and the rule it breaks) and what went wrong.
"""

from __future__ import annotations

import json
from typing import Any

from contract_kit.strategies import InvalidCase
from contract_kit.suite.results import PropertyResult, SuiteReport

MAX_EXAMPLE_CHARS = 1500
_COLUMNS = ("property", "examples", "passed", "failed", "result")


def format_report(report: SuiteReport, *, reproduce: str | None = None) -> str:
    """The whole summary: header, table, failures, coverage, verdict."""
    lines = [f"target: {report.target}", "", *_table(report.results), ""]
    for result in report.results:
        if not result.ok:
            lines += [format_failure(result), ""]
    lines.append(report.coverage.format())
    failed = [r for r in report.results if not r.ok]
    ran = [r for r in report.results if r.skipped is None]
    if failed:
        verdict = f"FAILED: {len(failed)} of {len(ran)} properties do not hold"
        if reproduce:
            verdict += f"; reproduce with: {reproduce}"
    else:
        verdict = f"ok: all {len(ran)} properties hold"
    return "\n".join([*lines, "", verdict])


def _table(results: list[PropertyResult]) -> list[str]:
    width = max(len(_COLUMNS[0]), *(len(r.title) for r in results))
    header = f"  {_COLUMNS[0]:<{width}}  {'examples':>8}  {'passed':>6}  {'failed':>6}  result"
    rows = [header, "  " + "-" * (len(header) - 2)]
    for result in results:
        failed = 0 if result.ok else 1
        rows.append(
            f"  {result.title:<{width}}  {result.examples:>8}  {result.passed:>6}  {failed:>6}  "
            f"{_verdict(result)}"
        )
    return rows


def _verdict(result: PropertyResult) -> str:
    if result.skipped is not None:
        return f"skipped ({result.skipped})"
    if result.error is not None:
        return "error"
    return "ok" if result.ok else "FAILED"


def format_failure(result: PropertyResult) -> str:
    """The property, its minimal failing example and what the target got wrong."""
    lines = [f"FAILED {result.name}: {result.title}"]
    if result.error is not None:
        return "\n".join([*lines, f"  stopped: {result.error}"])
    assert result.failure is not None
    lines.append("  minimal failing example:")
    lines += ["    " + line for line in format_example(result.failure.example).splitlines()]
    lines.append("  what went wrong:")
    lines += [f"    - {problem}" for problem in result.failure.problems]
    return "\n".join(lines)


def format_example(example: Any) -> str:
    if isinstance(example, InvalidCase):
        body = example.body.decode("utf-8", "replace")
        return "\n".join(
            [
                f"{example.kind}: {example.description}",
                f"expected violation: {example.expected_rule} at {example.expected_path}",
                f"content-type: {example.content_type}",
                f"body: {_cut(body)}",
            ]
        )
    return _cut(json.dumps(example, ensure_ascii=False, indent=2))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[:MAX_EXAMPLE_CHARS] + f"... ({len(text)} chars)"
