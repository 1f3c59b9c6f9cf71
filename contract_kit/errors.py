"""One error hierarchy for the whole kit.

Every message says what went wrong *and* what to do next. Subclasses also
inherit the builtin a caller would naturally catch (``ValueError`` for bad
input, ``AssertionError`` for a broken contract in a test, ``LookupError`` for
a missing cassette), so ``pytest.raises(ValueError)`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contract_kit.validation import Violation


class ContractKitError(Exception):
    """Root of every error the kit raises on purpose."""


class SpecError(ContractKitError, ValueError):
    """The OpenAPI document cannot be read or used.

    ``source`` names the file and ``location`` the place inside it, so the
    CLI and the plugin can print one precise line instead of a traceback.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None) -> None:
        self.source = source
        self.location = location
        if source:
            super().__init__(f"{source} at {location}: {message}" if location else f"{source}: {message}")
        else:
            super().__init__(f"{message} (at {location})" if location else message)


class OverlayError(SpecError):
    """An overlay file is malformed or one of its actions cannot be applied."""


class ProfileError(ContractKitError, ValueError):
    """An unknown profile name was asked for."""


class OperationNotFoundError(SpecError):
    """The document has no chat-completions operation the kit can test."""


class ContractViolationError(ContractKitError, AssertionError):
    """A payload broke the contract; the message lists every violation."""

    def __init__(self, violations: Sequence[Violation], *, title: str = "contract violated") -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  - {violation.format()}" for violation in self.violations) or "  (none)"
        super().__init__(f"{title}:\n{lines}")


class SSEError(ContractKitError, ValueError):
    """A byte stream is not a usable server-sent event stream."""


class ConfigError(ContractKitError, ValueError):
    """A setting (option, ini key, marker, environment variable) has a bad value."""


class DuplicateModelError(ConfigError):
    """Two documents of a contract set list the same model; the message names both files."""


class ControlRequestError(ConfigError):
    """A request to the mock's control plane (``/_contract/...``) it refuses; ``status`` is the 4xx sent."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class MarkerError(ContractKitError, TypeError):
    """A marker or fixture option has an unknown keyword or a bad value."""


# --- record, replay and drift -------------------------------------------------------------------


class CassetteError(ContractKitError, ValueError):
    """A cassette file is malformed, or cannot be written safely.

    ``source`` names the file and ``location`` the place inside it (a line, or
    an interaction), so the plugin and the CLI print one precise line.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None) -> None:
        self.source = source
        self.location = location
        where = ""
        if source:
            where = source + (f" at {location}" if location else "") + ": "
        super().__init__(f"{where}{message}")


class CassetteNotFoundError(ContractKitError, LookupError, AssertionError):
    """Replay needs a cassette that is not there; the message names the file and the command that records it."""


class CassetteMismatchError(ContractKitError, LookupError, AssertionError):
    """A replayed request matches no recorded interaction; the message shows a diff against the closest one."""


class SecretLeakError(CassetteError):
    """A cassette, report or overlay would contain the API key, so nothing was written.

    The message never contains the key itself, only where it was found.
    """


class LiveConfigError(ConfigError):
    """A live mode (record, once, live) is missing a setting, usually ``AIMLAPI_API_KEY``."""


class CostGuardError(ContractKitError, AssertionError):
    """The run reached a cost limit (live calls per run, ``max_tokens`` of a request)."""


class LiveAPIError(ContractKitError, AssertionError):
    """The live API kept failing (5xx, 429, timeout, dropped connection) after bounded retries.

    ``fault`` holds the same facts as the message, structured for the drift report.
    """

    fault: dict[str, Any] | None = None


class TargetAuthError(ContractKitError, AssertionError):
    """A suite target refused the credentials (401/403): its answers say nothing about the contract."""


class DriftError(ContractKitError, AssertionError):
    """New breaking drift was seen under ``--contract-drift=fail``; the message lists the findings."""


class EngineRequestError(ContractKitError, ValueError):
    """A schema-valid request the model would still refuse (the service answers 400)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        self.param = param
        super().__init__(message)


class WorkBudgetError(EngineRequestError):
    """A request asks the mock for more work than its documented limits allow (the service answers 400).

    The message names the keyword, its place in the request and the limit
    (``contract_kit/mock/limits.py``, README "The mock's limits").
    """


class InstanceError(ContractKitError, ValueError):
    """No value satisfying the schema could be generated (with ``strict=True``)."""


class UnmockedRequestError(ContractKitError, AssertionError):
    """A mock-only httpx2 client was asked for a URL outside its base URLs."""


class KeyRefusedError(ContractKitError, AssertionError):
    """The live API answered 401 or 403 while recording: the evidence is about the key, not the API."""


class BlockedRequestError(UnmockedRequestError):
    """Replay is hermetic: a request no cassette answers would have left the process."""


class ServerStartError(ContractKitError, RuntimeError):
    """The background server did not come up; the message says why."""


class NoRuleMatchedError(ConfigError):
    """Strict reply rules and a request none of them matches; the message names the closest rule."""


class GenerationFallbackWarning(UserWarning):
    """The document uses a keyword the generator does not build: its cases are filtered by the validator."""
