"""A small, dependency-free JSONPath (an RFC 9535 subset) for overlay targets and reports.

Supported: ``$``, ``.name``, ``['name']``, ``.*``/``[*]``, ``[0]``/``[-1]``, ``..name``/``..*``,
unions (``['a','b']``) and one simple filter (``[?@.a.b == 'x']``, any of ``== != < <= > >=``,
or ``[?@.a]`` / ``[?!@.a]``). Anything else raises ``OverlayError`` naming the syntax and its
offset: a target we misread would silently edit the wrong part of a spec.

Order follows RFC 9535: a descendant segment visits the input node and then its descendants
depth-first, applying its selectors to each. PyYAML reads ``200:`` as an int, so ``['200']``
also finds the key ``200``; ``Match.key`` is the real key (for ``del``), while ``Match.path``
holds ``str`` for members and ``int`` for indexes only, so paths render unambiguously.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from contract_kit.errors import OverlayError
from contract_kit.validation import json_path

Part = str | int

_NAME_RE = re.compile(r"[A-Za-z_\u0080-\U0010FFFF][A-Za-z0-9_\u0080-\U0010FFFF]*")
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\", "'": "'", '"': '"'}
_BLANK = " \t\n\r"


@dataclass(frozen=True)
class Match:
    """One selected node, with enough context to edit it in place (``parent[key]``)."""

    value: Any
    parent: Any | None
    key: str | int | None
    path: tuple[str | int, ...]

    @property
    def location(self) -> str:
        """The node's normalized path, e.g. ``$.paths["/v1/chat/completions"].post``."""
        return json_path(self.path)


def member_key(mapping: dict[Any, Any], name: str) -> str | int | None:
    """Return the key of ``mapping`` that ``name`` denotes, or None; ``'200'`` also finds int ``200``."""
    if name in mapping:
        return name
    if _INT_RE.fullmatch(name) and int(name) in mapping:
        return int(name)
    return None


def children(node: Match) -> Iterator[Match]:
    """The node's object members or array elements, in document order."""
    value = node.value
    if isinstance(value, dict):
        for key in value:
            yield _member(node, key)
    elif isinstance(value, list):
        for index in range(len(value)):
            yield Match(value[index], value, index, (*node.path, index))


def _member(node: Match, key: Any) -> Match:
    part = key if isinstance(key, str) else str(key)
    return Match(node.value[key], node.value, key, (*node.path, part))


def _walk(node: Match) -> Iterator[Match]:
    """The node and all its descendants, depth-first, without recursion limits."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


class Selector(Protocol):
    def select(self, node: Match) -> Iterator[Match]: ...


@dataclass(frozen=True)
class NameSelector:
    name: str

    def select(self, node: Match) -> Iterator[Match]:
        if isinstance(node.value, dict):
            key = member_key(node.value, self.name)
            if key is not None:
                yield _member(node, key)


@dataclass(frozen=True)
class WildcardSelector:
    def select(self, node: Match) -> Iterator[Match]:
        return children(node)


@dataclass(frozen=True)
class IndexSelector:
    index: int

    def select(self, node: Match) -> Iterator[Match]:
        value = node.value
        if isinstance(value, list):
            index = self.index + len(value) if self.index < 0 else self.index
            if 0 <= index < len(value):
                yield Match(value[index], value, index, (*node.path, index))


@dataclass(frozen=True)
class FilterSelector:
    """``[?@.a.b OP literal]``, ``[?@.a]`` or ``[?!@.a]`` over the node's children."""

    query: tuple[Part, ...]
    op: str | None = None
    literal: Any = None
    negate: bool = False

    def select(self, node: Match) -> Iterator[Match]:
        return (child for child in children(node) if self.test(child.value))

    def test(self, value: Any) -> bool:
        found, left = _resolve_relative(value, self.query)
        if self.op is None:
            return found != self.negate
        return _compare(found, left, self.op, self.literal)


