r"""Keep the API key out of everything the kit writes or prints: one redactor for all of it.

Public pull requests exist only to scrub keys from committed VCR cassettes,
because redaction there is opt-in. Here it is on by default, in two layers:

1. **Redaction.** Header values whose *name* looks sensitive
   (``authorization``, ``api-key``, ``x-api-key``, anything matching
   ``key|token|secret|auth|cookie`` case-insensitively) become ``<redacted>``;
   bearer tokens inside text, credentials in URLs (``user:key@host``,
   ``?key=...``, ``&access_token=...``) and every user pattern are replaced
   wherever they occur. The key itself is found in every form it can take on
   the way: literal, in any letter case, JSON-escaped (``\/``, ``\u0073``, escaped
   twice), URL-encoded, hex, base64 and base64url (at any byte offset).
2. **A last check.** Before a file is written, the whole serialized text is
   searched for the key in all those forms. If it is there the write is
   refused with ``SecretLeakError``, which names the file and the line but
   never shows the key.

A stream is redacted as one text (``Redactor.reads``), not read by read, so a
key split across two network reads is found whole, and a user pattern cannot
redact one half and commit the other.

Everything the kit prints (the drift table and warnings, test failures, CLI
errors, log records) passes through :func:`scrub`, which applies the keys and
patterns the run registered (:func:`register`), so a key that reached some
value by a path nobody foresaw is still masked on the way out.

The key itself travels inside a :class:`Secret`, whose ``repr`` and ``str``
are masked, so a traceback with ``--showlocals`` or a debug log of the
session's settings shows ``Secret('***')``.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contract_kit.defaults import API_KEY_ENV
from contract_kit.errors import ConfigError, SecretLeakError

REDACTED = "<redacted>"
SENSITIVE_HEADER = re.compile(r"key|token|secret|auth|cookie", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@\"'<>]*(?=@)")
_URL_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[^=&;#\s\"'<>]*(?:key|token|secret|auth|password|passwd|signature|sig)[^=&;#\s\"'<>]*)=)"
    r"[^&;#\s\"'<>]*"
)
MIN_FORM_CHARS = 8  # shorter encoded cores would match by chance


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


# --- the forms a key takes ----------------------------------------------------------------------


def _char_form(char: str) -> str:
    """One character: literal or JSON-escaped (any depth), a ``u`` escape, or URL-encoded (``%XX``)."""
    code = ord(char)
    forms = [r"\\*" + re.escape(char)]
    if code < 0x10000:
        forms.append(rf"\\+u{code:04x}")
    if code < 0x80:
        forms.append(rf"%{code:02x}")
        if char == " ":
            forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def _text_pattern(key: str) -> str:
    """The key as text: each character in any of its escaped forms, in any letter case."""
    return "".join(_char_form(char) for char in key)


def _base64_cores(data: bytes) -> list[str]:
    """The base64 text that encodes ``data`` at each of the three byte offsets, minus the edges."""
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii").rstrip("=")
        start = 4 if offset else 0  # the first group mixes in the bytes before the key
        usable = (offset + len(data)) // 3 * 4  # groups made of the key's bytes only
        core = encoded[start:usable]
        if len(core) >= MIN_FORM_CHARS:
            cores.append(core)
    return cores


@dataclass(frozen=True)
class _Form:
    """One family of forms: a regex, and cheap substring tests at least one of which any match passes.

    Scanning a megabyte with the regex costs tens of milliseconds; the tests cost one ``lower()``
    and a few ``in`` checks, so text without any trace of the key is not scanned at all.
    """

    pattern: re.Pattern[str]
    clues: tuple[str, ...]  # lower-case; a match's text (lower-cased) contains one of them
    folded: bool = True  # clues are checked against the lower-cased text

    def finditer(self, text: str, lower: str) -> Iterator[re.Match[str]]:
        haystack = lower if self.folded else text
        if any(clue in haystack for clue in self.clues):
            yield from self.pattern.finditer(text)


@functools.lru_cache(maxsize=64)
def _forms(key: str) -> tuple[_Form, ...]:
    """The families of forms of one key: as text (any case, escaped), hex, base64 and base64url."""
    raw = key.encode("utf-8")
    # JSON escaping of '/' and URL quoting leave letters and digits alone; a \u or %XX escape of one does not
    runs = re.findall(r"[A-Za-z0-9]+", key)
    text_clues = ("\\u", "%", max(runs, key=len).lower()) if runs else ("",)
    forms = [
        _Form(re.compile(_text_pattern(key), re.IGNORECASE), text_clues),
        _Form(re.compile(re.escape(raw.hex()), re.IGNORECASE), (raw.hex(),)),
    ]
    for core in _base64_cores(raw):
        url_safe = core.replace("+", "-").replace("/", "_")
        variants = [re.escape(core), re.escape(url_safe)]
        variants.append("".join(re.escape(c) + r"(?:\r?\n|\\r\\n|\\n)?" for c in core))  # wrapped (MIME)
        # a line break every 76 characters or more leaves the first or the last 8 characters whole
        clues = tuple({part for variant in (core, url_safe) for part in (variant[:8], variant[-8:])})
        forms.append(_Form(re.compile("|".join(variants)), clues, folded=False))
    return tuple(forms)


# --- the run's secrets, for everything printed ---------------------------------------------------

_REGISTERED_SECRETS: list[Secret] = []
_REGISTERED_PATTERNS: list[re.Pattern[str]] = []


def register(secrets: Iterable[Secret] = (), patterns: Iterable[re.Pattern[str]] = ()) -> None:
    """Remember keys and patterns the process uses, so :func:`scrub` masks them in anything printed."""
    for secret in secrets:
        if secret and all(secret.reveal() != known.reveal() for known in _REGISTERED_SECRETS):
            _REGISTERED_SECRETS.append(secret)
    for pattern in patterns:
        if pattern not in _REGISTERED_PATTERNS:
            _REGISTERED_PATTERNS.append(pattern)


def active() -> Redactor:
    """The redactor with every registered key and pattern, and the key in the environment."""
    secrets = list(_REGISTERED_SECRETS)
    from_env = os.environ.get(API_KEY_ENV, "").strip()
    if from_env and all(from_env != known.reveal() for known in secrets):
        secrets.append(Secret(from_env))
    return Redactor(tuple(_REGISTERED_PATTERNS), tuple(secrets))


def scrub(text: str) -> str:
    """``text`` with every registered key (in any form), bearer token and URL credential masked."""
    return active().text(text)


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs each record's message (installed on the ``contract_kit`` logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


KIT_LOGGERS = ("contract_kit", "contract_kit.drift.live", "contract_kit.mock")


def install_log_filter(names: Iterable[str] = KIT_LOGGERS) -> None:
    """Scrub the kit's log records. A logger's filters see only its own records, not its children's,
    so each logger the kit logs to gets one."""
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, ScrubbingFilter) for existing in target.filters):
            target.addFilter(ScrubbingFilter())


# --- the redactor -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redactor:
    """Replace secrets in headers, text, streams and JSON structures; check text for the key."""

    patterns: tuple[re.Pattern[str], ...] = ()
    secrets: tuple[Secret, ...] = field(default=(), repr=False)

    def is_sensitive(self, header: str) -> bool:
        return bool(SENSITIVE_HEADER.search(header))

    def header_value(self, name: str, value: str) -> str:
        return REDACTED if self.is_sensitive(name) else self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.header_value(name, value) for name, value in headers.items()}

    def text(self, value: str) -> str:
        spans = self.spans(value)
        if not spans:
            return value
        out, last = [], 0
        for start, end in spans:
            out.append(value[last:start] + REDACTED)
            last = end
        out.append(value[last:])
        return "".join(out)

    def spans(self, value: str) -> list[tuple[int, int]]:
        """Merged ``(start, end)`` ranges of everything to redact in ``value``."""
        found: list[tuple[int, int]] = []
        lower = value.lower()
        gated = (
            (_BEARER, "bearer" in lower),
            (_URL_USERINFO, "@" in value and "://" in value),
            (_URL_SECRET_PARAM, "=" in value),
        )
        for pattern, clue in gated:  # each scan costs tens of milliseconds per megabyte: skip hopeless ones
            if clue:
                found.extend((match.end(1), match.end()) for match in pattern.finditer(value))
        for pattern in self.patterns:
            found.extend(match.span() for match in pattern.finditer(value))
        for secret in self.secrets:
            if secret:
                for form in _forms(secret.reveal()):
                    found.extend(match.span() for match in form.finditer(value, lower))
        return _merged([(start, end) for start, end in found if end > start])

    def reads(self, chunks: Sequence[bytes]) -> list[bytes]:
        """Redact a stream as one text, keeping one chunk per read (a key split across reads is found)."""
        joined = b"".join(chunks).decode("latin-1")
        spans = self.spans(joined)
        if not spans:
            return list(chunks)
        out, position = [], 0
        for chunk in chunks:
            text = chunk.decode("latin-1")
            out.append(_redact_window(text, position, spans).encode("latin-1"))
            position += len(text)
        return out

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
        """Offset of the first key (in any form) in ``text``, or ``None``."""
        offsets = []
        lower = text.lower()
        for secret in self.secrets:
            if secret:
                for form in _forms(secret.reveal()):
                    match = next(form.finditer(text, lower), None)
                    if match is not None:
                        offsets.append(match.start())
        return min(offsets) if offsets else None

    def check_text(self, text: str, *, what: str, source: str) -> None:
        """Refuse (``SecretLeakError``) when ``text`` holds the key in any form."""
        at = self.contains_secret(text)
        if at is not None:
            line = text.count("\n", 0, at) + 1
            raise SecretLeakError(
                f"refusing to write the {what}: it contains the API key (AIMLAPI_API_KEY) or an encoding of "
                "it. Nothing was written. Add a redaction pattern that covers it (--contract-redact REGEX or "
                "the ini key contract_redact) and run again",
                source=source,
                location=f"line {line}",
            )


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _redact_window(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """The part of ``text`` (at ``offset`` in the whole) with the spans that cross it redacted.

    The redaction mark goes into the read where a span starts; later reads lose their part of it.
    """
    out, last, end_of_text = [], 0, offset + len(text)
    for start, end in spans:
        if end <= offset or start >= end_of_text:
            continue
        local_start, local_end = max(start, offset) - offset, min(end, end_of_text) - offset
        out.append(text[last:local_start] + (REDACTED if start >= offset else ""))
        last = local_end
    out.append(text[last:])
    return "".join(out)
