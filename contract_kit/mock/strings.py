"""Strings of a required shape: JSON Schema ``format`` values and regex ``pattern`` matches.

Split from :mod:`contract_kit.mock.instances` because shaping a string is its
own small problem: a date must parse, an email must have an ``@``, and a
``pattern`` needs a string the regex accepts, not words that merely look right.

Patterns are generated from a subset of regex syntax — literals, escapes
(``\\d \\w \\s``...), classes with ranges and negation, ``.``, groups and
alternation, quantifiers ``? * + {n} {n,} {n,m}`` (lazy too), anchors.
Lookarounds and backreferences raise :class:`Unsatisfiable`; the caller then
falls back (see ``instances``). JSON Schema patterns are unanchored, so a string
matching the whole pattern is always accepted by ``re.search``.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from typing import Any

from contract_kit.mock.content import words
from contract_kit.mock.limits import MAX_PATTERN_LENGTH, MAX_PATTERN_REPEAT

_WORD_CHARS = tuple(string.ascii_letters + string.digits + "_")
_PRINTABLE = tuple(string.ascii_letters + string.digits + "-_. ")


class Unsatisfiable(Exception):
    """This attempt cannot produce a value; the caller retries or gives up."""


def format_string(fmt: str, rng: random.Random) -> str | None:
    """A value of the named ``format``, or ``None`` for a format the kit does not know."""
    make = _FORMATS.get(fmt)
    return None if make is None else make(rng)


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2000, 2030):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _time(rng: random.Random) -> str:
    return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"


def _slug(rng: random.Random) -> str:
    return words(rng, 1).replace("-", "")


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date": _date,
    "time": _time,
    "date-time": lambda rng: f"{_date(rng)}T{_time(rng)}",
    "email": lambda rng: f"{_slug(rng)}.{_slug(rng)}@example.com",
    "uri": lambda rng: f"https://example.com/{_slug(rng)}/{rng.randint(1, 999)}",
    "url": lambda rng: f"https://example.com/{_slug(rng)}/{rng.randint(1, 999)}",
    "iri": lambda rng: f"https://example.com/{_slug(rng)}",
    "uri-reference": lambda rng: f"/{_slug(rng)}/{rng.randint(1, 999)}",
    "uuid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "hostname": lambda rng: f"{_slug(rng)}.example.com",
    "ipv4": lambda rng: ".".join(str(rng.randint(1, 254)) for _ in range(4)),
    "ipv6": lambda rng: f"2001:db8::{rng.randint(1, 0xFFFF):x}",
}


# --- patterns ---------------------------------------------------------------------------------

Node = tuple[Any, ...]
_CLASS_ESCAPES = {
    "d": tuple(string.digits),
    "w": _WORD_CHARS,
    "s": (" ",),
    "D": tuple(string.ascii_letters),
    "W": ("-", ".", " "),
    "S": tuple(string.ascii_letters),
}
_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


def pattern_hazard(pattern: str) -> str | None:
    """Why ``pattern`` is refused before any work, or ``None`` when it is safe to use.

    Python's ``re`` backtracks, so a pattern that can match one string in
    exponentially many ways (a repetition of something that itself repeats a
    variable number of times: ``(a+)+``, ``(a{1,5})*``) or that asks for huge
    counts (``^(a{10000}){5000}$``) can stall the process. Both are refused;
    counted repetition with a fixed inner count (``(\\d{3}-)+``) is fine.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"it is {len(pattern)} characters long; the mock's limit is {MAX_PATTERN_LENGTH}"
    try:
        _HazardScan(pattern).run()
    except _Hazard as hazard:
        return str(hazard)
    return None


class _Hazard(Exception):
    """The pattern is too costly to match or generate."""