def _resolve_relative(value: Any, query: Iterable[Part]) -> tuple[bool, Any]:
    for part in query:
        if isinstance(part, str) and isinstance(value, dict):
            key = member_key(value, part)
            if key is None:
                return False, None
            value = value[key]
        elif isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        else:
            return False, None
    return True, value


def _compare(found: bool, left: Any, op: str, right: Any) -> bool:
    """RFC 9535 comparison: a missing value equals nothing; ordering needs two numbers or two strings."""
    if not found:
        return op == "!="
    if op in (">", ">="):
        left, right = right, left
    equal = type(left) is type(right) if bool in (type(left), type(right)) else True
    equal = equal and bool(left == right)  # JSON, unlike Python, does not treat true as 1
    if op in ("==", "!="):
        return equal == (op == "==")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    strings = isinstance(left, str) and isinstance(right, str)
    return ((numbers or strings) and bool(left < right)) or (op in ("<=", ">=") and equal)


@dataclass(frozen=True)
class Segment:
    selectors: tuple[Selector, ...]
    descendant: bool = False

    def apply(self, node: Match) -> Iterator[Match]:
        sources = _walk(node) if self.descendant else iter((node,))
        for source in sources:
            for selector in self.selectors:
                yield from selector.select(source)


@dataclass(frozen=True)
class CompiledPath:
    """A parsed expression; build it with :func:`compile_path` so parsing is cached."""

    expr: str
    segments: tuple[Segment, ...]

    def find(self, document: Any) -> list[Match]:
        nodes = [Match(document, None, None, ())]
        for segment in self.segments:
            nodes = [match for node in nodes for match in segment.apply(node)]
        return nodes


@functools.lru_cache(maxsize=512)
def compile_path(expr: str) -> CompiledPath:
    """Parse ``expr`` once; overlays and lint reuse the same targets many times."""
    return CompiledPath(expr, _Parser(expr).parse())


def find(expr: str, document: Any) -> list[Match]:
    """Every node ``expr`` selects in ``document``, in RFC 9535 order."""
    return compile_path(expr).find(document)


