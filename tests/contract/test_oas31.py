"""``contract_kit.contract.oas31``: a 3.1 document's schemas used as JSON Schema 2020-12, one keyword each."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from contract_kit.contract.oas31 import Oas31Conversion, to_json_schema_31


def _doc(**schemas: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "components": {"schemas": {"Small": {"type": "integer", "maximum": 9}, **schemas}},
    }


def _accepts(schema: Any, document: dict[str, Any], value: Any) -> bool:
    return bool(jsonschema_rs.validator_for(to_json_schema_31(schema, document)).is_valid(value))


REF = {"$ref": "#/components/schemas/Small"}
CASES = [
    ({"prefixItems": [REF], "items": False}, [3], [30]),
    ({"if": {"type": "integer"}, "then": REF, "else": {"type": "string"}}, 5, 50),
    (
        {"type": "object", "dependentSchemas": {"a": {"properties": {"b": REF}}}},
        {"a": 1, "b": 2},
        {"a": 1, "b": 20},
    ),
    ({"type": "array", "contains": REF}, ["x", 1], ["x", 10]),
    ({"type": "object", "propertyNames": {"$ref": "#/components/schemas/Name"}}, {"ab": 1}, {"abc": 1}),
    (
        {"type": "object", "properties": {"a": REF}, "unevaluatedProperties": False},
        {"a": 1},
        {"a": 1, "z": 2},
    ),
    ({"$ref": "#/components/schemas/Small", "minimum": 5}, 7, 3),  # a $ref sibling applies in 3.1
    ({"$ref": "#/components/schemas/Holder/$defs/Inner"}, "ok", 5),  # a pointer into $defs, hoisted
    ({"const": "x"}, "x", "y"),
    ({"type": ["string", "null"]}, None, 5),
    ({"oneOf": [REF, {"type": "string"}], "discriminator": {"propertyName": "t"}}, "s", 50),
]


@pytest.mark.parametrize(("schema", "good", "bad"), CASES)
def test_each_keyword_resolves_and_validates(schema: dict[str, Any], good: Any, bad: Any) -> None:
    document = _doc(Name={"maxLength": 2}, Holder={"$defs": {"Inner": {"type": "string"}}})
    assert _accepts(schema, document, good)
    assert not _accepts(schema, document, bad)


def test_refs_become_standalone_defs_and_the_input_is_untouched() -> None:
    document = _doc(Pair={"prefixItems": [REF, REF]})
    before = repr(document)
    out = to_json_schema_31({"$ref": "#/components/schemas/Pair"}, document)
    assert isinstance(out, dict) and sorted(out["$defs"]) == ["Pair", "Small"]
    assert out["$defs"]["Pair"]["prefixItems"][0] == {"$ref": "#/$defs/Small"}
    assert repr(document) == before


def test_3_0_syntax_in_a_3_1_document_follows_intent_and_is_noted() -> None:
    document = _doc(Rate={"type": "number", "minimum": 0, "exclusiveMinimum": True, "nullable": True})
    conversion = Oas31Conversion(document)
    schema = conversion.convert({"$ref": "#/components/schemas/Rate"})
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(None) and validator.is_valid(0.5) and not validator.is_valid(0)
    assert sorted(conversion.notes) == [
        "#/components/schemas/Rate/exclusiveMinimum",
        "#/components/schemas/Rate/nullable",
    ]


def test_recursive_components_terminate() -> None:
    document = _doc(Node={"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}})
    assert _accepts({"$ref": "#/components/schemas/Node"}, document, {"next": {"next": {}}})
    assert not _accepts({"$ref": "#/components/schemas/Node"}, document, {"next": {"next": 5}})
