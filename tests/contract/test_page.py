"""contract_kit.contract.page: a vendor page -> OpenAPI document, request samples, example response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_kit.contract.page import (
    EXAMPLE_FILES,
    PageExtract,
    dump_json,
    extract_page,
    parse_js_literal,
    write_extract,
)
from contract_kit.errors import SpecError

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_PAGE = REPO_ROOT.parent / "shared" / "seed" / "000_eba7e00691949117.txt"
OPENAPI_DIR = REPO_ROOT / "openapi"
EXAMPLES_DIR = REPO_ROOT / "fixtures" / "examples"
DOCUMENT_NAME = "aimlapi-qwen3-vl-32b-thinking"


@pytest.fixture(scope="module")
def seed_extract() -> PageExtract:
    if not SEED_PAGE.is_file():
        pytest.skip(f"vendor seed page not found at {SEED_PAGE} (CI keeps /work/shared beside the clone)")
    return extract_page(SEED_PAGE.read_text(encoding="utf-8"), source=SEED_PAGE.name)


# --- the real page ----------------------------------------------------------------------------------


def test_stored_files_are_the_pages_content_byte_for_byte(seed_extract: PageExtract, tmp_path: Path) -> None:
    written = write_extract(seed_extract, tmp_path / "openapi", tmp_path / "examples", name=DOCUMENT_NAME)

    stored = {
        tmp_path / "openapi" / f"{DOCUMENT_NAME}.json": OPENAPI_DIR / f"{DOCUMENT_NAME}.json",
        **{tmp_path / "examples" / name: EXAMPLES_DIR / name for name in EXAMPLE_FILES.values()},
    }
    assert sorted(written) == sorted(stored)
    for fresh, kept in stored.items():
        assert fresh.read_bytes() == kept.read_bytes(), f"{kept.name} differs from the page's content"


def test_stored_openapi_document_equals_the_pages_json(seed_extract: PageExtract) -> None:
    stored = json.loads((OPENAPI_DIR / f"{DOCUMENT_NAME}.json").read_text(encoding="utf-8"))
    assert stored == seed_extract.spec


def test_seed_page_parts(seed_extract: PageExtract) -> None:
    assert seed_extract.spec["openapi"] == "3.0.0"
    assert set(seed_extract.requests) == {"python", "javascript"}
    # The Python sample's comment lines vanish; its message has no role (a documented page defect).
    assert seed_extract.requests["python"]["messages"] == [
        {"content": "Hi! What do you think about mankind?"}
    ]
    assert seed_extract.requests["javascript"]["messages"][0]["role"] == "user"
    assert isinstance(seed_extract.response, dict)
    assert seed_extract.response["object"] == "chat.completion"


# --- the stored fixtures, without the page -----------------------------------------------------------


@pytest.mark.parametrize(
    "name", [f"{DOCUMENT_NAME}.json", *(f"examples/{n}" for n in EXAMPLE_FILES.values())]
)
def test_stored_files_use_the_kit_serialization(name: str) -> None:
    path = OPENAPI_DIR / name if not name.startswith("examples/") else EXAMPLES_DIR / name.split("/", 1)[1]
    text = path.read_text(encoding="utf-8")
    assert dump_json(json.loads(text)) == text


def test_stored_examples_keep_the_pages_known_defects() -> None:
    python = json.loads((EXAMPLES_DIR / "python_request.json").read_text(encoding="utf-8"))
    javascript = json.loads((EXAMPLES_DIR / "javascript_request.json").read_text(encoding="utf-8"))
    response = json.loads((EXAMPLES_DIR / "example_response.json").read_text(encoding="utf-8"))
    assert "role" not in python["messages"][0], "the Python sample's missing role is kept verbatim"
    assert python["model"] == javascript["model"] == "alibaba/qwen3-vl-32b-thinking"
    assert javascript["messages"][0] == {"role": "user", "content": python["messages"][0]["content"]}
    assert "reasoning_content" in response["choices"][0]["message"]


def test_examples_readme_names_the_provenance() -> None:
    text = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    for needle in ("000_eba7e00691949117.txt", "Code Example", "Response", "verbatim", "role", "lint"):
        assert needle in text


# --- JavaScript object literals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{model: 'm'}", {"model": "m"}),
        ("{'quoted-key': 1, \"double\": 2, $x_1: 3}", {"quoted-key": 1, "double": 2, "$x_1": 3}),
        (
            '{a: \'it\\\'s\', b: "say \\"hi\\"", c: "it\'s", d: \'a "q"\'}',
            {"a": "it's", "b": 'say "hi"', "c": "it's", "d": 'a "q"'},
        ),
        (
            "{url: 'https://x.test/a//b', c: '/* not a comment */'}",
            {"url": "https://x.test/a//b", "c": "/* not a comment */"},
        ),
        ("{\n  a: 1, // trailing comment with 'quote\n  /* block } ] */ b: 2,\n}", {"a": 1, "b": 2}),
        (
            "{messages: [[1, 2,], [], [{x: [true, false, null,],},],],}",
            {"messages": [[1, 2], [], [{"x": [True, False, None]}]]},
        ),
        ("[-1, +2, 3.5, 1e3, .5, 0x10]", [-1, 2, 3.5, 1000.0, 0.5, 16]),
        (
            "{s: 'tab\\tnew\\nline \\u00e9 \\u{1F600} \\x41 \\uD83D\\uDE00'}",
            {"s": "tab\tnew\nline \u00e9 \U0001f600 A \U0001f600"},
        ),
        ("{t: `template`}", {"t": "template"}),
        ("{'a}b': '{[,]}'}", {"a}b": "{[,]}"}),
    ],
)
def test_js_literal(source: str, expected: Any) -> None:
    assert parse_js_literal(source) == expected


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{a: b}", "'b' is not a JSON value"),
        ("{a: 'x' + 'y'}", "expected ',' or '}'"),
        ("[1 2]", "expected ',' or ']'"),
        ("{a 1}", "expected ':' after property 'a'"),
        ("{a: 'open}", "unterminated string"),
        ("{a: `x${y}`}", "template literal"),
        ("{a: 1", "the end of the text"),
        ("{a: 1} extra", "unexpected 'extra' after the value"),
        ("{a: 1 /* open", "unterminated /* comment"),
    ],
)
def test_js_literal_errors_name_the_problem(source: str, problem: str) -> None:
    with pytest.raises(SpecError, match="not a JSON-compatible literal") as info:
        parse_js_literal(source)
    assert problem in str(info.value)
    assert info.value.location is not None and info.value.location.startswith("line 1, column ")


# --- synthetic pages: the format, and every missing part --------------------------------------------

SCHEMA = (
    '## API Schema\n\n## POST /v1/chat/completions\n\n>\n\n```json\n{"openapi":"3.0.0","paths":{}}\n```\n'
)
PYTHON = """```python
import requests

response = requests.post(
    "https://api.example.test/v1/chat/completions",
    headers={"Authorization": "Bearer <KEY>"},  # a comment
    json={
        "model": "m",  # the model
        "messages": [{"role": "user", "content": "it's # not a comment"}],
    },
)
```
"""
JAVASCRIPT = """```javascript
async function main() {
  const url = 'https://api.example.test/v1/chat/completions?q=a//b';
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Authorization': 'Bearer <KEY>' },  // "quoted" comment
    body: JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: "it's // not a comment", },],
    }),
  });
  console.log(await response.json());
}
```
"""
RESPONSE = (
    '<details>\n\n<summary>Response</summary>\n\n```json5\n{"id": "x", "choices": []}\n```\n\n</details>\n'
)
BODY = {"model": "m", "messages": [{"role": "user", "content": "it's # not a comment"}]}


def page(*parts: str) -> str:
    return "# some-model\n\n## Model Overview\n\nText.\n\n" + "\n".join(parts)


def test_synthetic_page_extracts_every_part() -> None:
    extract = extract_page(page(SCHEMA, "## Code Example\n", PYTHON, JAVASCRIPT, RESPONSE))
    assert extract.spec == {"openapi": "3.0.0", "paths": {}}
    assert extract.requests["python"] == BODY
    assert extract.requests["javascript"] == {
        "model": "m",
        "messages": [{"role": "user", "content": "it's // not a comment"}],
    }
    assert extract.response == {"id": "x", "choices": []}


def test_response_block_is_optional() -> None:
    assert extract_page(page(SCHEMA, PYTHON, JAVASCRIPT)).response is None


def test_json5_response_that_is_not_plain_json() -> None:
    response = RESPONSE.replace('{"id": "x", "choices": []}', "{id: 'x', // c\n choices: [],}")
    assert extract_page(page(SCHEMA, PYTHON, JAVASCRIPT, response)).response == {"id": "x", "choices": []}


def test_bodies_passed_by_name_are_resolved() -> None:
    python = PYTHON.replace("json={", "json=payload,\n)\npayload_unused = (\n    {").replace(
        "import requests\n", 'import requests\n\npayload = {"model": "named"}\n'
    )
    javascript = JAVASCRIPT.replace("const url", "const payload = {model: 'named'};\n  const url").replace(
        "body: JSON.stringify({", "body: JSON.stringify(payload), other: ({"
    )
    extract = extract_page(page(SCHEMA, python, javascript))
    assert extract.requests == {"python": {"model": "named"}, "javascript": {"model": "named"}}


@pytest.mark.parametrize(
    ("text", "part"),
    [
        (page(PYTHON, JAVASCRIPT), "no '## API Schema' heading"),
        (
            page("## API Schema\n\nNo fence here.\n", PYTHON, JAVASCRIPT),
            "no ```json fence after the 'API Schema'",
        ),
        (
            page(SCHEMA.replace('"paths":{}}', '"paths":{}'), PYTHON, JAVASCRIPT),
            "'API Schema' JSON does not parse",
        ),
        (page(SCHEMA.replace('"openapi"', '"swagger"'), PYTHON, JAVASCRIPT), "not an OpenAPI document"),
        (page(SCHEMA, JAVASCRIPT), "no ```python code sample"),
        (page(SCHEMA, PYTHON), "no ```javascript code sample"),
        (page(SCHEMA, PYTHON.replace("json=", "data="), JAVASCRIPT), "no requests.post(..., json=...) call"),
        (
            page(SCHEMA, PYTHON.replace('"model": "m"', '"model": MODEL'), JAVASCRIPT),
            "json= argument is not a literal",
        ),
        (page(SCHEMA, PYTHON.replace("json={", "json={{"), JAVASCRIPT), "the Python sample does not parse"),
        (page(SCHEMA, PYTHON, JAVASCRIPT.replace("body:", "data:")), "no 'body: JSON.stringify(...)'"),
        (page(SCHEMA, PYTHON, JAVASCRIPT.replace("model: 'm'", "model: MODEL")), "JavaScript request body"),
        (
            page(SCHEMA, PYTHON, JAVASCRIPT, RESPONSE.replace("json5", "text")),
            "'Response' details block holds no",
        ),
        (page(SCHEMA, PYTHON, JAVASCRIPT, RESPONSE.replace('"choices"', "choices: ")), "example response"),
    ],
)
def test_missing_or_broken_parts_raise_spec_error_naming_the_part(text: str, part: str) -> None:
    with pytest.raises(SpecError) as info:
        extract_page(text, source="model-page.md")
    message = str(info.value)
    assert part in message
    assert message.startswith("model-page.md")
    assert info.value.source == "model-page.md"


def test_error_location_is_the_page_line() -> None:
    text = page(SCHEMA, PYTHON, JAVASCRIPT.replace("model: 'm'", "model: MODEL"))
    expected_line = text.splitlines().index("      model: MODEL,") + 1
    with pytest.raises(SpecError) as info:
        extract_page(text)
    assert info.value.location == f"line {expected_line}, column 14"


def test_write_extract_without_response(tmp_path: Path) -> None:
    extract = extract_page(page(SCHEMA, PYTHON, JAVASCRIPT))
    written = write_extract(extract, tmp_path / "o", tmp_path / "e", name="doc")
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "o/doc.json",
        "e/python_request.json",
        "e/javascript_request.json",
    ]
    assert json.loads((tmp_path / "e" / "python_request.json").read_text(encoding="utf-8")) == BODY
