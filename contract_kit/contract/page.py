"""Split a vendor documentation page into its OpenAPI document and its examples.

AIML API model pages are GitBook markdown and all look alike: an
``## API Schema`` heading followed by a ```` ```json ```` fence holding the
whole OpenAPI document, a Python tab whose ``requests.post(..., json={...})``
call carries the request body, a JavaScript tab whose ``fetch`` call sends
``body: JSON.stringify({...})``, and a ``<details><summary>Response</summary>``
block with an example response (a ``json`` or ``json5`` fence).

:func:`extract_page` returns those parts as data; :func:`write_extract` stores
them where the kit expects them, so importing another model's page needs no
code change. The Python body is read with :mod:`ast`; the JavaScript body
(and a ``json5`` response that is not plain JSON) with a small tokenizer for
JavaScript object literals: quoted or bare keys, single- or double-quoted
strings, ``//`` and ``/* */`` comments, trailing commas.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract_kit.contract._jsliteral import LiteralError, Token, read_value, show, tokenize
from contract_kit.errors import SpecError

__all__ = [
    "EXAMPLE_FILES",
    "PageExtract",
    "dump_json",
    "extract_page",
    "parse_js_literal",
    "write_extract",
]

#: File name under ``fixtures/examples/`` for each part of the page.
EXAMPLE_FILES: dict[str, str] = {
    "python": "python_request.json",
    "javascript": "javascript_request.json",
    "response": "example_response.json",
}

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
_SCHEMA_HEADING = re.compile(r"^#{1,6}[ \t]+API Schema[ \t]*$", re.MULTILINE | re.IGNORECASE)
_RESPONSE_SUMMARY = re.compile(r"<summary>\s*Response\s*</summary>", re.IGNORECASE)
_DETAILS_END = re.compile(r"</details>", re.IGNORECASE)
_LANGUAGES: dict[str, tuple[str, ...]] = {"python": ("python", "py"), "javascript": ("javascript", "js")}


@dataclass(frozen=True)
class PageExtract:
    """The parts of one vendor page, as data."""

    spec: dict[str, Any]
    """The OpenAPI document under ``## API Schema``."""
    requests: dict[str, Any]
    """Language (``"python"``, ``"javascript"``) -> the request body its sample sends."""
    response: Any | None
    """The example response, or ``None`` when the page has no Response block."""


@dataclass(frozen=True)
class _Fence:
    lang: str
    body: str
    start: int  # offset of the body in the page
    line: int  # 1-based page line of the body's first line


