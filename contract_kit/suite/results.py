"""What a suite run found: one result per property, and the report of the whole run.

Plain data, below both the runner (``properties``) and the printer (``report``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract_kit.suite.coverage import CoverageReport

VALID, INVALID, AGREEMENT = "valid", "invalid", "agreement"
PROPERTIES = (VALID, INVALID, AGREEMENT)
TITLES = {
    VALID: "valid request -> 200 with a conforming answer",
    INVALID: "invalid request -> 4xx with an error body",
    AGREEMENT: "stream and JSON answers agree",
}


@dataclass
class Failure:
    """The (shrunk) example that broke a property, and how."""

    example: Any
    problems: list[str]


@dataclass
class PropertyResult:
    name: str
    examples: int = 0
    passed: int = 0
    failure: Failure | None = None
    skipped: str | None = None
    error: str | None = None

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def ok(self) -> bool:
        return self.failure is None and self.error is None


@dataclass
class SuiteReport:
    target: str
    results: list[PropertyResult]
    coverage: CoverageReport
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)
