"""Overlay 1.0: loading, validation and every apply rule, each with a concrete example."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from contract_kit.contract import (
    Action,
    Overlay,
    action_matches,
    apply_overlay,
    apply_overlays,
    load_overlay,
    parse_overlay,
)
from contract_kit.errors import OverlayError

CHAT = "/v1/chat/completions"


def make_spec() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "chat", "version": "1"},
        "paths": {
            CHAT: {
                "post": {
                    "tags": ["chat"],
                    "parameters": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {}}},
                        "400": {"description": "bad"},
                    },
                }
            }
        },
        "components": {"schemas": {"Msg": {"required": ["role"], "deprecated": True}}},
    }


def overlay(*actions: dict[str, Any]) -> Overlay:
    return parse_overlay(
        {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}
    )


def write(tmp_path: Path, text: str, name: str = "fix.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


POST = f"$.paths['{CHAT}'].post"


# --- removal ----------------------------------------------------------------------------------


def test_remove_a_dict_member_by_quoted_target() -> None:
    result = apply_overlay(make_spec(), overlay({"target": f"{POST}.responses['400']", "remove": True}))
    assert list(result["paths"][CHAT]["post"]["responses"]) == ["200"]


def test_remove_list_elements_from_the_highest_index_down() -> None:
    result = apply_overlay(make_spec(), overlay({"target": f"{POST}.parameters[0,2]", "remove": True}))
    assert result["paths"][CHAT]["post"]["parameters"] == [{"name": "b"}]


def test_remove_with_negative_index_and_wildcard() -> None:
    last = apply_overlay(make_spec(), overlay({"target": f"{POST}.parameters[-1]", "remove": True}))
    assert [p["name"] for p in last["paths"][CHAT]["post"]["parameters"]] == ["a", "b"]
    every = apply_overlay(make_spec(), overlay({"target": f"{POST}.parameters[*]", "remove": True}))
    assert every["paths"][CHAT]["post"]["parameters"] == []


def test_remove_every_descendant_named_deprecated() -> None:
    spec = make_spec()
    spec["paths"][CHAT]["post"]["deprecated"] = False
    result = apply_overlay(spec, overlay({"target": "$..deprecated", "remove": True}))
    assert "deprecated" not in json.dumps(result)


def test_removing_the_root_is_an_error() -> None:
    with pytest.raises(OverlayError, match="document root"):
        apply_overlay(make_spec(), overlay({"target": "$", "remove": True}))


def test_remove_wins_over_update_on_a_programmatic_action() -> None:
    action = Action(0, "$.components", "", {"x": 1}, True)
    result = apply_overlay(make_spec(), Overlay("t", "1", (action,)))
    assert "components" not in result


# --- update -----------------------------------------------------------------------------------


def test_update_merges_dicts_recursively_concatenates_lists_and_replaces_scalars() -> None:
    update = {
        "tags": ["extra"],
        "responses": {"200": {"description": "OK!", "headers": {"x-id": {}}}},
        "summary": "new",
    }
    result = apply_overlay(make_spec(), overlay({"target": POST, "update": update}))
    post = result["paths"][CHAT]["post"]
    assert post["tags"] == ["chat", "extra"]
    assert post["responses"]["200"] == {
        "description": "OK!",
        "content": {"application/json": {}},
        "headers": {"x-id": {}},
    }
    assert post["responses"]["400"] == {"description": "bad"}
    assert post["summary"] == "new"


def test_update_replaces_when_kinds_differ() -> None:
    update = {"tags": {"now": "a dict"}, "parameters": "gone"}
    post = apply_overlay(make_spec(), overlay({"target": POST, "update": update}))["paths"][CHAT]["post"]
    assert post["tags"] == {"now": "a dict"}
    assert post["parameters"] == "gone"


def test_update_appends_to_a_list_target_and_extends_with_a_list() -> None:
    one = apply_overlay(make_spec(), overlay({"target": f"{POST}.tags", "update": "beta"}))
    assert one["paths"][CHAT]["post"]["tags"] == ["chat", "beta"]
    many = apply_overlay(make_spec(), overlay({"target": f"{POST}.tags", "update": ["x", "y"]}))
    assert many["paths"][CHAT]["post"]["tags"] == ["chat", "x", "y"]


def test_update_every_wildcard_match() -> None:
    result = apply_overlay(
        make_spec(), overlay({"target": f"{POST}.responses.*", "update": {"x-seen": True}})
    )
    assert all(r["x-seen"] for r in result["paths"][CHAT]["post"]["responses"].values())


def test_update_on_the_root() -> None:
    result = apply_overlay(make_spec(), overlay({"target": "$", "update": {"info": {"version": "2"}}}))
    assert result["info"] == {"title": "chat", "version": "2"}


def test_updating_a_scalar_is_an_error_naming_action_and_target() -> None:
    target = f"{POST}.responses['200'].description"
    ov = overlay({"target": "$.info", "update": {}}, {"target": target, "update": {"a": 1}})
    with pytest.raises(OverlayError) as info:
        apply_overlay(make_spec(), ov)
    message = str(info.value)
    assert message.startswith("<memory> at actions[1]: action #1")
    assert repr(target) in message
    assert "cannot update the scalar 'ok'" in message


def test_updating_an_object_with_a_scalar_is_an_error() -> None:
    with pytest.raises(OverlayError, match=r"cannot update an object .* with the scalar 3"):
        apply_overlay(make_spec(), overlay({"target": "$.info", "update": 3}))


def test_update_values_are_copied_not_shared() -> None:
    ov = overlay({"target": "$.info", "update": {"x-list": [1]}}, {"target": "$.info['x-list']", "update": 2})
    first = apply_overlay(make_spec(), ov)
    assert first["info"]["x-list"] == [1, 2]
    assert ov.actions[0].update == {"x-list": [1]}
    assert apply_overlay(make_spec(), ov)["info"]["x-list"] == [1, 2]


def test_yaml_int_keys_in_the_document_are_merged_not_duplicated() -> None:
    spec = {"responses": {200: {"description": "ok"}}}
    result = apply_overlay(spec, overlay({"target": "$.responses", "update": {"200": {"x": 1}}}))
    assert result == {"responses": {200: {"description": "ok", "x": 1}}}


# --- unmatched targets ------------------------------------------------------------------------


def test_unmatched_target_is_an_error_by_default() -> None:
    ov = overlay(
        {"target": "$.info", "update": {}},
        {"target": "$.info", "update": {}},
        {"target": "$.info", "update": {}},
        {"target": "$.paths['/v2/gone']", "description": "drop v2", "remove": True},
    )
    with pytest.raises(OverlayError) as info:
        apply_overlay(make_spec(), ov)
    assert str(info.value) == (
        "<memory> at actions[3]: action #3 'drop v2' (target \"$.paths['/v2/gone']\") matched nothing; "
        "the document changed or the target is wrong (strict=False skips such actions)"
    )


def test_unmatched_target_is_skipped_when_not_strict() -> None:
    ov = overlay({"target": "$.nope", "remove": True}, {"target": "$.info", "update": {"x": 1}})
    result = apply_overlay(make_spec(), ov, strict=False)
    assert result["info"]["x"] == 1


# --- purity and composition -------------------------------------------------------------------


def test_input_document_is_never_mutated() -> None:
    spec = make_spec()
    before = copy.deepcopy(spec)
    ov = overlay(
        {"target": f"{POST}.parameters[0]", "remove": True},
        {"target": f"{POST}.tags", "update": "x"},
        {"target": "$..responses.*", "update": {"x": 1}},
    )
    result = apply_overlay(spec, ov)
    assert spec == before
    assert result != before


def test_apply_overlays_runs_in_order() -> None:
    add = overlay({"target": "$.info", "update": {"x-step": ["one"]}})
    extend = overlay({"target": "$.info['x-step']", "update": "two"})
    assert apply_overlays(make_spec(), [add, extend])["info"]["x-step"] == ["one", "two"]
    with pytest.raises(OverlayError, match="matched nothing"):
        apply_overlays(make_spec(), [extend, add])


def test_action_matches_lists_each_location_once() -> None:
    ov = overlay({"target": f"{POST}.parameters[0,0,-1]", "remove": True})
    locations = [m.location for m in action_matches(make_spec(), ov.actions[0])]
    assert locations == [
        '$.paths["/v1/chat/completions"].post.parameters[0]',
        '$.paths["/v1/chat/completions"].post.parameters[2]',
    ]


# --- loading ----------------------------------------------------------------------------------

GOOD_YAML = """\
    overlay: 1.0.0
    info:
      title: Fix upstream spec
      version: "1.2"
    extends: ./aimlapi.json
    actions:
      - target: $.paths['/v1/chat/completions'].post.responses
        description: document the 429
        update:
          429:
            description: rate limited
      - target: $.components.schemas.Msg.deprecated
        remove: true
