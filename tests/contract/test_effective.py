"""Loading the effective contract: profiles, spec paths, overlays, errors, status resolution."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator

from contract_kit import _resources, load_contract
from contract_kit.contract import Contract, apply_overlays, load_overlay
from contract_kit.contract.document import DEFAULT_PROFILE, PROFILES
from contract_kit.errors import OperationNotFoundError, ProfileError, SpecError

DOCUMENT = _resources.default_document()
OPENAPI_DIR = _resources.openapi_dir()
REPAIRS = OPENAPI_DIR / "repairs.yaml"
OBSERVED = OPENAPI_DIR / "observed.yaml"
PATH = "/v1/chat/completions"
MODEL = "alibaba/qwen3-vl-32b-thinking"
ERROR_STATUSES = ["400", "401", "404", "413", "415", "429", "5XX"]
ERROR_BODY = {"error": {"message": "bad key", "type": "invalid_request_error", "param": None, "code": None}}


def _original() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


def _spec_problems(document: dict[str, Any]) -> list[str]:
    return [str(error.message) for error in OpenAPIV30SpecValidator(document).iter_errors()]


def _request(model: str = MODEL, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Hi"}], **extra}


@pytest.fixture(scope="module")
def documented() -> Contract:
    return load_contract("documented")


@pytest.fixture(scope="module")
def observed() -> Contract:
    return load_contract("observed")


# -- profiles ------------------------------------------------------------------
def test_profile_names_and_default() -> None:
    assert PROFILES == ("documented", "observed")
    assert DEFAULT_PROFILE == "observed"
    assert load_contract().profile == "observed"


def test_load_contract_is_cached_per_process(observed: Contract) -> None:
    assert load_contract("observed") is observed
    assert load_contract("observed", None) is observed


def test_documented_is_the_document_plus_repairs(documented: Contract) -> None:
    original = _original()
    assert documented.original == original
    assert documented.document == apply_overlays(original, [load_overlay(REPAIRS)])
    assert documented.document != original


def test_documented_is_valid_openapi_while_the_published_document_is_not(documented: Contract) -> None:
    assert _spec_problems(_original()), "the published document is expected to lack a response description"
    assert _spec_problems(documented.document) == []


def test_documented_has_only_the_200_response(documented: Contract) -> None:
    assert documented.documented_statuses == ["200"]
    assert set(documented.responses["200"]) == {"application/json", "text/event-stream"}
    assert "security" not in documented.document
    assert documented.path == PATH
    assert documented.base_path == ""
    assert documented.models == [MODEL]
    assert documented.skipped_actions == []


def test_observed_is_documented_plus_observed_overlay(documented: Contract, observed: Contract) -> None:
    assert observed.document == apply_overlays(documented.document, [load_overlay(OBSERVED)])
    assert _spec_problems(observed.document) == []
    assert observed.skipped_actions == []


def test_observed_adds_the_error_responses(observed: Contract) -> None:
    assert observed.documented_statuses == sorted(["200", *ERROR_STATUSES])
    for status in ERROR_STATUSES:
        assert set(observed.responses[status]) == {"application/json"}
        assert observed.validate_response(ERROR_BODY, status) == []
        broken = observed.validate_response({"error": {"type": "x"}}, status)
        assert [(v.path, v.rule) for v in broken] == [("$.error", "required")]
    assert "Retry-After" in observed.operation["responses"]["429"]["headers"]


def test_observed_declares_bearer_security(observed: Contract) -> None:
    assert observed.document["security"] == [{"bearerAuth": []}]
    scheme = observed.document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


@pytest.mark.parametrize("profile", ["bogus", "", "Observed"])
def test_unknown_profile_lists_the_choices(profile: str) -> None:
    with pytest.raises(ProfileError) as info:
        load_contract(profile)
    assert repr(profile) in str(info.value)
    assert "documented, observed" in str(info.value)
    assert isinstance(info.value, ValueError)


# -- schemas ---------------------------------------------------------------------
def test_response_schema_by_status_and_content_type(observed: Contract) -> None:
    json_schema = observed.response_schema(200)
    assert isinstance(json_schema, dict)
    assert observed.response_schema(200, "application/json; charset=utf-8") == json_schema
    assert observed.response_schema("200", "APPLICATION/JSON") == json_schema
    assert observed.chunk_schema == observed.response_schema(200, "text/event-stream")
    assert observed.chunk_schema != json_schema
    assert observed.response_schema(200, "text/html") is None
    assert observed.response_schema(302) is None


def test_schemas_are_json_schema_not_openapi(observed: Contract) -> None:
    dumped = json.dumps([observed.request_schema, observed.responses])
    assert '"nullable"' not in dumped
    message = observed.response_schema(200)["properties"]["choices"]["items"]["properties"]["message"]  # type: ignore[index]
    assert message["properties"]["content"]["type"] == ["string", "null"]


# -- status resolution -------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "key"),
    [
        (200, "200"),
        ("200", "200"),
        (404, "404"),
        (429, "429"),
        (500, "5XX"),
        (503, "5XX"),
        ("599", "5XX"),
        (402, None),
        (302, None),
        (201, None),
    ],
)
def test_status_resolution_observed(observed: Contract, status: int | str, key: str | None) -> None:
    assert observed.status_key(status) == key


def test_status_resolution_documented(documented: Contract) -> None:
    assert documented.status_key(200) == "200"
    assert documented.status_key(500) is None
    assert documented.response_schema(500) is None


def test_range_status_validates_with_the_range_schema(observed: Contract) -> None:
    assert observed.validate_response(ERROR_BODY, 502) == []
    broken = observed.validate_response({"error": "boom"}, 502)
    assert [(v.path, v.rule, v.expected) for v in broken] == [("$.error", "type", "object")]


# -- spec path: another serialization, another model, another document --------------------
def test_yaml_copy_loads_the_same(tmp_path: Path, observed: Contract) -> None:
    spec = tmp_path / "copy.yaml"
    spec.write_text(yaml.safe_dump(_original(), allow_unicode=True), encoding="utf-8")
    contract = load_contract("observed", spec)
    assert contract.document == observed.document
    assert contract.request_schema == observed.request_schema
    assert contract.responses == observed.responses


def test_yaml_with_unquoted_status_keys_loads_the_same(tmp_path: Path, documented: Contract) -> None:
    text = yaml.safe_dump(_original(), allow_unicode=True)
    assert "'200':" in text
    spec = tmp_path / "unquoted.yml"
    spec.write_text(text.replace("'200':", "200:"), encoding="utf-8")
    contract = load_contract("documented", spec)
    assert contract.documented_statuses == ["200"]
    assert contract.responses == documented.responses
    assert contract.request_schema == documented.request_schema


def test_yaml_dates_stay_strings(tmp_path: Path) -> None:
    """OpenAPI has no date type: an unquoted ``2024-05-01`` is a string, as openapi-core reads it."""
    text = yaml.safe_dump(_foreign_document()).replace("version: '2.0'", "version: 2024-05-01")
    text = text.replace(
        "model:\n          type: string\n", "model:\n          example: 2024-05-01\n          type: string\n"
    )
    assert "version: 2024-05-01" in text and "example: 2024-05-01" in text
    spec = tmp_path / "dated.yaml"
    spec.write_text(text, encoding="utf-8")
    contract = load_contract("documented", spec)
    assert contract.document["info"]["version"] == "2024-05-01"
    model = contract.request_schema["$defs"]["Request"]["properties"]["model"]  # type: ignore[index]
    assert model["examples"] == ["2024-05-01"]
    json.dumps(contract.document)  # the effective document stays JSON


def _other_model_document(model: str) -> dict[str, Any]:
    document = _original()
    body = document["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["model"]["enum"] = [model]
    return document


@pytest.mark.parametrize("profile", PROFILES)
def test_another_model_of_the_same_vendor_gets_the_bundled_overlays(
    tmp_path: Path, profile: str, documented: Contract, observed: Contract
) -> None:
    other = "alibaba/qwen3-vl-8b-instruct"
    spec = tmp_path / "qwen3-vl-8b-instruct.json"
    spec.write_text(json.dumps(_other_model_document(other)), encoding="utf-8")
    assert not (tmp_path / "repairs.yaml").exists()
    contract = load_contract(profile, spec)
    reference = documented if profile == "documented" else observed
    assert contract.models == [other]
    assert contract.skipped_actions == []
    assert contract.documented_statuses == reference.documented_statuses
    assert [(ref.path, ref.strict) for ref in contract.files.repairs] == [(REPAIRS, False)]
    assert contract.validate_request(_request(other)) == []
    wrong = contract.validate_request(_request(MODEL))
    assert [(v.path, v.rule, v.expected) for v in wrong] == [("$.model", "enum", [other])]


def test_overlays_beside_the_document_are_used_strictly(tmp_path: Path, observed: Contract) -> None:
    for source in (DOCUMENT, REPAIRS, OBSERVED):
        shutil.copy(source, tmp_path / source.name)
    contract = load_contract("observed", tmp_path / DOCUMENT.name)
    assert [(ref.path, ref.strict) for ref in contract.files.repairs + contract.files.observed] == [
        (tmp_path / "repairs.yaml", True),
        (tmp_path / "observed.yaml", True),
    ]
    assert contract.document == observed.document


def _foreign_document() -> dict[str, Any]:
    """A minimal OpenAI-compatible document from another vendor."""
    ref = "#/components/schemas/"
    return {
        "openapi": "3.0.3",
        "info": {"title": "Example LLM", "version": "2.0"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": {
            "/chat/completions": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": ref + "Request"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": ref + "Completion"}}},
                        },
                        "5XX": {
                            "description": "server",
                            "content": {"application/json": {"schema": {"$ref": ref + "Error"}}},
                        },
                        "default": {
                            "description": "error",
                            "content": {"application/json": {"schema": {"$ref": ref + "Error"}}},
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Message": {
                    "type": "object",
                    "required": ["role", "content"],
                    "properties": {
                        "role": {"type": "string"},
                        "content": {"type": "string", "nullable": True},
                    },
                },
                "Request": {
                    "type": "object",
                    "required": ["model", "messages"],
                    "properties": {
                        "model": {"type": "string"},
                        "messages": {"type": "array", "items": {"$ref": ref + "Message"}},
                    },
                },
                "Completion": {
                    "type": "object",
                    "required": ["id", "choices"],
                    "properties": {
                        "id": {"type": "string"},
                        "choices": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "index": {"type": "integer"},
                                    "message": {"$ref": ref + "Message"},
                                    "finish_reason": {"type": "string", "nullable": True},
                                },
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string"}},
                },
            }
        },
    }


@pytest.fixture
def foreign_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "foreign" / "openapi.yaml"
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump(_foreign_document()), encoding="utf-8")
    return spec


def test_foreign_document_loads_and_validates(foreign_spec: Path) -> None:
    contract = load_contract("observed", foreign_spec)
    assert contract.path == "/chat/completions"
    assert contract.base_path == "/v1"
    assert contract.models == []
    assert contract.validate_request({"model": "any", "messages": [{"role": "user", "content": "hi"}]}) == []
    assert contract.validate_request({"model": "any", "messages": [{"role": "user", "content": None}]}) == []
    wrong = contract.validate_request({"model": "any", "messages": [{"role": "user", "content": 5}]})
    assert [(v.path, v.rule, v.observed) for v in wrong] == [("$.messages[0].content", "type", 5)]
    missing = contract.validate_request({"messages": []})
    assert [(v.path, v.rule) for v in missing] == [("$", "required")]
    completion = {
        "id": "x",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": None}],
    }
    schema_errors = [v for v in contract.validate_response(completion) if v.kind == "schema"]
    assert schema_errors == []


def test_foreign_document_gets_none_of_this_vendors_overlays(foreign_spec: Path) -> None:
    """Another vendor's document is not given AIML's error bodies, security scheme or observations."""
    observed = load_contract("observed", foreign_spec)
    assert observed.files.repairs == () and observed.files.observed == ()
    assert observed.skipped_actions == []
    assert "securitySchemes" not in (observed.document.get("components") or {})
    assert observed.document == load_contract("documented", foreign_spec).document


def test_foreign_document_status_resolution(foreign_spec: Path) -> None:
    contract = load_contract("documented", foreign_spec)
    assert contract.documented_statuses == ["200", "5XX", "default"]
    assert contract.status_key(200) == "200"
    assert contract.status_key(503) == "5XX"
    assert contract.status_key(404) == "default"
    assert contract.status_key(201) == "default"
    assert contract.validate_response({"detail": "not found"}, 404) == []
    broken = contract.validate_response({"detail": 1}, 404)
    assert [(v.path, v.rule) for v in broken] == [("$.detail", "type")]


def test_folder_with_exactly_one_document(foreign_spec: Path) -> None:
    folder = foreign_spec.parent
    (folder / "notes.json").write_text('{"not": "openapi"}', encoding="utf-8")
    contract = load_contract("documented", folder)
    assert contract.files.document == foreign_spec
    assert contract.path == "/chat/completions"


def test_folder_with_two_documents_names_them(foreign_spec: Path) -> None:
    folder = foreign_spec.parent
    (folder / "second.json").write_text(json.dumps(_foreign_document()), encoding="utf-8")
    with pytest.raises(SpecError, match=r"found: openapi\.yaml, second\.json"):
        load_contract("documented", folder)


def test_folder_without_a_document(tmp_path: Path) -> None:
    (tmp_path / "readme.yaml").write_text("title: nothing here\n", encoding="utf-8")
    with pytest.raises(SpecError, match="found: none") as info:
        load_contract("documented", tmp_path)
    assert info.value.source == str(tmp_path)


def test_changed_spec_file_is_reloaded(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_other_model_document("vendor/one")), encoding="utf-8")
    first = load_contract("documented", spec)
    assert first.models == ["vendor/one"]
    spec.write_text(json.dumps(_other_model_document("vendor/two")), encoding="utf-8")
    stat = spec.stat()
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert load_contract("documented", spec).models == ["vendor/two"]


# -- errors --------------------------------------------------------------------------
def test_missing_spec_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SpecError, match="not found") as info:
        load_contract("observed", missing)
    assert info.value.source == str(missing)
    assert str(missing) in str(info.value)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.json"
    spec.write_text('{\n  "openapi": "3.0.0",\n  "info": ,\n  "paths": {}\n}\n', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_contract("observed", spec)
    assert info.value.source == str(spec)
    assert info.value.location is not None and info.value.location.startswith("line 3,")
    assert str(spec) in str(info.value) and "invalid JSON" in str(info.value)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1\npaths: {}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_contract("observed", spec)
    assert info.value.source == str(spec)
    assert info.value.location is not None and info.value.location.startswith("line ")
    assert 3 <= int(info.value.location.split()[1].rstrip(",")) <= 5
    assert "invalid YAML" in str(info.value)


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    spec = tmp_path / "list.json"
    spec.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SpecError, match="JSON object"):
        load_contract("documented", spec)


def test_document_without_chat_completions_path(tmp_path: Path) -> None:
    document = _foreign_document()
    document["paths"] = {"/models": {"get": {"responses": {"200": {"description": "the models"}}}}}
    spec = tmp_path / "models.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(OperationNotFoundError, match="/models") as info:
        load_contract("documented", spec)
    assert isinstance(info.value, SpecError)


def test_chat_completions_path_without_post(tmp_path: Path) -> None:
    document = _foreign_document()
    document["paths"]["/chat/completions"] = {"get": document["paths"]["/chat/completions"]["post"]}
    spec = tmp_path / "get-only.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(OperationNotFoundError):
        load_contract("documented", spec)


@pytest.mark.parametrize("profile", PROFILES)
def test_invalid_document_without_repairs_points_to_lint(tmp_path: Path, profile: str) -> None:
    document = _foreign_document()
    del document["paths"]["/chat/completions"]["post"]["responses"]["200"]["description"]
    spec = tmp_path / "invalid.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_contract(profile, spec)
    message = str(info.value)
    assert "contract-kit lint" in message
    assert "not valid OpenAPI" in message
    assert "#/paths/~1chat~1completions/post/responses/200" in message
    assert info.value.source == str(spec)


def test_published_document_alone_is_refused_without_its_repairs(tmp_path: Path) -> None:
    """The vendor document beside an overlay that repairs nothing: the defect is named, not hidden."""
    shutil.copy(DOCUMENT, tmp_path / DOCUMENT.name)
    (tmp_path / "repairs.yaml").write_text(
        "overlay: 1.0.0\ninfo: {title: no-op, version: '1'}\nactions:\n"
        "  - target: $.info\n    description: touches nothing relevant\n    update: {x-note: none}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="'description' is a required property"):
        load_contract("documented", tmp_path / DOCUMENT.name)


def test_contract_does_not_mutate_the_original(documented: Contract) -> None:
    before = copy.deepcopy(documented.original)
    documented.validate_response({"id": "x"})
    assert documented.original == before == _original()
    assert "description" not in documented.original["paths"][PATH]["post"]["responses"]["200"]