def dump_json(value: Any) -> str:
    """The one serialization the kit stores page content with."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def extract_page(text: str, *, source: str = "<page>") -> PageExtract:
    """Extract the OpenAPI document, the request samples and the example response.

    Raises :class:`~contract_kit.errors.SpecError` naming the part that is
    missing or cannot be parsed, with the page line where it was looked for.
    """
    fences = [
        _Fence(m.group(1).lower(), m.group(2), m.start(2), text.count("\n", 0, m.start(2)) + 1)
        for m in _FENCE.finditer(text)
    ]
    return PageExtract(
        spec=_extract_spec(text, fences, source),
        requests={
            "python": _python_body(_sample(fences, "python", source), source),
            "javascript": _javascript_body(_sample(fences, "javascript", source), source),
        },
        response=_extract_response(text, fences, source),
    )


def write_extract(extract: PageExtract, openapi_dir: Path, examples_dir: Path, *, name: str) -> list[Path]:
    """Write ``openapi/<name>.json`` and the example files; return the paths written."""
    openapi_dir.mkdir(parents=True, exist_ok=True)
    examples_dir.mkdir(parents=True, exist_ok=True)
    contents: list[tuple[Path, Any]] = [(openapi_dir / f"{name}.json", extract.spec)]
    contents += [(examples_dir / EXAMPLE_FILES[lang], body) for lang, body in extract.requests.items()]
    if extract.response is not None:
        contents.append((examples_dir / EXAMPLE_FILES["response"], extract.response))
    for path, value in contents:
        path.write_text(dump_json(value), encoding="utf-8")
    return [path for path, _ in contents]


# --- sections -----------------------------------------------------------------------------------


def _extract_spec(text: str, fences: list[_Fence], source: str) -> dict[str, Any]:
    heading = _SCHEMA_HEADING.search(text)
    if heading is None:
        raise SpecError("no '## API Schema' heading: the page carries no OpenAPI document", source=source)
    fence = next((f for f in fences if f.start > heading.end() and f.lang == "json"), None)
    if fence is None:
        raise SpecError(
            "no ```json fence after the 'API Schema' heading (the OpenAPI document)",
            source=source,
            location=f"line {text.count(chr(10), 0, heading.start()) + 1}",
        )
    try:
        spec = json.loads(fence.body)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"the 'API Schema' JSON does not parse: {exc.msg}",
            source=source,
            location=f"line {fence.line + exc.lineno - 1}, column {exc.colno}",
        ) from None
    if not isinstance(spec, dict) or "openapi" not in spec:
        raise SpecError(
            "the 'API Schema' JSON is not an OpenAPI document (no top-level 'openapi' key)",
            source=source,
            location=f"line {fence.line}",
        )
    return spec


def _sample(fences: list[_Fence], language: str, source: str) -> _Fence:
    for fence in fences:
        if fence.lang in _LANGUAGES[language]:
            return fence
    raise SpecError(
        f"no ```{language} code sample (the {language.capitalize()} request example)", source=source
    )


def _extract_response(text: str, fences: list[_Fence], source: str) -> Any | None:
    summary = _RESPONSE_SUMMARY.search(text)
    if summary is None:
        return None
    end = _DETAILS_END.search(text, summary.end())
    stop = end.start() if end else len(text)
    fence = next((f for f in fences if summary.end() < f.start < stop and f.lang in ("json", "json5")), None)
    where = f"line {text.count(chr(10), 0, summary.start()) + 1}"
    if fence is None:
        raise SpecError(
            "the 'Response' details block holds no ```json or ```json5 fence (the example response)",
            source=source,
            location=where,
        )
    try:
        return json.loads(fence.body)
    except json.JSONDecodeError:
        pass  # json5 proper: parse it as a JavaScript literal
    return _parse_literal(fence.body, source, fence.line, "example response", whole=True)


# --- Python sample -------------------------------------------------------------------------------


def _python_body(fence: _Fence, source: str) -> Any:
    try:
        tree = ast.parse(fence.body)
    except SyntaxError as exc:
        raise SpecError(
            f"the Python sample does not parse: {exc.msg}",
            source=source,
            location=f"line {fence.line + (exc.lineno or 1) - 1}",
        ) from None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_post(node.func)):
            continue
        for keyword in node.keywords:
            if keyword.arg == "json":
                value = _resolve_name(tree, keyword.value)
                try:
                    return ast.literal_eval(value)
                except ValueError:
                    raise SpecError(
                        "the Python sample's json= argument is not a literal",
                        source=source,
                        location=f"line {fence.line + value.lineno - 1}",
                    ) from None
    raise SpecError(
        "the Python sample has no requests.post(..., json=...) call (the request body)",
        source=source,
        location=f"line {fence.line}",
    )


def _is_post(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr in ("post", "request")) or (
        isinstance(func, ast.Name) and func.id == "post"
    )


def _resolve_name(tree: ast.Module, value: ast.expr) -> ast.expr:
    """``json=payload``: the last plain assignment to ``payload`` before use."""
    if not isinstance(value, ast.Name):
        return value
    found: ast.expr = value
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and node.lineno < value.lineno
            and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
        ):
            found = node.value
    return found


# --- JavaScript sample ---------------------------------------------------------------------------


def _javascript_body(fence: _Fence, source: str) -> Any:
    tokens = list(_tokens_until_error(fence.body))
    pattern = [("ident", "body"), ("punct", ":"), ("ident", "JSON"), ("punct", "."), ("ident", "stringify")]
    for i in range(len(tokens) - len(pattern) - 1):
        if all((tokens[i + k].kind, tokens[i + k].value) == pattern[k] for k in range(len(pattern))):
            opening = tokens[i + len(pattern)]
            if opening.value != "(":
                continue
            start = tokens[i + len(pattern) + 1]
            if start.kind == "ident":  # body: JSON.stringify(payload)
                start = _js_declaration(tokens, start.value) or start
            return _parse_literal(fence.body, source, fence.line, "JavaScript request body", start.pos)
    raise SpecError(
        "the JavaScript sample has no 'body: JSON.stringify(...)' (the request body)",
        source=source,
        location=f"line {fence.line}",
    )


def _js_declaration(tokens: list[Token], name: str) -> Token | None:
    for i in range(len(tokens) - 3):
        if (
            tokens[i].value in ("const", "let", "var")
            and tokens[i + 1].value == name
            and tokens[i + 2].value == "="
        ):
            return tokens[i + 3]
    return None


def _tokens_until_error(text: str) -> Iterator[Token]:
    """Tokens of a whole script, stopping quietly at the first construct the tokenizer does not know."""
    try:
        yield from tokenize(text, 0)
    except LiteralError:
        return


# --- JavaScript object literals (the lexer lives in contract_kit.contract._jsliteral) -----------------------


def parse_js_literal(text: str) -> Any:
    """Convert one JavaScript object/array literal (or JSON5 value) to the equal JSON value.

    >>> parse_js_literal("{model: 'm', n: [1, 2,], // note\\n}")
    {'model': 'm', 'n': [1, 2]}
    """
    return _parse_literal(text, "<literal>", 1, "JavaScript literal", whole=True)


def _parse_literal(
    text: str, source: str, first_line: int, what: str, pos: int = 0, *, whole: bool = False
) -> Any:
    """Parse the literal at ``pos``; with ``whole``, nothing but comments may follow it."""
    try:
        tokens = tokenize(text, pos)
        value, after = read_value(tokens, next(tokens))
        if whole and after.kind != "end":
            raise LiteralError(f"unexpected {show(after)} after the value", after.pos)
        return value
    except LiteralError as exc:
        line = text.count("\n", 0, exc.pos)
        column = exc.pos - (text.rfind("\n", 0, exc.pos) + 1) + 1
        raise SpecError(
            f"the {what} is not a JSON-compatible literal: {exc.message}",
            source=source,
            location=f"line {first_line + line}, column {column}",
        ) from None
