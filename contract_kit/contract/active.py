"""The contract a run is configured with, for code that builds strategies before any fixture runs.

A Hypothesis strategy made at import time (``@given(chat_requests())``) cannot
ask pytest which ``--contract-spec`` or ``--contract-profile`` the run uses, and
the strategies must not import pytest. So the pytest plugin shares its settings
here, and the strategies read them when they first draw. Outside pytest nothing
is shared and :func:`active_contract` is ``load_contract()``'s default.

Settings are a stack: an in-process pytest run inside another (pytester) shares
its own and gives the outer run's back when it ends.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from contract_kit.contract.contract_set import ContractSet, load_contracts, spec_paths
from contract_kit.contract.effective import Contract
from contract_kit.contract.loading import load_contract
from contract_kit.defaults import DEFAULT_PROFILE
from contract_kit.errors import SpecError


@dataclass(frozen=True)
class ContractSettings:
    """What :func:`~contract_kit.contract.effective.load_contract` needs to load a run's contract."""

    profile: str = DEFAULT_PROFILE
    spec: str | Path | tuple[str | Path, ...] | None = None
    """A file or folder, several joined by ``os.pathsep``, or a tuple of them (see ``spec_paths``)."""
    overlays: tuple[str | Path, ...] = ()

    def load(self, profile: str | None = None) -> Contract:
        """This run's contract, under ``profile`` instead of the configured one when given."""
        paths = spec_paths(self.spec)
        if len(paths) != 1:
            raise SpecError(
                f"the run is configured with {len(paths)} documents; load them with load_set() "
                "(or contract_kit.contract.load_contracts)"
            )
        return load_contract(profile or self.profile, paths[0], overlays=self.overlays)

    def load_set(self, profile: str | None = None) -> ContractSet:
        """Every document of this run (one for a single file), under ``profile`` when given."""
        return load_contracts(profile or self.profile, self.spec, overlays=self.overlays)

    def load_any(self, profile: str | None = None) -> Contract | ContractSet:
        """The one contract of a single document (as ever), else the set of every document."""
        found = self.load_set(profile)
        return found.primary if len(found) == 1 else found


_DEFAULT = ContractSettings()
_STACK: list[ContractSettings] = []
_LOCK = threading.Lock()


def share_settings(settings: ContractSettings) -> None:
    """Make ``settings`` the active ones until :func:`unshare_settings` (the plugin calls both)."""
    with _LOCK:
        _STACK.append(settings)


def unshare_settings(settings: ContractSettings) -> None:
    """Withdraw ``settings`` (the latest sharing of it), giving the enclosing run's back."""
    with _LOCK:
        for index in range(len(_STACK) - 1, -1, -1):
            if _STACK[index] is settings:
                del _STACK[index]
                return


def active_settings() -> ContractSettings:
    """The settings of the innermost pytest run that shared them, else the defaults."""
    with _LOCK:
        return _STACK[-1] if _STACK else _DEFAULT


def active_contract(profile: str | None = None) -> Contract:
    """The configured contract (``profile`` overrides the configured profile); loaded once per process."""
    return active_settings().load(profile)


def active_contracts(profile: str | None = None) -> Contract | ContractSet:
    """The configured contract, or the set of them when the run names several documents."""
    return active_settings().load_any(profile)


__all__ = [
    "ContractSettings",
    "active_contract",
    "active_contracts",
    "active_settings",
    "share_settings",
    "unshare_settings",
]
