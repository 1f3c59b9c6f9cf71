"""The structured finding every check in the kit returns.

A ``Violation`` carries enough to act on without re-running anything: where
(JSON path and which message of the exchange), which rule, what the contract
expected and what was observed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["schema", "undocumented", "semantic", "stream", "framing", "status", "content-type"]
Severity = Literal["error", "info"]

MAX_OBSERVED_CHARS = 120


@dataclass(slots=True)
class Violation:
    """One broken (or, at ``info`` severity, merely noteworthy) rule.

    ``path`` is a JSONPath into the payload, e.g. ``$.choices[0].message.role``.
    ``rule`` is the JSON Schema keyword (``required``, ``type``, ``enum``...),
    the stream invariant or the semantic rule that was checked.
    ``where`` is ``request``, ``response``, ``chunk N`` or ``stream``.
    """

    path: str
    rule: str
    message: str
    where: str = "response"
    expected: Any = None
    observed: Any = None
    kind: Kind = "schema"
    severity: Severity = "error"
    extra: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["observed"] = truncate(self.observed)
        data["expected"] = truncate(self.expected)
        if not data["extra"]:
            del data["extra"]
        return data

    def format(self) -> str:
        line = f"[{self.where}] {self.path}: {self.message} (rule: {self.rule})"
        if self.severity == "info":
            line = f"info: {line}"
        return line


def truncate(value: Any, limit: int = MAX_OBSERVED_CHARS) -> Any:
    """Keep reports bounded: long strings and big structures are cut to ``limit`` characters."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return value
    return text[: limit - 1] + "…"


def errors_only(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.is_error]


def format_violations(violations: Iterable[Violation]) -> str:
    lines = [f"  - {v.format()}" for v in violations]
    return "\n".join(lines) if lines else "  (none)"


def json_path(parts: Iterable[str | int]) -> str:
    """Render a JSON Pointer-like sequence of keys and indexes as an RFC 9535 normalized-style JSONPath.

    Only ASCII identifiers use the ``.name`` shorthand; any other name is quoted, so every path
    the kit prints is one an overlay target can use as it stands.
    """
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            out += f".{part}"
        else:
            out += "[" + json.dumps(part) + "]"
    return out


_INDEX_OR_QUOTED_RE = re.compile(r"""(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\[\s*-?[0-9]+\s*\]""")


def normalize(path: str) -> str:
    """Replace every array index ``[3]`` with ``[*]`` so drift reports group list elements.

    Quoted names are matched first and kept as they are, so ``$["a[3]"]`` keeps its ``[3]``.
    """
    return _INDEX_OR_QUOTED_RE.sub(lambda m: m.group("quoted") or "[*]", path)