class _HazardScan:
    """One pass over a pattern tracking, per group, its largest repetition count and
    whether it repeats a variable number of times (what makes a repeated group ambiguous)."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0
        self.frames: list[list[int]] = [[1, 0]]  # [largest count product inside, varies (0/1)]

    def run(self) -> None:
        while self.pos < len(self.text):
            atom = self._atom()
            if atom is not None:
                self._quantify(*atom)

    def _atom(self) -> tuple[int, int] | None:
        char = self.text[self.pos]
        self.pos += 1
        if char == "\\":
            self.pos += 1
        elif char == "[":
            self._skip_class()
        elif char == "(":
            self._skip_group_prefix()
            self.frames.append([1, 0])
            return None
        elif char == ")" and len(self.frames) > 1:
            count, varies = self.frames.pop()
            return count, varies
        elif char == "|":
            return None
        return 1, 0

    def _skip_class(self) -> None:
        if self.text.startswith("^", self.pos):
            self.pos += 1
        if self.text.startswith("]", self.pos):
            self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] != "]":
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1

    def _skip_group_prefix(self) -> None:
        if not self.text.startswith("?", self.pos):
            return
        close = self.text.find(">", self.pos)
        if (
            self.text.startswith(("?P<", "?<"), self.pos)
            and close > 0
            and self.text[self.pos + 2] not in "=!"
        ):
            self.pos = close + 1
            return
        self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] in "=!<:aiLmsux-":
            self.pos += 1

    def _quantifier(self) -> tuple[int, int | None] | None:
        char = self.text[self.pos] if self.pos < len(self.text) else ""
        if char in ("*", "+", "?"):
            self.pos += 1
            bounds: tuple[int, int | None] = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{" and (close := self.text.find("}", self.pos)) > 0:
            low, comma, high = self.text[self.pos + 1 : close].partition(",")
            if not low.isdigit() or (high and not high.isdigit()):
                return None
            self.pos = close + 1
            bounds = (int(low), int(high) if high else (None if comma else int(low)))
        else:
            return None
        if self.pos < len(self.text) and self.text[self.pos] in "?+":
            self.pos += 1
        return bounds

    def _quantify(self, count: int, varies: int) -> None:
        bounds = self._quantifier()
        frame = self.frames[-1]
        if bounds is None:
            frame[0], frame[1] = max(frame[0], count), frame[1] | varies
            return
        low, high = bounds
        most = max(low, high or 0)
        if most > MAX_PATTERN_REPEAT:
            raise _Hazard(f"it repeats {most} times; the mock's limit is {MAX_PATTERN_REPEAT}")
        if varies and (high is None or high > 1):
            raise _Hazard(
                "it repeats a group that itself repeats a variable number of times (like (a+)+), "
                "which makes a backtracking regex engine take exponential time"
            )
        product = count * max(most, 1)
        if product > MAX_PATTERN_REPEAT:
            raise _Hazard(
                f"its nested repetitions multiply to {product}; the mock's limit is {MAX_PATTERN_REPEAT}"
            )
        frame[0], frame[1] = max(frame[0], product), frame[1] | int(high != low)


def pattern_string(pattern: str, rng: random.Random) -> str:
    """A string matched by ``pattern`` (see the module docstring for the subset)."""
    parser = _PatternParser(pattern)
    tree = parser.alternation()
    if parser.pos != len(pattern):
        raise Unsatisfiable(f"unbalanced ')' in pattern {pattern!r}")
    out: list[str] = []
    _emit(tree, rng, out)
    return "".join(out)


def _emit(node: Node, rng: random.Random, out: list[str]) -> None:
    kind = node[0]
    if kind == "chars":
        out.append(rng.choice(node[1]))
    elif kind == "seq":
        for child in node[1]:
            _emit(child, rng, out)
    elif kind == "alt":
        _emit(rng.choice(node[1]), rng, out)
    else:
        _, child, low, high = node
        for _ in range(rng.randint(low, min(low + 3, low + 3 if high is None else high))):
            _emit(child, rng, out)


class _PatternParser:
    """Recursive descent over the supported regex subset, producing a small tree."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _take(self) -> str:
        if self.pos >= len(self.text):
            raise Unsatisfiable(f"pattern {self.text!r} ends early")
        self.pos += 1
        return self.text[self.pos - 1]

    def alternation(self) -> Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        return ("alt", branches) if len(branches) > 1 else branches[0]

    def _sequence(self) -> Node:
        items: list[Node] = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return ("seq", items)

    def _atom(self) -> Node:
        char = self._take()
        if char == "(":
            return self._group()
        if char == "[":
            return self._char_class()
        if char == ".":
            return ("chars", _PRINTABLE)
        if char in "^$":
            return ("seq", [])
        if char == "\\":
            return self._escape()
        if char in "*+?{":
            raise Unsatisfiable(f"nothing to repeat at {self.pos - 1} in {self.text!r}")
        return ("chars", (char,))

    def _group(self) -> Node:
        if self.text.startswith("?:", self.pos):
            self.pos += 2
        elif self._named_group():
            self.pos = self.text.index(">", self.pos) + 1
        elif self._peek() == "?":
            raise Unsatisfiable(f"lookarounds and flags are not generated: {self.text!r}")
        node = self.alternation()
        if self._take() != ")":
            raise Unsatisfiable(f"unclosed group in {self.text!r}")
        return node

    def _named_group(self) -> bool:
        """``(?P<name>`` or ``(?<name>``, but not the lookbehinds ``(?<=`` and ``(?<!``."""
        if self.text.startswith("?P<", self.pos):
            return True
        return self.text.startswith("?<", self.pos) and self.text[self.pos + 2 : self.pos + 3] not in (
            "=",
            "!",
        )

    def _quantified(self, atom: Node) -> Node:
        char = self._peek()
        bounds: tuple[int, int | None]
        if char in ("*", "+", "?"):
            self.pos += 1
            bounds = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{" and (close := self.text.find("}", self.pos)) > 0:
            low, comma, high = self.text[self.pos + 1 : close].partition(",")
            if not low.isdigit() or (high and not high.isdigit()):
                raise Unsatisfiable(f"unsupported repetition in {self.text!r}")
            self.pos = close + 1
            bounds = (int(low), int(high) if high else (None if comma else int(low)))
        else:
            return atom
        if self._peek() in ("?", "+"):
            self.pos += 1  # lazy or possessive: the same strings match
        return ("rep", atom, *bounds)

    def _escape(self) -> Node:
        char = self._take()
        if char in _CLASS_ESCAPES:
            return ("chars", _CLASS_ESCAPES[char])
        if char in "bBAzZ":
            return ("seq", [])  # zero-width; a \b that does not hold is caught by the checker
        if char.isdigit():
            raise Unsatisfiable(f"backreferences are not generated: {self.text!r}")
        if char in ("u", "x"):
            width = 4 if char == "u" else 2
            code = self.text[self.pos : self.pos + width]
            self.pos += width
            return ("chars", (chr(int(code, 16)),))
        return ("chars", (_CONTROL_ESCAPES.get(char, char),))

    def _char_class(self) -> Node:
        negate = self._peek() == "^"
        self.pos += negate
        members: list[str] = []
        first = True
        while (char := self._take()) != "]" or first:
            first = False
            chosen = self._escape()[1] if char == "\\" else (char,)
            if (
                len(chosen) == 1
                and self._peek() == "-"
                and self.text[self.pos + 1 : self.pos + 2] not in ("]", "")
            ):
                self.pos += 1
                end = self._take()
                end = self._escape()[1][0] if end == "\\" else end
                chosen = tuple(
                    chr(code) for code in range(ord(chosen[0]), min(ord(end), ord(chosen[0]) + 256) + 1)
                )
            members.extend(chosen)
        pool = [char for char in _PRINTABLE if char not in members] if negate else members
        if not pool:
            raise Unsatisfiable(f"an empty character class in {self.text!r}")
        return ("chars", tuple(pool))
