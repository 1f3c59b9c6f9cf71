"""The pytest face of contract-kit: options, ini keys, markers, fixtures. Nothing else.

This module is imported on every pytest run where the kit is installed, so it
imports nothing heavy at load time; the library is imported inside fixtures
and hooks, the first time a test asks for it.

Precedence for every setting: command line, then ini key, then marker (for
per-test settings), then the built-in default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_kit.contract import Contract
    from contract_kit.mock.fixture import ChatMock, ChatServer

from contract_kit.profiles import DEFAULT_PROFILE, PROFILES

# (option name, ini key, help, choices, default)
_OPTIONS: tuple[tuple[str, str, str, tuple[str, ...] | None, str | None], ...] = (
    ("--contract-spec", "contract_spec", "OpenAPI JSON/YAML file or folder (default: the bundled vendor document)", None, None),
    ("--contract-profile", "contract_profile", f"contract profile (default: {DEFAULT_PROFILE})", PROFILES, DEFAULT_PROFILE),
    ("--contract-seed", "contract_seed", "default seed of the mock's generated content (default: 0)", None, "0"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "contract-kit: contract tests, mock and drift for chat completions")
    for option, ini, help_text, choices, default in _OPTIONS:
        group.addoption(option, dest=ini, default=None, choices=choices, help=f"{help_text}. ini: {ini}")
        parser.addini(ini, help=help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chat_mock(*, profile=None, seed=None, require_auth=None, base_urls=None, scenarios=None): "
        "per-test settings of the chat_mock fixture; the nearest marker wins",
    )
    profile = setting(config, "contract_profile")
    if profile not in PROFILES:
        raise pytest.UsageError(f"contract_profile = {profile!r} is not a profile; choose one of: {', '.join(PROFILES)}")
    seed = setting(config, "contract_seed")
    if not str(seed).isdigit():
        raise pytest.UsageError(f"contract_seed = {seed!r} is not a whole number >= 0; e.g. --contract-seed 42")


KIT_FIXTURES = frozenset({"contract", "chat_mock", "chat_server"})


def pytest_collection_finish(session: pytest.Session) -> None:
    """Load the contract once, before any test runs, if a collected test uses the kit.

    A broken spec or overlay then stops the run with one usage error naming the
    file and the place, instead of erroring every test with a traceback. Runs
    that never use the kit never load it.
    """
    if any(KIT_FIXTURES.intersection(getattr(item, "fixturenames", ())) for item in session.items):
        _load(session.config)


def setting(config: pytest.Config, name: str) -> Any:
    """Command line first, then the ini key (which carries the default)."""
    value = config.getoption(name, default=None)
    return value if value is not None else config.getini(name)


def _load(config: pytest.Config, profile: str | None = None) -> Contract:
    from contract_kit.contract import load_contract
    from contract_kit.errors import ContractKitError

    try:
        return load_contract(profile or setting(config, "contract_profile"), setting(config, "contract_spec") or None)
    except ContractKitError as exc:
        raise pytest.UsageError(f"contract-kit: {exc}") from None


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> Contract:
    """The effective contract of the configured profile (``--contract-profile``, ``--contract-spec``)."""
    return _load(pytestconfig)


@pytest.fixture
def chat_mock(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[ChatMock]:
    """The completions mock, routed in-process for httpx (respx) and the openai SDK (httpx2)."""
    from contract_kit.mock.fixture import ChatMock

    from contract_kit.errors import MarkerError

    options = _marker_kwargs(request, "chat_mock")
    profile = options.pop("profile", None)
    if profile is not None and profile not in PROFILES:
        raise MarkerError(f"@pytest.mark.chat_mock(profile={profile!r}): choose one of: {', '.join(PROFILES)}")
    mock = ChatMock.from_options(_load(pytestconfig, profile), default_seed=int(setting(pytestconfig, "contract_seed")),
                                 **options)
    with mock:
        yield mock


@pytest.fixture(scope="session")
def chat_server(pytestconfig: pytest.Config) -> Iterator[ChatServer]:
    """The completions mock served over real HTTP on a free loopback port; ``.base_url`` ends in ``/v1``."""
    from contract_kit.mock.fixture import ChatServer

    with ChatServer(_load(pytestconfig), seed=int(setting(pytestconfig, "contract_seed"))) as server:
        yield server


def _marker_kwargs(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    """Merge marker kwargs from the farthest (module) to the nearest (function): the nearest wins."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(name))):
        if marker.args:
            raise TypeError(f"@pytest.mark.{name} takes keyword arguments only, got {marker.args!r}")
        merged.update(marker.kwargs)
    return merged
