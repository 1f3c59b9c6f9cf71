"""Assertion helpers that fail a test with a readable list of violations.

Only ``error`` severity fails; ``info`` findings (undocumented fields) are
listed in the message of a failure but never cause one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from contract_kit.errors import ContractViolationError
from contract_kit.validation import Violation, errors_only

if TYPE_CHECKING:
    from contract_kit.contract.effective import Contract
    from contract_kit.validation import StreamReport


def _contract(contract: Contract | None) -> Contract:
    if contract is not None:
        return contract
    from contract_kit.contract.effective import load_contract

    return load_contract()


def _fail_on_errors(violations: list[Violation], title: str) -> None:
    __tracebackhide__ = True
    if errors_only(violations):
        raise ContractViolationError(violations, title=title)


def assert_valid_request(body: Any, contract: Contract | None = None) -> None:
    """Fail when ``body`` breaks the request schema."""
    __tracebackhide__ = True
    contract = _contract(contract)
    _fail_on_errors(contract.validate_request(body), f"request breaks the {contract.profile!r} contract")


def assert_valid_response(
    body: Any, contract: Contract | None = None, *, status: int = 200, content_type: str = "application/json"
) -> None:
    """Fail when a JSON response breaks the schema or a semantic rule."""
    __tracebackhide__ = True
    contract = _contract(contract)
    _fail_on_errors(
        contract.validate_response(body, status, content_type),
        f"response breaks the {contract.profile!r} contract",
    )


def assert_valid_stream(
    source: bytes | Iterable[Any], contract: Contract | None = None, request: Mapping[str, Any] | None = None
) -> StreamReport:
    """Fail when a stream breaks a chunk schema or a stream invariant; return the report."""
    __tracebackhide__ = True
    contract = _contract(contract)
    report = contract.validate_stream(source, request)
    _fail_on_errors(report.violations, f"stream breaks the {contract.profile!r} contract")
    return report