class _Parser:
    """Recursive descent over the expression; ``pos`` is the offset reported in errors."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.pos = 0

    def error(self, what: str, pos: int | None = None) -> OverlayError:
        at = self.pos if pos is None else pos
        return OverlayError(f"unsupported JSONPath syntax: {what} at offset {at} in {self.expr!r}")

    def peek(self) -> str:
        return self.expr[self.pos : self.pos + 1]

    def skip_blank(self) -> None:
        while self.peek() and self.peek() in _BLANK:
            self.pos += 1

    def parse(self) -> tuple[Segment, ...]:
        if not self.expr.startswith("$"):
            raise self.error("a JSONPath must start with '$'", 0)
        self.pos = 1
        segments: list[Segment] = []
        self.skip_blank()
        while self.pos < len(self.expr):
            segments.append(self.segment())
            self.skip_blank()
        return tuple(segments)

    def segment(self) -> Segment:
        if self.expr.startswith("..", self.pos):
            self.pos += 2
            return Segment(self.after_dot(descendant=True), descendant=True)
        if self.peek() == ".":
            self.pos += 1
            return Segment(self.after_dot(descendant=False))
        if self.peek() == "[":
            return Segment(self.bracket())
        raise self.error(f"unexpected character {self.peek()!r} (quote other names: ['x-name'])")

    def after_dot(self, *, descendant: bool) -> tuple[Selector, ...]:
        if self.peek() == "*":
            self.pos += 1
            return (WildcardSelector(),)
        if descendant and self.peek() == "[":
            return self.bracket()
        return (NameSelector(self.member_name()),)

    def member_name(self) -> str:
        match = _NAME_RE.match(self.expr, self.pos)
        if not match:
            found = repr(self.peek()) if self.peek() else "end of expression"
            raise self.error(
                f"expected a member name or '*' but found {found} (quote other names: ['x-name'])"
            )
        self.pos = match.end()
        return match.group()

    def bracket(self) -> tuple[Selector, ...]:
        start = self.pos
        self.pos += 1
        selectors = [self.selector(start)]
        while True:
            self.skip_blank()
            char = self.peek()
            if char == "]":
                self.pos += 1
                return tuple(selectors)
            if char == ",":
                self.pos += 1
                selectors.append(self.selector(start))
            else:
                raise self.unexpected_in_bracket(start)

    def unexpected_in_bracket(self, start: int) -> OverlayError:
        char = self.peek()
        if char == ":":
            return self.error("array slice ('[start:end:step]')")
        if char in ("&", "|"):
            return self.error("'&&' / '||' in a filter (only one comparison is supported)")
        if not char:
            return self.error("'[' is never closed", start)
        return self.error(f"unexpected character {char!r} inside brackets")

    def selector(self, start: int) -> Selector:
        self.skip_blank()
        char = self.peek()
        if char in ("'", '"'):
            return NameSelector(self.string())
        if char == "*":
            self.pos += 1
            return WildcardSelector()
        if char == "-" or char.isdigit():
            return IndexSelector(self.integer())
        if char == "?":
            return self.filter()
        raise self.unexpected_in_bracket(start)

    def integer(self) -> int:
        match = _INT_RE.match(self.expr, self.pos)
        if not match:
            raise self.error("malformed array index")
        self.pos = match.end()
        return int(match.group())

    def string(self) -> str:
        start, quote = self.pos, self.peek()
        self.pos += 1
        out: list[str] = []
        while self.peek() != quote:
            if not self.peek():
                raise self.error("string is never closed", start)
            out.append(self.escape() if self.peek() == "\\" else self.peek())
            self.pos += 1
        self.pos += 1
        return "".join(out)

    def escape(self) -> str:
        """Decode one escape; leaves ``pos`` on its last character (the caller steps past it)."""
        code = self.expr[self.pos + 1 : self.pos + 2]
        if code in _ESCAPES:
            self.pos += 1
            return _ESCAPES[code]
        if code != "u":
            raise self.error(f"unknown escape '\\{code}'")
        value = self.hex4(self.pos + 2)
        self.pos += 5
        if 0xD800 <= value < 0xDC00 and self.expr.startswith("\\u", self.pos + 1):
            low = self.hex4(self.pos + 3)
            if 0xDC00 <= low < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00))
        return chr(value)

    def hex4(self, at: int) -> int:
        digits = self.expr[at : at + 4]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.error("malformed '\\u' escape", at)
        return int(digits, 16)

    def filter(self) -> FilterSelector:
        self.pos += 1
        self.skip_blank()
        negate = self.peek() == "!"
        self.pos += int(negate)
        if self.peek() != "@":
            raise self.error("filter other than '@.path OP literal' or '@.path'")
        self.pos += 1
        query = self.relative_query()
        self.skip_blank()
        op = next((op for op in _COMPARISONS if self.expr.startswith(op, self.pos)), None)
        if op is None:
            return FilterSelector(query, negate=negate)
        if negate:
            raise self.error("negated comparison (write '!=' instead)")
        self.pos += len(op)
        self.skip_blank()
        return FilterSelector(query, op, self.literal())

    def relative_query(self) -> tuple[Part, ...]:
        parts: list[Part] = []
        while self.peek() in (".", "["):
            start = self.pos
            self.pos += 1
            if self.expr[start] == ".":
                parts.append(self.member_name())
                continue
            self.skip_blank()
            parts.append(self.string() if self.peek() in ("'", '"') else self.integer())
            self.skip_blank()
            if self.peek() != "]":
                raise self.error("only single names and indexes are supported in a filter path")
            self.pos += 1
        return tuple(parts)

    def literal(self) -> Any:
        if self.peek() in ("'", '"'):
            return self.string()
        number = _NUMBER_RE.match(self.expr, self.pos)
        if number:
            self.pos = number.end()
            text = number.group()
            return int(text) if _INT_RE.fullmatch(text) else float(text)
        word = next((w for w in _LITERALS if self.expr.startswith(w, self.pos)), None)
        if word is None:
            raise self.error("filter comparisons need a string, number, true, false or null literal")
        self.pos += len(word)
        return _LITERALS[word]
