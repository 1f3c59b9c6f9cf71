"""The contract suite as pytest tests, to run on its own or inside your test suite.

On its own, against the embedded mock (no network)::

    pytest --pyargs contract_kit.plugin.suite_tests

Against a server (the live API, ``contract-kit serve``, a staging proxy)::

    CONTRACT_KIT_TARGET=https://api.aimlapi.com/v1 AIMLAPI_API_KEY=... pytest --pyargs contract_kit.plugin.suite_tests

Inside your suite: one line in any test module (e.g. ``tests/test_contract_suite.py``)::

    from contract_kit.plugin.suite_tests import *  # noqa: F403  (the three tests and their fixture)

Settings, first found wins: the target from ``--contract-target`` or ini
``contract_target`` (when the plugin registers them), else
``$CONTRACT_KIT_TARGET``, else ``mock``; the example count from
``--contract-examples`` / ini ``contract_examples``, else
``$CONTRACT_KIT_EXAMPLES``, else the active Hypothesis profile's
``max_examples``. The contract comes from the plugin's ``contract`` fixture
(``--contract-profile``, ``--contract-spec``). Hypothesis's own options apply:
``--hypothesis-profile``, ``--hypothesis-seed`` (reproduces a run) and the
profile's example database (a failure is replayed first next time).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_kit.contract import Contract, ContractSet
    from contract_kit.suite import ContractSuite

TARGET_ENV, EXAMPLES_ENV = "CONTRACT_KIT_TARGET", "CONTRACT_KIT_EXAMPLES"

__all__ = [
    "contract_suite",
    "test_invalid_requests_get_4xx_error_bodies",
    "test_stream_and_json_answers_agree",
    "test_valid_requests_get_conforming_answers",
]


def _setting(config: pytest.Config, name: str, env: str) -> Any:
    """Command line, then ini key (both only if registered), then the environment."""
    value = config.getoption(name, default=None)
    if value is None:
        try:
            value = config.getini(name) or None
        except ValueError:  # the key is not registered by this version of the plugin
            value = None
    return value if value is not None else os.environ.get(env)


@pytest.fixture(scope="module")
def contract_suite(contract: Contract | ContractSet, pytestconfig: pytest.Config) -> Iterator[ContractSuite]:
    """The suite for the configured target, built once per module that includes the tests.

    With several documents the suite checks the first one's contract (``contract-kit check`` checks
    each); the mock target serves them all.
    """
    from contract_kit.errors import ContractKitError  # start-up cost
    from contract_kit.suite import ContractSuite, make_target  # start-up cost

    examples = _setting(pytestconfig, "contract_examples", EXAMPLES_ENV)
    seed = _setting(pytestconfig, "contract_seed", "CONTRACT_KIT_SEED") or 0
    from contract_kit.contract import ContractSet  # start-up cost

    checked = contract.primary if isinstance(contract, ContractSet) else contract
    where = _setting(pytestconfig, "contract_target", TARGET_ENV) or "mock"
    options = {"documents": contract} if where == "mock" and checked is not contract else {}
    try:
        target = make_target(where, checked, seed=int(seed), **options)
    except ContractKitError as exc:
        raise pytest.UsageError(f"contract-kit: {exc}") from None
    suite = ContractSuite(checked, target, examples=int(examples) if examples else None)
    yield suite
    target.close()


def test_valid_requests_get_conforming_answers(contract_suite: ContractSuite) -> None:
    """Valid, coherent requests get a 200 whose JSON body or stream conforms to the contract."""
    contract_suite.assert_property("valid")


def test_invalid_requests_get_4xx_error_bodies(contract_suite: ContractSuite) -> None:
    """Requests that break one rule get a 4xx with an error body, never a 5xx or a 200."""
    contract_suite.assert_property("invalid")


def test_stream_and_json_answers_agree(contract_suite: ContractSuite) -> None:
    """The same request, streamed and not, gets the same content, tool calls and finish reason."""
    if not contract_suite.target.deterministic:
        pytest.skip(
            f"{contract_suite.target.name} is not deterministic; agreement needs the mock or a loopback server"
        )
    contract_suite.assert_property("agreement")
