"""Keep the API key out of everything the kit writes or prints.

Public pull requests exist only to scrub keys from committed VCR cassettes,
because redaction there is opt-in. Here it is on by default, in two layers:

1. **Redaction.** Header values whose *name* looks sensitive
   (``authorization``, ``api-key``, ``x-api-key``, anything matching
   ``key|token|secret|auth|cookie`` case-insensitively) become ``<redacted>``;
   bearer tokens inside text and every user pattern are replaced wherever
   they occur in a header value or a body string.
2. **A last check.** Before a file is written, the whole serialized text (and
   every base64 payload, decoded) is searched for the literal key. If it is
   there the write is refused with ``SecretLeakError``, which names the file
   and the line but never shows the key.

The key itself travels inside a :class:`Secret`, whose ``repr`` and ``str``
are masked, so a traceback with ``--showlocals`` or a debug log of the
session's settings shows ``Secret('***')``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_kit.errors import ConfigError, SecretLeakError

REDACTED = "<redacted>"
SENSITIVE_HEADER = re.compile(r"key|token|secret|auth|cookie", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=\-]{8,}")


class Secret:
    """A string that never shows itself; call ``reveal()`` at the one place that sends it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """User patterns (``--contract-redact`` / ini ``contract_redact``), each a Python regex."""
    compiled = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ConfigError(
                f"redaction pattern {pattern!r} is not a valid regular expression ({exc}); "
                "fix it in --contract-redact / ini contract_redact"
            ) from None
    return tuple(compiled)


@dataclass(frozen=True)
class Redactor:
    """Replace secrets in headers, text and JSON structures; check text for the literal key."""

    patterns: tuple[re.Pattern[str], ...] = ()
    secrets: tuple[Secret, ...] = field(default=(), repr=False)

    def is_sensitive(self, header: str) -> bool:
        return bool(SENSITIVE_HEADER.search(header))

    def header_value(self, name: str, value: str) -> str:
        return REDACTED if self.is_sensitive(name) else self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.header_value(name, value) for name, value in headers.items()}

    def text(self, value: str) -> str:
        value = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
        for pattern in self.patterns:
            value = pattern.sub(REDACTED, value)
        for secret in self.secrets:
            if secret and secret.reveal() in value:
                value = value.replace(secret.reveal(), REDACTED)
        return value

    def value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like structure (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value

    def contains_secret(self, text: str) -> int | None:
        """Offset of the first literal key in ``text``, or ``None``."""
        for secret in self.secrets:
            if secret:
                at = text.find(secret.reveal())
                if at >= 0:
                    return at
        return None

    def check_text(self, text: str, *, what: str, source: str) -> None:
        """Refuse (``SecretLeakError``) when ``text`` holds the key or base64 that decodes to it."""
        at = self.contains_secret(text)
        if at is not None:
            line = text.count("\n", 0, at) + 1
            raise SecretLeakError(
                f"refusing to write the {what}: it contains the API key (AIMLAPI_API_KEY). Nothing was "
                "written. Add a redaction pattern that covers it (--contract-redact REGEX or the ini key "
                "contract_redact) and run again",
                source=source,
                location=f"line {line}",
            )
        for match in re.finditer(r"[A-Za-z0-9+/]{16,}={0,2}", text):
            if self._decoded_secret(match.group()):
                line = text.count("\n", 0, match.start()) + 1
                raise SecretLeakError(
                    f"refusing to write the {what}: a base64 payload decodes to data that contains the API "
                    "key. Nothing was written. Add a redaction pattern for it and run again",
                    source=source,
                    location=f"line {line}",
                )

    def _decoded_secret(self, candidate: str) -> bool:
        if not any(self.secrets):
            return False
        try:
            raw = base64.b64decode(candidate + "=" * (-len(candidate) % 4), validate=True)
        except (binascii.Error, ValueError):
            return False
        return any(secret and secret.reveal().encode() in raw for secret in self.secrets)
