"""The JSONPath subset: what overlay targets can say, and how unsupported syntax is reported."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_kit.contract import compile_path, find
from contract_kit.errors import OverlayError, SpecError
from contract_kit.validation import json_path, normalize

SPEC: dict[str, Any] = {
    "paths": {
        "/v1/chat/completions": {
            "post": {
                "responses": {
                    "200": {"description": "ok"},
                    "400": {"description": "bad"},
                },
                "x.weird{name}": True,
            }
        }
    },
    "choices": [{"type": "a", "n": 1}, {"type": "b", "n": 2}, {"type": "a", "n": 3}],
}

# RFC 9535, section 2.5.2.3 (descendant segment examples)
RFC_DOC: dict[str, Any] = {"o": {"j": 1, "k": 2}, "a": [5, 3, [{"j": 4}, {"k": 6}]]}


def values(expr: str, document: Any = SPEC) -> list[Any]:
    return [match.value for match in find(expr, document)]


def locations(expr: str, document: Any = SPEC) -> list[str]:
    return [match.location for match in find(expr, document)]


def test_root_selects_the_whole_document() -> None:
    [match] = find("$", SPEC)
    assert match.value is SPEC
    assert (match.parent, match.key, match.path) == (None, None, ())


@pytest.mark.parametrize(
    "expr",
    [
        "$.paths['/v1/chat/completions'].post.responses['200']",
        '$.paths["/v1/chat/completions"].post.responses["200"]',
        "$['paths']['/v1/chat/completions']['post']['responses']['200']",
    ],
)
def test_quoted_names_may_hold_slashes_and_digits(expr: str) -> None:
    [match] = find(expr, SPEC)
    assert match.value == {"description": "ok"}
    assert match.key == "200"
    assert match.path == ("paths", "/v1/chat/completions", "post", "responses", "200")
    assert match.location == '$.paths["/v1/chat/completions"].post.responses["200"]'


def test_quoted_names_may_hold_dots_and_braces() -> None:
    assert values("$.paths['/v1/chat/completions'].post['x.weird{name}']") == [True]


def test_digit_name_also_finds_an_int_key_from_yaml() -> None:
    document = {"responses": {200: {"description": "ok"}}}
    [match] = find("$.responses['200']", document)
    assert match.key == 200  # the real key, so callers can delete it
    assert match.path == ("responses", "200")


def test_wildcards_select_members_and_elements_in_order() -> None:
    assert values("$.paths.*.post.responses.*.description") == ["ok", "bad"]
    assert values("$.choices[*].n") == [1, 2, 3]


def test_array_indexes_positive_negative_and_out_of_range() -> None:
    assert values("$.choices[0].n") == [1]
    assert values("$.choices[-1].n") == [3]
    assert values("$.choices[-3].n") == [1]
    assert values("$.choices[3]") == []
    assert values("$.choices[-4]") == []
    assert values("$.paths[0]") == []  # an index on an object selects nothing


def test_union_of_names_keeps_the_written_order() -> None:
    assert values("$.paths['/v1/chat/completions'].post.responses['400','200'].description") == ["bad", "ok"]
    assert values("$.choices[0, -1].n") == [1, 3]


def test_missing_names_select_nothing() -> None:
    assert values("$.nope.deeper") == []
    assert values("$.choices.type") == []  # a name on an array selects nothing


def test_descendant_name_follows_rfc_order() -> None:
    assert locations("$..j", RFC_DOC) == ["$.o.j", "$.a[2][0].j"]


def test_descendant_wildcard_matches_rfc_9535_example() -> None:
    expected = [
        "$.o", "$.a", "$.o.j", "$.o.k", "$.a[0]", "$.a[1]", "$.a[2]",
        "$.a[2][0]", "$.a[2][1]", "$.a[2][0].j", "$.a[2][1].k",
    ]  # fmt: skip
    assert locations("$..*", RFC_DOC) == expected
    assert locations("$..[*]", RFC_DOC) == expected


def test_descendant_with_index_and_union() -> None:
    assert values("$..[0]", RFC_DOC) == [5, {"j": 4}]
    assert values("$..['j','k']", RFC_DOC) == [1, 2, 4, 6]


def test_match_parent_and_key_allow_in_place_edits() -> None:
    for match in find("$.choices[*].n", SPEC):
        assert match.parent is not None
        assert match.parent[match.key] is match.value


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("$.choices[?@.type == 'a'].n", [1, 3]),
        ('$.choices[?@.type != "a"].n', [2]),
        ("$.choices[?@.n > 1].n", [2, 3]),
        ("$.choices[?@.n <= 2].n", [1, 2]),
        ("$.choices[?@.missing].n", []),
        ("$.choices[?!@.missing].n", [1, 2, 3]),
        ("$.choices[?@.n == true].n", []),  # JSON true is not 1
        ("$..[?@.description == 'ok'].description", ["ok"]),
    ],
)
def test_simple_filters(expr: str, expected: list[Any]) -> None:
    assert values(expr) == expected


def test_escapes_in_quoted_names() -> None:
    document = {"é😀": 1, "it's": 2, 'say "hi"': 3}
    assert values("$['\\u00e9\\ud83d\\ude00']", document) == [1]
    assert values("$['it\\'s']", document) == [2]
    assert values('$["say \\"hi\\""]', document) == [3]


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("paths", "expected '$'"),
        ("$.choices[0", "unbalanced brackets"),
        ("$['abc", "unclosed string"),
        ("$.", "unexpected end of expression"),
        ("$['\\q']", "invalid escape"),
        ("$.a[?@.b == foo]", "unexpected filter selector token"),
        ("$.paths.x-foo", "found '-', line 1, column 9"),
        ("$.a~", "found '~', line 1, column 3"),
    ],
)
def test_invalid_syntax_names_the_expression_and_the_place(expr: str, fragment: str) -> None:
    with pytest.raises(OverlayError) as info:
        compile_path(expr)
    message = str(info.value)
    assert fragment in message
    assert f"invalid JSONPath {expr!r}" in message
    assert isinstance(info.value, SpecError)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("$.choices[1:3].n", [2, 3]),
        ("$.choices[:2].n", [1, 2]),
        ("$.choices[::-1].n", [3, 2, 1]),
        ("$.choices[?@.type == 'a' && @.n > 1].n", [3]),
        ("$.choices[?@.type == 'b' || @.n == 1].n", [1, 2]),
        ("$.choices[?length(@.type) == 1].n", [1, 2, 3]),
        ("$.choices[?match(@.type, 'a')].n", [1, 3]),
    ],
)
def test_the_whole_rfc_9535_is_available_to_overlay_targets(expr: str, expected: list[Any]) -> None:
    """Slices, logical operators and functions: what Overlay 1.0 allows and the old subset refused."""
    assert values(expr) == expected


def test_compile_path_is_cached() -> None:
    assert compile_path("$.a.b") is compile_path("$.a.b")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.choices[0].delta.tool_calls[12].id", "$.choices[*].delta.tool_calls[*].id"),
        ('$.paths["/v1/x"].post', '$.paths["/v1/x"].post'),
        ('$["a[3]"][4]', '$["a[3]"][*]'),
        ("$['q\\'[1]'][-1]", "$['q\\'[1]'][*]"),
        ("$.a[*]", "$.a[*]"),
    ],
)
def test_normalize_replaces_only_array_indexes(path: str, expected: str) -> None:
    assert normalize(path) == expected


# --- properties ---------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
json_documents = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def resolve(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def count_nodes(document: Any) -> int:
    inner = (
        document.values() if isinstance(document, dict) else document if isinstance(document, list) else ()
    )
    return 1 + sum(count_nodes(child) for child in inner)


@settings(max_examples=150, deadline=None)
@given(json_documents)
def test_every_descendant_path_resolves_to_its_value(document: Any) -> None:
    matches = find("$..*", document)
    assert len(matches) == count_nodes(document) - 1
    for match in matches:
        assert resolve(document, match.path) is match.value
        [again] = find(match.location, document)  # the rendered path parses back to the same node
        assert again.value is match.value
        assert again.path == match.path


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=6) | st.integers(min_value=0, max_value=10**6), max_size=6))
def test_normalize_is_idempotent_and_leaves_names_alone(parts: list[str | int]) -> None:
    once = normalize(json_path(parts))
    assert normalize(once) == once
    expected = "$" + "".join("[*]" if isinstance(p, int) else json_path([p])[1:] for p in parts)
    assert once == expected


def test_floats_are_not_special() -> None:
    assert values("$[?@ > 1.5]", [1, 2.5, math.inf]) == [2.5, math.inf]
