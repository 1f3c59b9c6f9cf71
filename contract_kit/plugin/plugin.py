"""The pytest face of contract-kit: options, ini keys, markers, fixtures. Nothing else.

This module is imported on every pytest run where the kit is installed, so it
imports nothing heavy at load time; the library is imported inside fixtures
and hooks, the first time a test asks for it.

Precedence for every setting: command line, then ini key, then marker (for
per-test settings), then the built-in default.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_kit.contract import Contract, ContractSet, ContractSettings
    from contract_kit.mock import ChatMock, ChatServer
    from contract_kit.plugin.session import CassetteUse

import shutil
from importlib.util import find_spec

from contract_kit.defaults import DRIFT_POLICIES, MODES, PROFILES
from contract_kit.plugin._config import (
    LIST_OPTIONS,
    OPTIONS,
    RUN_DIR_KEY,
    SESSION_KEY,
    SHARED_KEY,
    USE_KEY,
    list_setting,
    marker_kwargs,
    setting,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "contract-kit: contract tests, mock and drift for chat completions")
    for option, ini, help_text, choices, default in OPTIONS:
        group.addoption(option, dest=ini, default=None, choices=choices, help=f"{help_text}. ini: {ini}")
        parser.addini(ini, help=help_text, default=default)
    for option, ini, help_text in LIST_OPTIONS:
        group.addoption(option, dest=ini, action="append", default=None, help=f"{help_text}. ini: {ini}")
        parser.addini(ini, help=help_text, type="linelist", default=[])
    group.addoption(
        "--contract-suite",
        action="store_true",
        default=False,
        dest="contract_suite",
        help="also run the contract suite (contract_kit.plugin.suite_tests) against --contract-target",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chat_mock(*, profile=None, seed=None, require_auth=None, base_urls=None, scenarios=None, clock=None): "
        "per-test settings of the chat_mock fixture; the nearest marker wins",
    )
    profile = setting(config, "contract_profile")
    if profile not in PROFILES:
        raise pytest.UsageError(
            f"contract_profile = {profile!r} is not a profile; choose one of: {', '.join(PROFILES)}"
        )
    config.addinivalue_line(
        "markers",
        "contract_cassette(*, name=None, ignore=None, timing=None, faults=None, allow_hosts=None): per-test "
        "settings of the chat_cassette fixture (cassette name, ignored body fields, replay timing, stream fault "
        "variants: 'all' or names, one test each; hosts replay lets through); the nearest marker wins",
    )
    for name, choices in (("contract_mode", MODES), ("contract_drift", DRIFT_POLICIES)):
        value = setting(config, name)
        if value not in choices:
            raise pytest.UsageError(f"{name} = {value!r} is not one of the choices: {', '.join(choices)}")
    if setting(config, "contract_mode") != "replay":
        from contract_kit.plugin.recorder import configure  # start-up cost

        configure(config)
    seed = setting(config, "contract_seed")
    if not str(seed).isdigit():
        raise pytest.UsageError(
            f"contract_seed = {seed!r} is not a whole number >= 0; e.g. --contract-seed 42"
        )
    examples = setting(config, "contract_examples")
    if examples is not None and not (str(examples).isdigit() and int(examples) > 0):
        raise pytest.UsageError(
            f"contract_examples = {examples!r} is not a whole number > 0; e.g. --contract-examples 200"
        )
    if config.getoption("contract_suite", default=False):
        spec = find_spec("contract_kit.plugin.suite_tests")
        if spec is not None and spec.origin:
            config.args.append(spec.origin)


KIT_FIXTURES = frozenset({"contract", "chat_mock", "chat_server"})


def pytest_collection_finish(session: pytest.Session) -> None:
    """Load the contract once, before any test runs, if a collected test uses the kit.

    A broken spec or overlay then stops the run with one usage error naming the
    file and the place, instead of erroring every test with a traceback. Runs
    that never use the kit never load it.
    """
    _share_settings(session.config)
    if any(KIT_FIXTURES.intersection(getattr(item, "fixturenames", ())) for item in session.items):
        _load(session.config)
    if any("chat_cassette" in getattr(item, "fixturenames", ()) for item in session.items):
        from contract_kit.plugin.recorder import check_cassettes  # start-up cost

        check_cassettes(session.items, session.config)


def pytest_runtest_setup(item: pytest.Item) -> None:
    _share_settings(item.config)


def _share_settings(config: pytest.Config) -> None:
    """Tell the strategies which contract this run is configured with, once they are imported.

    Strategies resolve their contract when they first draw, through
    ``contract_kit.contract.active``; a run that never imports the kit's
    contract layer pays nothing here.
    """
    if SHARED_KEY in config.stash or "contract_kit.contract" not in sys.modules:
        return
    from contract_kit.contract import share_settings  # start-up cost

    config.stash[SHARED_KEY] = _settings(config)
    share_settings(config.stash[SHARED_KEY])


def _settings(config: pytest.Config) -> ContractSettings:
    """The configured contract: ``--contract-profile``, ``--contract-spec``, ``--contract-overlay`` and ini keys."""
    from contract_kit.contract import ContractSettings  # start-up cost

    return ContractSettings(
        profile=setting(config, "contract_profile"),
        spec=setting(config, "contract_spec") or None,
        overlays=tuple(list_setting(config, "contract_overlays")),
    )


def _load(config: pytest.Config, profile: str | None = None) -> Contract | ContractSet:
    """The contract of the configured document; a ``ContractSet`` when ``--contract-spec`` names several."""
    from contract_kit.errors import ContractKitError  # start-up cost

    try:
        return _settings(config).load_any(profile)
    except ContractKitError as exc:
        raise pytest.UsageError(f"contract-kit: {exc}") from None


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> Contract | ContractSet:
    """The effective contract of the configured profile (``--contract-profile``, ``--contract-spec``);
    a :class:`~contract_kit.contract.ContractSet` when ``--contract-spec`` names several documents."""
    return _load(pytestconfig)


@pytest.fixture
def chat_mock(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[ChatMock]:
    """The completions mock, routed in-process for httpx (respx) and the openai SDK (httpx2)."""
    from contract_kit.errors import MarkerError  # start-up cost
    from contract_kit.mock import ChatMock  # start-up cost

    options = marker_kwargs(request, "chat_mock")
    profile = options.pop("profile", None)
    if profile is not None and profile not in PROFILES:
        raise MarkerError(
            f"@pytest.mark.chat_mock(profile={profile!r}): choose one of: {', '.join(PROFILES)}"
        )
    mock = ChatMock.from_options(
        _load(pytestconfig, profile), default_seed=int(setting(pytestconfig, "contract_seed")), **options
    )
    with mock:
        yield mock


@pytest.fixture(scope="session")
def chat_server(pytestconfig: pytest.Config) -> Iterator[ChatServer]:
    """The completions mock served over real HTTP on a free loopback port; ``.base_url`` is its document's API root."""
    from contract_kit.mock import ChatServer  # start-up cost

    with ChatServer(_load(pytestconfig), seed=int(setting(pytestconfig, "contract_seed"))) as server:
        yield server


