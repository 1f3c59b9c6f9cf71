"""One error hierarchy for the whole kit.

Every message says what went wrong *and* what to do next. Subclasses also
inherit the builtin a caller would naturally catch (``ValueError`` for bad
input, ``AssertionError`` for a broken contract in a test, ``LookupError`` for
a missing cassette), so ``pytest.raises(ValueError)`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contract_kit.violations import Violation


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
        where = ""
        if source:
            where = f"{source}"
            if location:
                where += f" at {location}"
            where += ": "
        super().__init__(f"{where}{message}")


class OverlayError(SpecError):
    """An overlay file is malformed or one of its actions cannot be applied."""


class ProfileError(ContractKitError, ValueError):
    """An unknown profile name was asked for."""


class OperationNotFoundError(SpecError):
    """The document has no chat-completions operation the kit can test."""


class ContractViolationError(ContractKitError, AssertionError):
    """A payload broke the contract; the message lists every violation."""

    def __init__(self, violations: Sequence[Violation], *, title: str = "contract violated") -> None:
        from contract_kit.violations import format_violations

        self.violations = list(violations)
        super().__init__(f"{title}:\n{format_violations(self.violations)}")


class SSEError(ContractKitError, ValueError):
    """A byte stream is not a usable server-sent event stream."""


class ConfigError(ContractKitError, ValueError):
    """A setting (option, ini key, marker, environment variable) has a bad value."""
