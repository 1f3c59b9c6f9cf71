"""Tests for ``contract_kit.contract.oas30``: one test (at least) per rule of the module docstring.

Every converted schema is checked against the 2020-12 metaschema and run
through *both* validators the kit uses, because the point of the module is
that they never disagree.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator

from contract_kit.contract import document_schema, resolve_pointer, to_json_schema
from contract_kit.errors import SpecError

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "aimlapi-qwen3-vl-32b-thinking.json"
OP = "/paths/~1v1~1chat~1completions/post"
REQUEST = f"{OP}/requestBody/content/application~1json/schema"
RESPONSE_JSON = f"{OP}/responses/200/content/application~1json/schema"
RESPONSE_SSE = f"{OP}/responses/200/content/text~1event-stream/schema"
MODEL = "alibaba/qwen3-vl-32b-thinking"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def request_schema(document: dict[str, Any]) -> dict[str, Any] | bool:
    return document_schema(document, REQUEST)


def verdicts(schema: dict[str, Any] | bool, instance: Any) -> tuple[bool, bool]:
    """(jsonschema_rs, jsonschema) verdicts for one instance."""
    return (
        jsonschema_rs.Draft202012Validator(schema).is_valid(instance),
        jsonschema.Draft202012Validator(schema).is_valid(instance),
    )


def check(schema: dict[str, Any] | bool, ok: Iterable[Any] = (), bad: Iterable[Any] = ()) -> None:
    """Assert the schema is valid 2020-12 and both libraries agree on every instance."""
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema_rs.meta.validate(schema)
    for instance in ok:
        assert verdicts(schema, instance) == (True, True), f"should accept {instance!r}"
    for instance in bad:
        assert verdicts(schema, instance) == (False, False), f"should reject {instance!r}"


# --- rule 1: nullable with type -------------------------------------------------------------


def test_rule1_nullable_type_becomes_type_list() -> None:
    out = to_json_schema({"type": "string", "nullable": True})
    assert out == {"type": ["string", "null"]}
    check(out, ok=["x", None], bad=[1, {}])


def test_rule1_type_list_gets_null_once() -> None:
    assert to_json_schema({"type": ["string", "integer"], "nullable": True}) == {
        "type": ["string", "integer", "null"]
    }
    assert to_json_schema({"type": ["string", "null"], "nullable": True}) == {"type": ["string", "null"]}


# --- rule 2: nullable enums ----------------------------------------------------------------


def test_rule2_nullable_enum_admits_null() -> None:
    out = to_json_schema({"type": "string", "enum": ["a", "b"], "nullable": True})
    assert out == {"type": ["string", "null"], "enum": ["a", "b", None]}
    check(out, ok=["a", None], bad=["c", 1])


def test_rule2_service_tier_in_the_vendor_document(document: dict[str, Any]) -> None:
    out = document_schema(document, f"{RESPONSE_SSE}/properties/service_tier")
    check(out, ok=["auto", "priority", None], bad=["turbo", 1])


# --- rule 3: nullable without type ---------------------------------------------------------


@pytest.mark.parametrize("union", ["anyOf", "oneOf"])
def test_rule3a_bare_nullable_branch_means_any_value(union: str) -> None:
    out = to_json_schema({union: [{"type": "integer"}, {"nullable": True, "description": "none"}]})
    assert out == {union: [{"type": "integer"}, {"description": "none"}]}
    if union == "anyOf":
        check(out, ok=["x", None, 5, {}, [1], True])
    else:  # 5 matches both branches, and oneOf then rejects it: the letter of oneOf
        check(out, ok=["x", None, {}, [1], True], bad=[5])


def test_rule3a_agrees_with_an_oas30_validator(document: dict[str, Any]) -> None:
    """OAS 3.0.3: nullable adds null only to a ``type`` in the same Schema Object, so bare is any value.

    openapi-schema-validator's ``OAS30Validator`` reads the OAS 3.0 schema itself: an oracle
    independent of this converter.
    """
    raw_stop = resolve_pointer(document, f"{REQUEST}/properties/stop")
    converted = document_schema(document, f"{REQUEST}/properties/stop")
    for value in ({}, 5, None, "x", ["a"], [1], True, {"a": [None]}):
        assert OAS30Validator(raw_stop).is_valid(value) is jsonschema_rs.is_valid(converted, value), value


def test_rule3a_stop_third_form_makes_stop_any_value(document: dict[str, Any]) -> None:
    stop = document_schema(document, f"{REQUEST}/properties/stop")
    check(stop, ok=[None, "x", ["a"], [], 5, {}, [1], True])


def test_rule3b_bare_nullable_additional_properties_is_true() -> None:
    out = to_json_schema({"type": "object", "additionalProperties": {"nullable": True, "description": "d"}})
    assert out == {"type": "object", "additionalProperties": True}
    check(out, ok=[{}, {"a": None, "b": [1], "c": {"d": "e"}}], bad=[None, []])


@pytest.mark.parametrize(
    "pointer",
    [
        f"{REQUEST}/properties/tools/items/properties/function/properties/parameters",
        f"{REQUEST}/properties/response_format/oneOf/2/properties/json_schema/properties/schema",
    ],
    ids=["function.parameters", "json_schema.schema"],
)
def test_rule3b_free_form_objects_in_the_vendor_document(document: dict[str, Any], pointer: str) -> None:
    out = document_schema(document, pointer)
    assert isinstance(out, dict)
    assert out["additionalProperties"] is True
    free_form = {"type": "object", "properties": {"x": {"type": "string"}}, "nullable": None, "n": 1}
    check(out, ok=[{}, free_form, {"anything": None}], bad=[None, "x", []])


@pytest.mark.parametrize("keyword", ["property", "items"])
def test_rule3c_bare_nullable_elsewhere_is_any_value(keyword: str) -> None:
    bare = {"nullable": True, "title": "T", "example": 3, "x-note": "dropped"}
    schema = {"properties": {"p": bare}} if keyword == "property" else {"items": bare}
    out = to_json_schema({"type": "object" if keyword == "property" else "array", **schema})
    expected_sub = {"title": "T", "examples": [3]}
    sub = out["properties"]["p"] if keyword == "property" else out["items"]  # type: ignore[index]
    assert sub == expected_sub
    check(sub, ok=[None, 1, "x", [], {}])


def test_rule3d_nullable_without_type_wraps_in_any_of() -> None:
    schema = {
        "nullable": True,
        "description": "d",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
    }
    out = to_json_schema(schema)
    assert out == {
        "anyOf": [{"type": "null"}, {"properties": {"a": {"type": "integer"}}, "required": ["a"]}],
        "description": "d",
    }
    check(out, ok=[None, {"a": 1}], bad=[{"a": "x"}, {}])


def test_rule3d_nullable_composition_without_type() -> None:
    out = to_json_schema({"nullable": True, "oneOf": [{"type": "string"}, {"type": "integer"}]})
    check(out, ok=[None, "x", 1], bad=[1.5, []])


def test_rule3d_extension_type_with_all_of_stays_nullable() -> None:
    schema = {"type": "object", "nullable": True, "allOf": [{"type": "object", "required": ["a"]}]}
    out = to_json_schema(schema)
    assert out == {
        "anyOf": [{"type": "null"}, {"type": "object", "allOf": [{"type": "object", "required": ["a"]}]}]
    }
    check(out, ok=[None, {"a": 1}], bad=[{}, "x"])


# --- rule 4: one null branch in oneOf ------------------------------------------------------


def test_rule4_two_nullable_branches_collapse_to_one_null_branch() -> None:
    schema = {"oneOf": [{"type": "string", "nullable": True}, {"type": "integer", "nullable": True}]}
    out = to_json_schema(schema)
    assert out == {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    check(out, ok=[None, "x", 1], bad=[1.5, []])


def test_rule4_naive_conversion_would_reject_null() -> None:
    naive = {"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}
    check(naive, bad=[None])  # the failure rule 4 exists to prevent


def test_rule4_bare_branch_and_enum_branch() -> None:
    schema = {
        "oneOf": [
            {"nullable": True},
            {"type": "string", "enum": ["a"], "nullable": True},
            {"type": "integer"},
        ]
    }
    out = to_json_schema(schema)
    assert out == {
        "oneOf": [
            {"not": {"type": "null"}},
            {"type": "string", "enum": ["a"]},
            {"type": "integer"},
            {"type": "null"},
        ]
    }
    # The bare branch is any value (rule 3a), so "a" and 3 match two branches and oneOf rejects them.
    check(out, ok=[None, "b", 1.5, {}], bad=["a", 3])


def test_rule4_any_value_branch_gets_not_null() -> None:
    schema = {"oneOf": [{"description": "anything"}, {"type": "string", "nullable": True}]}
    out = to_json_schema(schema)
    assert out == {
        "oneOf": [{"description": "anything", "not": {"type": "null"}}, {"type": "string"}, {"type": "null"}]
    }
    check(out, ok=[None, 1, [], {}], bad=["x"])  # a string matches both branches: oneOf says no


def test_rule4_nullable_refs_and_wrappers() -> None:
    components = {
        "A": {"type": "object", "nullable": True, "required": ["a"]},
        "B": {"nullable": True, "required": ["b"]},
    }
    out = to_json_schema(
        {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
        components=components,
    )
    check(out, ok=[None, {"a": 1}, {"b": 1}], bad=[{}, {"a": 1, "b": 2}])
    object_a = {"nullable": True, "allOf": [{"type": "object", "required": ["a"]}]}
    wrapped = to_json_schema({"oneOf": [object_a, {"type": "string", "nullable": True}]})
    check(wrapped, ok=[None, {"a": 1}, "x"], bad=[{}])


def test_rule4_single_null_branch_is_left_alone() -> None:
    schema = {"oneOf": [{"type": "string", "nullable": True}, {"type": "integer"}]}
    assert to_json_schema(schema) == {"oneOf": [{"type": ["string", "null"]}, {"type": "integer"}]}


# --- rules 5-8: dropped, rewritten and kept keywords --------------------------------------


def test_rule5_nullable_false_is_dropped() -> None:
    out = to_json_schema({"type": "integer", "nullable": False})
    assert out == {"type": "integer"}
    check(out, ok=[1], bad=[None])


@pytest.mark.parametrize(("low", "high"), [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")])
def test_rule6_boolean_exclusive_bounds(low: str, high: str) -> None:
    out = to_json_schema({"type": "number", high: 0, low: True})
    assert out == {"type": "number", low: 0}
    sign = 1 if high == "minimum" else -1
    check(out, ok=[sign * 0.5], bad=[0, -sign * 1])
    assert to_json_schema({"type": "number", high: 0, low: False}) == {"type": "number", high: 0}
    assert to_json_schema({"type": "number", low: 3}) == {"type": "number", low: 3}


def test_rule6_exclusive_true_without_bound_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"'exclusiveMinimum: true' needs a 'minimum'.*#/properties/n"):
        to_json_schema({"properties": {"n": {"type": "number", "exclusiveMinimum": True}}})


def test_rule7_example_and_openapi_only_keywords() -> None:
    schema = {
        "type": "string",
        "format": "uri",
        "example": "https://x",
        "discriminator": {"propertyName": "kind"},
        "xml": {"name": "s"},
        "externalDocs": {"url": "https://docs"},
        "readOnly": True,
        "writeOnly": False,
        "deprecated": True,
        "description": "d",
        "title": "t",
        "default": "https://y",
    }
    out = to_json_schema(schema)
    assert out == {
        "type": "string",
        "format": "uri",
        "examples": ["https://x"],
        "readOnly": True,
        "writeOnly": False,
        "deprecated": True,
        "description": "d",
        "title": "t",
        "default": "https://y",
    }
    check(out, ok=["https://x", "not a uri at all"], bad=[1])  # format is annotation-only


def test_rule8_extensions_are_dropped_but_x_property_names_kept() -> None:
    schema = {"type": "object", "x-internal": True, "properties": {"x-trace": {"type": "string", "x-a": 1}}}
    out = to_json_schema(schema)
    assert out == {"type": "object", "properties": {"x-trace": {"type": "string"}}}


# --- rule 9: recursion ---------------------------------------------------------------------

NULLABLE_INT = {"type": "integer", "nullable": True}
NULLABLE_INT_OUT = {"type": ["integer", "null"]}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"properties": {"a": NULLABLE_INT}}, {"properties": {"a": NULLABLE_INT_OUT}}),
        ({"patternProperties": {"^a": NULLABLE_INT}}, {"patternProperties": {"^a": NULLABLE_INT_OUT}}),
        ({"additionalProperties": NULLABLE_INT}, {"additionalProperties": NULLABLE_INT_OUT}),
        ({"additionalProperties": False}, {"additionalProperties": False}),
        ({"items": NULLABLE_INT}, {"items": NULLABLE_INT_OUT}),
        ({"allOf": [NULLABLE_INT]}, {"allOf": [NULLABLE_INT_OUT]}),
        ({"anyOf": [NULLABLE_INT]}, {"anyOf": [NULLABLE_INT_OUT]}),
        ({"oneOf": [NULLABLE_INT]}, {"oneOf": [NULLABLE_INT_OUT]}),
        ({"not": NULLABLE_INT}, {"not": NULLABLE_INT_OUT}),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else str(v),
)
def test_rule9_recurses_into_every_subschema_keyword(
    schema: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert to_json_schema(schema) == expected
    check(to_json_schema(schema))


# --- rule 10: purity -----------------------------------------------------------------------


def test_rule10_input_untouched_output_fresh_and_deterministic(document: dict[str, Any]) -> None:
    original = copy.deepcopy(document)
    first = document_schema(document, REQUEST)
    second = document_schema(document, REQUEST)
    assert document == original
    assert first == second
    assert json.dumps(first) == json.dumps(second)  # same key order too
    enum = first["properties"]["model"]["enum"]  # type: ignore[index]
    enum.append("mutated")
    assert document_schema(document, REQUEST) == second


# --- references ----------------------------------------------------------------------------

TREE_COMPONENTS = {
    "Node": {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "meta": {"$ref": "#/components/schemas/Meta"},
        },
        "required": ["value"],
    },
    "Meta": {"type": "object", "nullable": True, "properties": {"tag": {"$ref": "#/components/schemas/Tag"}}},
    "Tag": {"type": "string", "example": "t"},
    "Unused": {"type": "boolean"},
}


def test_ref_recursive_component_tree() -> None:
    out = to_json_schema({"$ref": "#/components/schemas/Node"}, components=TREE_COMPONENTS)
    assert isinstance(out, dict)
    assert out["$ref"] == "#/$defs/Node"
    assert list(out["$defs"]) == ["Meta", "Node", "Tag"]  # transitive, sorted, no Unused
    assert out["$defs"]["Tag"] == {"type": "string", "examples": ["t"]}
    tree = {"value": 1, "meta": None, "children": [{"value": 2, "children": [], "meta": {"tag": "x"}}]}
    check(out, ok=[tree, {"value": 0}], bad=[{"value": 1, "children": [{"value": "two"}]}, {"children": []}])


def test_ref_nullable_sibling_and_annotations() -> None:
    out = to_json_schema(
        {"$ref": "#/components/schemas/Tag", "nullable": True, "description": "d", "maxLength": 1},
        components=TREE_COMPONENTS,
    )
    assert out == {
        "anyOf": [{"type": "null"}, {"$ref": "#/$defs/Tag"}],
        "description": "d",
        "$defs": {"Tag": {"type": "string", "examples": ["t"]}},
    }
    check(out, ok=[None, "long string: maxLength is an ignored $ref sibling"], bad=[1])


def test_ref_unknown_component_names_the_known_ones() -> None:
    with pytest.raises(
        SpecError, match=r"'#/components/schemas/Nope' names no component schema \(known: Meta, Node"
    ):
        to_json_schema({"items": {"$ref": "#/components/schemas/Nope"}}, components=TREE_COMPONENTS)


def test_ref_non_component_inlined_through_resolver() -> None:
    targets = {"#/paths/x/schema": {"type": "string", "nullable": True}}
    out = to_json_schema({"properties": {"a": {"$ref": "#/paths/x/schema"}}}, resolver=targets.__getitem__)
    assert out == {"properties": {"a": {"type": ["string", "null"]}}}
    check(out, ok=[{"a": None}, {"a": "x"}], bad=[{"a": 1}])


def test_ref_recursive_non_component_is_hoisted() -> None:
    doc = {
        "x": {
            "List": {"type": "object", "properties": {"next": {"$ref": "#/x/List"}, "v": {"type": "integer"}}}
        }
    }
    out = document_schema(doc, "#/x/List")
    assert isinstance(out, dict)
    assert list(out["$defs"]) == ["inline.x_List"]
    check(out, ok=[{"v": 1, "next": {"v": 2, "next": {}}}], bad=[{"next": {"next": {"v": "x"}}}])


def test_ref_without_resolver_is_an_error_unless_under_components() -> None:
    with pytest.raises(SpecError, match="pass resolver="):
        to_json_schema({"$ref": "#/paths/x"})
    deep = to_json_schema({"$ref": "#/components/schemas/Meta/properties/tag"}, components=TREE_COMPONENTS)
    assert deep == {"$ref": "#/$defs/Tag", "$defs": {"Tag": {"type": "string", "examples": ["t"]}}}


# --- errors and pointers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"properties": {"a": "string"}}, r"a schema must be an object, got str.*#/properties/a"),
        ({"type": "string", "nullable": "yes"}, r"'nullable' must be true or false, got 'yes'"),
        ({"type": "array", "items": [{"type": "string"}]}, r"'items' must be one schema"),
        ({"anyOf": []}, r"'anyOf' must be a non-empty list"),
    ],
)
def test_bad_schemas_raise_spec_error_with_location(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        to_json_schema(schema)


def test_resolve_pointer_reports_the_missing_token(document: dict[str, Any]) -> None:
    assert resolve_pointer(document, f"#{OP}/operationId") == "_v1_chat_completions"
    with pytest.raises(SpecError, match="no 'nope' there"):
        resolve_pointer(document, f"{OP}/nope")


# --- the whole vendor document -------------------------------------------------------------


def test_request_schema_accepts_minimal_and_full_requests(request_schema: dict[str, Any] | bool) -> None:
    minimal = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}
    full = {
        **minimal,
        "stop": None,
        "temperature": 0.5,
        "frequency_penalty": None,
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": None}}
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "n", "schema": {"type": "object"}},
        },
    }
    check(request_schema, ok=[minimal, full])


@pytest.mark.parametrize(
    "change",
    [{"messages": [{"content": "Hi"}]}, {"temperature": 5}, {"max_tokens": "5"}, {"model": "other"}],
    ids=["role-less message", "temperature 5", "max_tokens '5'", "unknown model"],
)
def test_request_schema_rejects_broken_requests(
    request_schema: dict[str, Any] | bool, change: dict[str, Any]
) -> None:
    request = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], **change}
    check(request_schema, bad=[request])


@pytest.mark.parametrize("pointer", [RESPONSE_JSON, RESPONSE_SSE], ids=["json", "sse"])
def test_response_schemas_compile_in_both_libraries(document: dict[str, Any], pointer: str) -> None:
    out = document_schema(document, pointer)
    check(out, bad=["not an object"])
    jsonschema_rs.validator_for(out)


# --- properties ----------------------------------------------------------------------------

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=4),
    "integer": st.integers(-5, 5),
    "number": st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False, width=32),
    "boolean": st.booleans(),
    "object": st.dictionaries(st.text(max_size=2), st.integers(0, 2), max_size=2),
    "array": st.lists(st.integers(0, 2), max_size=2),
}
ANY_VALUE = st.one_of(st.none(), *VALUES.values())


@st.composite
def nullable_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[Any]]:
    """An OAS 3.0 base-type schema (maybe nullable, maybe enum) plus probe instances."""
    kind = draw(st.sampled_from(sorted(VALUES)))
    schema: dict[str, Any] = {"type": kind}
    if draw(st.booleans()):
        schema["enum"] = draw(st.lists(VALUES[kind], min_size=1, max_size=3))
    nullable = draw(st.sampled_from([True, False, None]))
    if nullable is not None:
        schema["nullable"] = nullable
    own = st.sampled_from(schema["enum"]) if "enum" in schema else VALUES[kind]
    probes = draw(st.lists(own | ANY_VALUE, min_size=1, max_size=4))
    return schema, [None, *probes]


@settings(max_examples=150, deadline=None, database=None)
@given(nullable_cases())
def test_property_null_accepted_iff_nullable(case: tuple[dict[str, Any], list[Any]]) -> None:
    schema, probes = case
    out = to_json_schema(schema)
    baseline = {key: value for key, value in schema.items() if key != "nullable"}
    for instance in probes:
        if instance is None:
            expected = schema.get("nullable") is True
        else:
            expected = jsonschema.Draft202012Validator(baseline).is_valid(instance)
        assert verdicts(out, instance) == (expected, expected), (schema, instance)


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(nullable_cases(), min_size=1, max_size=3, unique_by=lambda case: case[0]["type"]))
def test_property_one_of_accepts_null_iff_a_branch_is_nullable(
    cases: list[tuple[dict[str, Any], list[Any]]],
) -> None:
    out = to_json_schema({"oneOf": [schema for schema, _ in cases]})
    baseline = {"oneOf": [{k: v for k, v in schema.items() if k != "nullable"} for schema, _ in cases]}
    nullable = any(schema.get("nullable") is True for schema, _ in cases)
    for instance in [probe for _, probes in cases for probe in probes]:
        expected = (
            nullable if instance is None else jsonschema.Draft202012Validator(baseline).is_valid(instance)
        )
        assert verdicts(out, instance) == (expected, expected), (out, instance)


def oas_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Nested OAS 3.0 schemas mixing every form the converter rewrites."""
    leaf = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["string", "integer", "number", "object", "array", "boolean"]),
            "nullable": st.booleans(),
            "description": st.just("d"),
            "example": st.integers(),
            "x-ext": st.just(1),
        },
    )

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        lists = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            st.builds(lambda s, n: {"type": "array", "items": s, "nullable": n}, inner, st.booleans()),
            st.builds(
                lambda p: {"type": "object", "properties": p}, st.dictionaries(st.sampled_from("abc"), inner)
            ),
            st.builds(lambda s: {"type": "object", "additionalProperties": s}, inner),
            st.builds(
                lambda b, k, n: {k: b, "nullable": n},
                lists,
                st.sampled_from(["anyOf", "oneOf", "allOf"]),
                st.booleans(),
            ),
            st.builds(lambda s: {"not": s}, inner),
        )

    return st.recursive(leaf, extend, max_leaves=8)


@settings(max_examples=60, deadline=None, database=None)
@given(oas_schemas())
def test_property_output_is_valid_pure_and_deterministic(schema: dict[str, Any]) -> None:
    original = copy.deepcopy(schema)
    out = to_json_schema(schema)
    assert schema == original
    assert to_json_schema(schema) == out
    assert "x-ext" not in json.dumps(out) and '"nullable"' not in json.dumps(out)
    check(out)
