"""All findings of a run, merged by key and bounded; and the offline re-check of cassettes.

The collector counts the responses it saw per kind of answer (JSON, stream,
error: what "seen" means in every report) and the sources it checked (one
JUnit testcase each).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_kit.cassettes import load_cassette
from contract_kit.drift.findings import (
    MAX_FINDINGS,
    MAX_SAMPLES,
    MAX_SOURCES,
    REPORT_VERSION,
    SEVERITIES,
    DriftChecker,
    Finding,
)
from contract_kit.drift.infer import merge as merge_shapes
from contract_kit.drift.infer import to_schema

if TYPE_CHECKING:
    from contract_kit.cassettes import Interaction

MAX_CHECKED = 2000


# --- collecting -------------------------------------------------------------------------------


class DriftCollector:
    """All findings of a run, merged by key, bounded in size; thread-safe."""

    def __init__(self, max_findings: int = MAX_FINDINGS) -> None:
        self.max_findings = max_findings
        self.findings: dict[tuple[str, str, str, str, str], Finding] = {}
        self.responses = 0
        self.answers: Counter[str] = Counter()  # responses per kind of answer: json, stream, error
        self.dropped = 0
        self.checked: list[str] = []  # the sources checked (probes, cassette#index, tests), in order
        self._checked: set[str] = set()
        self._lock = threading.Lock()

    def add(
        self,
        findings: Iterable[Finding],
        source: str | None = None,
        *,
        response: bool = True,
        answer: str | None = None,
    ) -> list[Finding]:
        """Merge the findings of one response; returns them (merged copies) for the caller's decisions."""
        added = []
        with self._lock:
            self.responses += int(response)
            if response and answer:
                self.answers[answer] += 1
            if response and source and source not in self._checked and len(self.checked) < MAX_CHECKED:
                self._checked.add(source)
                self.checked.append(source)
            for finding in findings:
                merged = self._merge_one(finding, source)
                if merged is not None:
                    added.append(finding)
        return added

    def _merge_one(self, finding: Finding, source: str | None) -> Finding | None:
        existing = self.findings.get(finding.key)
        if existing is None:
            if len(self.findings) >= self.max_findings:
                self.dropped += 1
                return None
            finding.sources = [source] if source else list(finding.sources)
            finding.samples = finding.samples[:MAX_SAMPLES]
            self.findings[finding.key] = finding
            return finding
        existing.count += finding.count
        existing.known = existing.known and finding.known
        existing.rules = sorted(set(existing.rules) | set(finding.rules))
        for sample in finding.samples:
            if len(existing.samples) < MAX_SAMPLES and sample not in existing.samples:
                existing.samples.append(sample)
        for name in [source] if source else finding.sources:
            if len(existing.sources) < MAX_SOURCES and name not in existing.sources:
                existing.sources.append(name)
        if existing.shape is not None and finding.shape is not None:
            existing.shape = merge_shapes(existing.shape, finding.shape)
            existing.hint = to_schema(existing.shape)
        if isinstance(existing.hint, list) and isinstance(finding.hint, list):
            existing.hint = (existing.hint + [h for h in finding.hint if h not in existing.hint])[:10]
        return existing

    def sorted(self) -> list[Finding]:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(
            self.findings.values(), key=lambda f: (f.known, order.get(f.severity, 9), f.kind, f.where, f.path)
        )

    def new_breaking(self) -> list[Finding]:
        return [f for f in self.sorted() if f.is_new_breaking]

    def to_report(self, **meta: Any) -> dict[str, Any]:
        findings = self.sorted()
        summary: dict[str, dict[str, int]] = {"new": {}, "known": {}}
        for finding in findings:
            bucket = summary["known" if finding.known else "new"]
            bucket[finding.severity] = bucket.get(finding.severity, 0) + 1
        return {
            "version": REPORT_VERSION,
            **meta,
            "responses": self.responses,
            "answers": dict(self.answers),
            "checked": list(self.checked),
            "summary": summary,
            "dropped_findings": self.dropped,
            "findings": [f.to_dict(self.responses) for f in findings],
        }

    def merge_report(self, report: Mapping[str, Any]) -> None:
        """Fold in another collector's report (an xdist worker's)."""
        with self._lock:
            self.responses += int(report.get("responses", 0))
            self.answers.update(report.get("answers") or {})
            self.dropped += int(report.get("dropped_findings", 0))
            for data in report.get("findings", []):
                self._merge_one(Finding.from_dict(data), None)


def answer_kind(interaction: Interaction) -> str:
    """``error`` (4xx/5xx), ``stream`` or ``json``: what "seen" counts per kind."""
    response = interaction.response
    if response.status >= 400:
        return "error"
    return "stream" if response.is_stream else "json"


def check_cassettes(
    paths: Iterable[Path],
    checker: DriftChecker,
    collector: DriftCollector,
    review: Callable[[str, Interaction, list[Finding]], list[Finding]] | None = None,
) -> int:
    """Re-check recorded cassettes offline against the current contract; returns the interactions checked.

    ``review`` sees each interaction with its test name (``probe wrong-type`` for a probe cassette),
    so ``drift.hypotheses`` grades probe answers offline as it does live.
    """
    checked = 0
    for path in paths:
        cassette = load_cassette(path)
        for index, interaction in enumerate(cassette.interactions):
            source = f"{path.name}#{index}"
            found = checker.check(interaction)
            if review is not None:
                found = review((interaction.test or "").removeprefix("probe "), interaction, found)
            collector.add(found, source, answer=answer_kind(interaction))
            checked += 1
    return checked