"""


def test_load_yaml_overlay(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_YAML)
    ov = load_overlay(path)
    assert (ov.title, ov.version, ov.extends, ov.source) == (
        "Fix upstream spec",
        "1.2",
        "./aimlapi.json",
        str(path),
    )
    assert ov.actions[0] == Action(
        0,
        "$.paths['/v1/chat/completions'].post.responses",
        "document the 429",
        {"429": {"description": "rate limited"}},  # the int key 429 became a string
        False,
    )
    assert ov.actions[1].remove is True
    result = apply_overlay(make_spec(), ov)
    assert list(result["paths"][CHAT]["post"]["responses"]) == ["200", "400", "429"]
    assert "deprecated" not in result["components"]["schemas"]["Msg"]


def test_load_json_overlay(tmp_path: Path) -> None:
    data = {
        "overlay": "1.0.0",
        "info": {"title": "t", "version": "1"},
        "actions": [{"target": "$.info", "update": {"x": 1}}],
    }
    path = write(tmp_path, json.dumps(data, indent="\t"), name="fix.json")
    assert load_overlay(path).actions[0].update == {"x": 1}


def test_malformed_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "overlay: 1.0.0\ninfo: {title: t, version: '1'\nactions: []\n")
    with pytest.raises(OverlayError) as info:
        load_overlay(path)
    message = str(info.value)
    assert message.startswith(f"{path} at line 3, column ")
    assert "invalid YAML" in message
    assert info.value.source == str(path)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{"overlay": "1.0.0",\n  "info": }', name="fix.json")
    with pytest.raises(OverlayError, match=r"fix\.json at line 2, column 11: invalid JSON"):
        load_overlay(path)


def test_missing_file_is_an_overlay_error(tmp_path: Path) -> None:
    with pytest.raises(OverlayError, match="cannot read the overlay"):
        load_overlay(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "location", "fragment"),
    [
        ("", None, "got an empty file"),
        ("- 1\n", None, "got list"),
        ("info: {title: t, version: '1'}\nactions: [{target: $, remove: true}]", "overlay", "version string"),
        ("overlay: 1.0\ninfo: {title: t, version: '1'}", "overlay", "quote it"),
        ("overlay: 2.0.0\ninfo: {title: t, version: '1'}", "overlay", "unsupported overlay version '2.0.0'"),
        ("overlay: 1.0.0\ninfo: {title: t}", "info.version", "must be a string"),
        ("overlay: 1.0.0\ninfo: {title: t, version: '1'}", "actions", "non-empty list"),
        ("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: []", "actions", "non-empty list"),
        (
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: 3\nactions: []",
            "extends",
            "must be a string",
        ),
        (
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactoins: []",
            "the top level",
            "unknown field 'actoins'",
        ),
    ],
)
def test_top_level_structure_errors(tmp_path: Path, text: str, location: str | None, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(OverlayError) as info:
        load_overlay(path)
    assert info.value.source == str(path)
    assert info.value.location == location
    assert fragment in str(info.value)


HEAD = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, update: {}}\n"


@pytest.mark.parametrize(
    ("action", "location", "fragment"),
    [
        ("- 3", "actions[1]", "must be a mapping"),
        ("- {update: {}}", "actions[1]", "'target' must be a non-empty JSONPath"),
        ("- {target: $.info}", "actions[1]", "needs 'update' or 'remove: true'"),
        ("- {target: $.info, remove: false}", "actions[1]", "needs 'update' or 'remove: true'"),
        ("- {target: $.info, update: {}, remove: true}", "actions[1]", "not both"),
        ("- {target: $.info, remove: 'yes'}", "actions[1]", "'remove' must be true or false"),
        ("- {target: $.info, description: 3, remove: true}", "actions[1]", "'description' must be a string"),
        ("- {target: $.info, remvoe: true}", "actions[1]", "unknown field 'remvoe'"),
        ("- {target: '$.a[1:', remove: true}", "actions[1].target", "invalid JSONPath"),
        ("- {target: $.info, update: {200: a, '200': b}}", "actions[1].update", "appears twice"),
    ],
)
def test_action_structure_errors_name_the_action(
    tmp_path: Path, action: str, location: str, fragment: str
) -> None:
    path = write(tmp_path, HEAD + "  " + action + "\n")
    with pytest.raises(OverlayError) as info:
        load_overlay(path)
    assert info.value.location == location
    assert str(info.value).startswith(f"{path} at {location}: ")
    assert fragment in str(info.value)


def test_extension_fields_are_allowed() -> None:
    data = {
        "overlay": "1.0.0",
        "x-owner": "qa",
        "info": {"title": "t", "version": "1"},
        "actions": [{"target": "$", "update": {}, "x-ticket": "QA-1"}],
    }
    assert parse_overlay(data).actions[0].target == "$"
