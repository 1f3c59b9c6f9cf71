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

from contract_kit.contract.effective import Contract, load_contract
from contract_kit.defaults import DEFAULT_PROFILE


@dataclass(frozen=True)
class ContractSettings:
    """What :func:`~contract_kit.contract.effective.load_contract` needs to load a run's contract."""

    profile: str = DEFAULT_PROFILE
    spec: str | Path | None = None
    overlays: tuple[str | Path, ...] = ()

    def load(self, profile: str | None = None) -> Contract:
        """This run's contract, under ``profile`` instead of the configured one when given."""
        return load_contract(profile or self.profile, self.spec, overlays=self.overlays)


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


__all__ = ["ContractSettings", "active_contract", "active_settings", "share_settings", "unshare_settings"]
