"""The plugin's shared state and settings: stash keys, the option table, and how a setting is resolved.

A private module of ``plugin/`` so that the hook bodies (``recorder``) and the
pytest wiring (``plugin``) share it without importing each other. Light at
load: the plugin imports it on every pytest run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contract_kit.defaults import (
    DEFAULT_BASE_URL,
    DEFAULT_CASSETTE_DIR,
    DEFAULT_DRIFT_POLICY,
    DEFAULT_MODE,
    DEFAULT_PROFILE,
    DRIFT_POLICIES,
    MODES,
    PROFILES,
)
from contract_kit.errors import MarkerError

if TYPE_CHECKING:
    from pathlib import Path

    from contract_kit.contract import ContractSettings
    from contract_kit.plugin.session import CassetteUse, RecorderSession


# Stash keys: the hooks tell "unused" from them without importing the recorder.
SESSION_KEY: pytest.StashKey[RecorderSession] = pytest.StashKey()
USE_KEY: pytest.StashKey[CassetteUse] = pytest.StashKey()
RUN_DIR_KEY: pytest.StashKey[Path] = pytest.StashKey()
SHARED_KEY: pytest.StashKey[ContractSettings] = pytest.StashKey()

# (option name, ini key, help, choices, default)
OPTIONS: tuple[tuple[str, str, str, tuple[str, ...] | None, str | None], ...] = (
    (
        "--contract-spec",
        "contract_spec",
        "OpenAPI JSON/YAML file, or a folder of them (every document in it); several files joined by "
        "os.pathsep (':' on POSIX, ';' on Windows); default: the bundled vendor document",
        None,
        None,
    ),
    (
        "--contract-profile",
        "contract_profile",
        f"contract profile (default: {DEFAULT_PROFILE})",
        PROFILES,
        DEFAULT_PROFILE,
    ),
    (
        "--contract-seed",
        "contract_seed",
        "default seed of the mock's generated content (default: 0)",
        None,
        "0",
    ),
    # record / replay / drift (contract_kit.plugin.session; the hook bodies are in contract_kit.plugin.recorder)
    (
        "--contract-mode",
        "contract_mode",
        "replay (offline, default), record, once (record missing cassettes) "
        "or live (check drift, write nothing)",
        MODES,
        DEFAULT_MODE,
    ),
    (
        "--contract-base-url",
        "contract_base_url",
        "live API root (default: $AIMLAPI_BASE_URL, else "
        f"{DEFAULT_BASE_URL}; the command line wins over the environment, which wins over ini)",
        None,
        None,
    ),
    (
        "--cassette-dir",
        "contract_cassette_dir",
        f"cassette folder, relative to the rootdir (default: {DEFAULT_CASSETTE_DIR})",
        None,
        DEFAULT_CASSETTE_DIR,
    ),
    (
        "--contract-drift",
        "contract_drift",
        "drift policy: fail (new breaking drift fails the test; the default), warn, or off",
        DRIFT_POLICIES,
        DEFAULT_DRIFT_POLICY,
    ),
    (
        "--contract-drift-report",
        "contract_drift_report",
        "write the JSON drift report (top-level 'findings') here",
        None,
        None,
    ),
    (
        "--contract-drift-overlay",
        "contract_drift_overlay",
        "write a proposed OpenAPI Overlay for new drift here",
        None,
        None,
    ),
    (
        "--contract-drift-baseline",
        "contract_drift_baseline",
        "drift-baseline.yaml: findings the team accepts (kind, path, where, reason, optional expires)",
        None,
        None,
    ),
    (
        "--contract-match-ignore",
        "contract_match_ignore",
        "request body fields replay matching ignores, comma separated, dotted for nested (default: user)",
        None,
        "user",
    ),
    (
        "--contract-redact",
        "contract_redact",
        "regex of secrets to redact in cassettes (ini: one per line); "
        "Authorization and key/token/secret/auth headers are always redacted",
        None,
        None,
    ),
    (
        "--contract-max-live-calls",
        "contract_max_live_calls",
        "cost guard: live calls per run (default: 50)",
        None,
        "50",
    ),
    (
        "--contract-max-tokens",
        "contract_max_tokens",
        "cost guard: refuse live requests asking for more max_tokens (default: 1024; 0 = no limit)",
        None,
        "1024",
    ),
    ("--contract-retries", "contract_retries", "retries of a failing live call (default: 2)", None, "2"),
    (
        "--contract-backoff",
        "contract_backoff",
        "first retry wait in seconds, doubled each time (default: 1)",
        None,
        "1.0",
    ),
    ("--contract-timeout", "contract_timeout", "live call timeout in seconds (default: 60)", None, "60"),
    (
        "--contract-replay-timing",
        "contract_replay_timing",
        "replay delays as a factor of the recorded ones (default: 0 = full speed)",
        None,
        "0",
    ),
    # the contract suite (contract_kit.plugin.suite_tests)
    (
        "--contract-target",
        "contract_target",
        "where the contract suite sends requests: mock (in-process, the "
        f"default) or an API root URL such as {DEFAULT_BASE_URL}",
        None,
        None,
    ),
    (
        "--contract-examples",
        "contract_examples",
        "examples per contract-suite property (default: the active Hypothesis profile's max_examples)",
        None,
        None,
    ),
)


# Repeatable options: (option name, ini key (one value per line), help). The command line's values
# replace the ini key's, as for every setting.
LIST_OPTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "--contract-overlay",
        "contract_overlays",
        "a team's own OpenAPI Overlay, applied after the profile's overlays (repeatable; ini: one per "
        "line, relative to the ini file); accepted drift is appended there, never to the installed kit",
    ),
    (
        "--contract-allow-host",
        "contract_allow_hosts",
        "in replay, let requests to this host reach the network (repeatable; ini: one per line); "
        "every other request that no cassette answers fails its test",
    ),
)


def list_setting(config: pytest.Config, name: str) -> list[Path]:
    """A repeatable setting as paths: command-line values (relative to where pytest was started), else
    the ini key's lines (relative to the ini file's folder, or the rootdir)."""
    given = config.getoption(name, default=None)
    if given:
        return [Path(config.invocation_params.dir, value) for value in given]
    base = config.inipath.parent if config.inipath else config.rootpath
    return [Path(base, line.strip()) for line in config.getini(name) if line.strip()]


def setting(config: pytest.Config, name: str) -> Any:
    """Command line first, then the ini key (which carries the default); markers are merged by the caller."""
    value = config.getoption(name, default=None)
    return value if value is not None else config.getini(name)


def marker_kwargs(request: pytest.FixtureRequest | pytest.Item, name: str) -> dict[str, Any]:
    """Merge marker kwargs from the farthest (module) to the nearest (function): the nearest wins."""
    node = request if isinstance(request, pytest.Item) else request.node
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(name))):
        if marker.args:
            raise MarkerError(f"@pytest.mark.{name} takes keyword arguments only, got {marker.args!r}")
        merged.update(marker.kwargs)
    return merged
