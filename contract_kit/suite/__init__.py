"""The contract suite: properties every target must keep, the targets they run against, coverage and the report.

What ``contract-kit check`` and ``pytest --contract-suite`` run.
"""

from contract_kit.suite.coverage import CoverageReport, SchemaCoverage
from contract_kit.suite.properties import ContractSuite, PropertyFailed, suite_settings
from contract_kit.suite.report import format_report
from contract_kit.suite.results import PROPERTIES, PropertyResult, SuiteReport
from contract_kit.suite.targets import MockTarget, Target, TargetResponse, URLTarget, make_target

__all__ = [
    "PROPERTIES",
    "ContractSuite",
    "CoverageReport",
    "MockTarget",
    "PropertyFailed",
    "PropertyResult",
    "SchemaCoverage",
    "SuiteReport",
    "Target",
    "TargetResponse",
    "URLTarget",
    "format_report",
    "make_target",
    "suite_settings",
]
