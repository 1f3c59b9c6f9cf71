"""Assertion helpers that fail a test with a readable list of violations.

Only ``error`` severity fails; ``info`` findings (undocumented fields) are
listed in the message of a failure but never cause one. Each helper is the
matching ``Contract.assert_*`` method on a given contract, or on
``load_contract()``'s default when none is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contract_kit.contract.effective import Contract
from contract_kit.contract.loading import load_contract
from contract_kit.defaults import JSON_TYPE
from contract_kit.validation import StreamReport


def assert_valid_request(body: Any, contract: Contract | None = None) -> None:
    """Fail when ``body`` breaks the request schema."""
    __tracebackhide__ = True
    (contract or load_contract()).assert_request(body)


def assert_valid_response(
    body: Any, contract: Contract | None = None, *, status: int = 200, content_type: str = JSON_TYPE
) -> None:
    """Fail when a JSON response breaks the schema or a semantic rule."""
    __tracebackhide__ = True
    (contract or load_contract()).assert_response(body, status, content_type)


def assert_valid_stream(
    source: bytes | Iterable[Any], contract: Contract | None = None, request: Mapping[str, Any] | None = None
) -> StreamReport:
    """Fail when a stream breaks a chunk schema or a stream invariant; return the report."""
    __tracebackhide__ = True
    return (contract or load_contract()).assert_stream(source, request)
