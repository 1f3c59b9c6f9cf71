"""contract-kit: contract tests, a mock server, Hypothesis cases and drift checks for chat completions.

Public names are imported lazily: ``import contract_kit`` (which pytest does
for the plugin on every run) must stay cheap for runs that never use the kit.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Contract": "contract_kit.contract",
    "load_contract": "contract_kit.contract",
    "ContractSet": "contract_kit.contract",
    "load_contracts": "contract_kit.contract",
    "PROFILES": "contract_kit.defaults",
    "DEFAULT_PROFILE": "contract_kit.defaults",
    "Violation": "contract_kit.validation",
    "StreamReport": "contract_kit.validation",
    "assert_valid_response": "contract_kit.contract",
    "assert_valid_request": "contract_kit.contract",
    "assert_valid_stream": "contract_kit.contract",
    "ContractKitError": "contract_kit.errors",
    "ContractViolationError": "contract_kit.errors",
    "SpecError": "contract_kit.errors",
}

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "Contract",
    "ContractKitError",
    "ContractSet",
    "ContractViolationError",
    "SpecError",
    "StreamReport",
    "Violation",
    "assert_valid_request",
    "assert_valid_response",
    "assert_valid_stream",
    "load_contract",
    "load_contracts",
]

if TYPE_CHECKING:
    from contract_kit.contract import (
        Contract,
        ContractSet,
        assert_valid_request,
        assert_valid_response,
        assert_valid_stream,
        load_contract,
        load_contracts,
    )
    from contract_kit.defaults import DEFAULT_PROFILE, PROFILES
    from contract_kit.errors import ContractKitError, ContractViolationError, SpecError
    from contract_kit.validation import StreamReport, Violation


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'contract_kit' has no attribute {name!r}")
    return getattr(import_module(module), name)