@pytest.fixture(autouse=True)
def _contract_fresh_chat_server(request: pytest.FixtureRequest) -> None:
    """``chat_server`` lives for the session; each test that uses it starts with no queued
    scenario, no sticky default and no recorded call, as with ``chat_mock``."""
    if "chat_server" in request.fixturenames:
        request.getfixturevalue("chat_server").reset()


# --- record / replay / drift: one-line hooks; the bodies live in contract_kit.plugin.recorder ---------


@pytest.fixture
def chat_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteUse]:
    """Route the endpoint to this test's cassette: replayed offline, or recorded live (``--contract-mode``)."""
    from contract_kit.plugin.recorder import cassette_fixture  # start-up cost

    yield from cassette_fixture(request)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.contract_cassette(faults="all")``: one test per fault variant of the cassette's streams."""
    faults = next(
        (
            m.kwargs["faults"]
            for m in metafunc.definition.iter_markers("contract_cassette")
            if "faults" in m.kwargs
        ),
        None,
    )
    if faults is None or "chat_cassette" not in metafunc.fixturenames:
        return
    from contract_kit.plugin.recorder import fault_names  # start-up cost

    names = fault_names(faults)
    if "cassette_fault" not in metafunc.fixturenames:
        metafunc.fixturenames.append("cassette_fault")
    metafunc.parametrize("cassette_fault", names, ids=names, indirect=True)


@pytest.fixture
def cassette_fault(request: pytest.FixtureRequest) -> Any:
    """The stream fault this test replays its cassette with (``contract_cassette(faults=...)``), or ``None``.

    ``cassette_fault.raises()`` expects what a client meets with that fault (a no-op when it reads to the end).
    """
    from contract_kit.plugin.recorder import CassetteFault  # start-up cost

    name = getattr(request, "param", None)
    return None if name is None else CassetteFault.named(name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if USE_KEY not in item.stash:
        return (yield)
    from contract_kit.plugin.recorder import after_call  # start-up cost

    try:
        yield
    except KeyboardInterrupt:
        after_call(item, interrupted=True)
        raise
    except BaseException:
        after_call(item, interrupted=False)
        raise
    after_call(item, interrupted=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if USE_KEY in item.stash:
        from contract_kit.plugin.recorder import make_report  # start-up cost

        make_report(item, report)
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    if RUN_DIR_KEY in node.config.stash:
        node.workerinput["contract_kit_run_dir"] = str(node.config.stash[RUN_DIR_KEY])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    if "contract_kit" in getattr(node, "workeroutput", {}):
        from contract_kit.plugin.recorder import testnodedown  # start-up cost

        testnodedown(node)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    wanted = setting(config, "contract_drift_report") or setting(config, "contract_drift_overlay")
    if SESSION_KEY in config.stash or wanted:
        from contract_kit.plugin.recorder import sessionfinish  # start-up cost

        sessionfinish(session)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if SESSION_KEY in config.stash:
        from contract_kit.plugin.recorder import terminal_summary  # start-up cost

        terminal_summary(terminalreporter, config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SHARED_KEY in config.stash:
        from contract_kit.contract import unshare_settings  # start-up cost

        unshare_settings(config.stash[SHARED_KEY])
    if RUN_DIR_KEY in config.stash and not hasattr(config, "workerinput"):
        shutil.rmtree(config.stash[RUN_DIR_KEY], ignore_errors=True)
