"""A small tokenizer and reader for JavaScript object literals (and JSON5 values).

Vendor pages show request bodies as JavaScript (``{model: 'm', messages: [...]}``):
unquoted keys, single-quoted strings, comments and trailing commas. This
reads such a literal into the equal JSON value, and refuses anything that is
not a literal (a variable, a call) with the position of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["LiteralError", "Token", "read_value", "show", "tokenize"]


class LiteralError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Token:
    kind: str  # "punct", "string", "number", "ident", "end"
    value: Any
    pos: int


_PUNCT = set("{}[]():,;.=+-*/<>!&|?%^~@#")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


def read_value(tokens: Iterator[Token], tok: Token) -> tuple[Any, Token]:
    """Parse one value starting at ``tok``; return it and the token after it."""
    if tok.kind == "string":
        return tok.value, next(tokens)
    if tok.kind == "number":
        return tok.value, next(tokens)
    if tok.kind == "ident":
        constants = {"true": True, "false": False, "null": None}
        if tok.value in constants:
            return constants[tok.value], next(tokens)
        raise LiteralError(f"{tok.value!r} is not a JSON value (only literals can be converted)", tok.pos)
    if tok.value in ("-", "+"):
        number = next(tokens)
        if number.kind != "number":
            raise LiteralError(f"expected a number after {tok.value!r}", number.pos)
        return (-number.value if tok.value == "-" else number.value), next(tokens)
    if tok.value == "[":
        return _array(tokens)
    if tok.value == "{":
        return _object(tokens)
    raise LiteralError(f"expected a value, found {show(tok)}", tok.pos)


def _array(tokens: Iterator[Token]) -> tuple[list[Any], Token]:
    items: list[Any] = []
    tok = next(tokens)
    while tok.value != "]" or tok.kind != "punct":
        item, tok = read_value(tokens, tok)
        items.append(item)
        if tok.kind == "punct" and tok.value == ",":
            tok = next(tokens)
        elif tok.kind != "punct" or tok.value != "]":
            raise LiteralError(f"expected ',' or ']' in an array, found {show(tok)}", tok.pos)
    return items, next(tokens)


def _object(tokens: Iterator[Token]) -> tuple[dict[str, Any], Token]:
    result: dict[str, Any] = {}
    tok = next(tokens)
    while tok.value != "}" or tok.kind != "punct":
        if tok.kind in ("ident", "string", "number"):
            key = str(tok.value)
        else:
            raise LiteralError(f"expected a property name, found {show(tok)}", tok.pos)
        colon = next(tokens)
        if colon.kind != "punct" or colon.value != ":":
            raise LiteralError(f"expected ':' after property {key!r}, found {show(colon)}", colon.pos)
        result[key], tok = read_value(tokens, next(tokens))
        if tok.kind == "punct" and tok.value == ",":
            tok = next(tokens)
        elif tok.kind != "punct" or tok.value != "}":
            raise LiteralError(f"expected ',' or '}}' in an object, found {show(tok)}", tok.pos)
    return result, next(tokens)


def show(tok: Token) -> str:
    return "the end of the text" if tok.kind == "end" else repr(tok.value)


def tokenize(text: str, pos: int) -> Iterator[Token]:
    """Yield tokens lazily from ``pos``; ends with one ``end`` token."""
    n = len(text)
    while True:
        while pos < n:
            if text[pos].isspace():
                pos += 1
            elif text.startswith("//", pos):
                newline = text.find("\n", pos)
                pos = n if newline < 0 else newline + 1
            elif text.startswith("/*", pos):
                close = text.find("*/", pos + 2)
                if close < 0:
                    raise LiteralError("unterminated /* comment", pos)
                pos = close + 2
            else:
                break
        if pos >= n:
            yield Token("end", None, pos)
            return
        char = text[pos]
        if char in "'\"`":
            value, end = _string(text, pos)
            yield Token("string", value, pos)
            pos = end
        elif number := _NUMBER.match(text, pos):
            raw = number.group(0)
            parsed: int | float = int(raw, 16) if raw[:2] in ("0x", "0X") else _decimal(raw)
            yield Token("number", parsed, pos)
            pos = number.end()
        elif ident := _IDENT.match(text, pos):
            yield Token("ident", ident.group(0), pos)
            pos = ident.end()
        elif char in _PUNCT:
            yield Token("punct", char, pos)
            pos += 1
        else:
            raise LiteralError(f"unexpected character {char!r}", pos)


def _decimal(raw: str) -> int | float:
    return int(raw) if raw.isdigit() else float(raw)


def _string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == quote:  # \uD83D\uDE00 escapes arrive as two halves of a surrogate pair
            joined = "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return joined, pos + 1
        if quote == "`" and text.startswith("${", pos):
            raise LiteralError("a template literal with ${...} is not a constant string", pos)
        if char == "\n" and quote != "`":
            break
        if char != "\\":
            out.append(char)
            pos += 1
            continue
        escape = text[pos + 1 : pos + 2]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            pos += 2
        elif escape in ("u", "x"):
            if escape == "u" and text.startswith("{", pos + 2):
                close = text.find("}", pos + 3)
                digits, pos = text[pos + 3 : close], close + 1
            else:
                width = 4 if escape == "u" else 2
                digits, pos = text[pos + 2 : pos + 2 + width], pos + 2 + width
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise LiteralError(f"bad \\{escape} escape {digits!r}", pos) from None
        elif escape == "\n":  # line continuation
            pos += 2
        elif escape == "\r":
            pos += 3 if text.startswith("\r\n", pos + 1) else 2
        else:  # \' \" \\ \/ and any other character stand for themselves
            out.append(escape)
            pos += 2
    raise LiteralError("unterminated string", start)
