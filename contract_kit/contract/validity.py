"""Is the document valid OpenAPI where the kit uses it? Findings at document-absolute JSON pointers.

The verdict comes from openapi-spec-validator (the openapi-core family) on the
*scope* of the chat-completions operation (``scope.scoped_document``): a defect
there is an error and stops ``load_contract``; a defect elsewhere in the
document (fine-tuning, evals...) is a warning that only ``lint`` reports.

openapi-spec-validator reports its Schema Object checks without a location
(and lists ``required`` names in set order, which changes with
``PYTHONHASHSEED``). So Schema Objects are checked here, each at its own
pointer: the dialect's meta-schema, ``required`` names that no ``allOf``
branch defines, and ``default`` values the schema rejects (a warning: JSON
Schema lets a default disagree, and nothing the kit does depends on it).
Every finding is sorted, so the same document gives the same list every run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_schema_validator.validators import OPENAPI_SPECIFICATIONS  # type: ignore[attr-defined]
from openapi_spec_validator.schemas import schema_v30, schema_v31
from openapi_spec_validator.validation import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import ExtraParametersError
from openapi_spec_validator.versions.shortcuts import get_spec_version
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract_kit._json import pointer, resolve_pointer
from contract_kit.contract.document import EffectiveDocument, operation_path
from contract_kit.contract.scope import scoped_document
from contract_kit.errors import OperationNotFoundError, SpecError

__all__ = ["SpecProblem", "ensure_valid", "ref_loops", "validity_problems"]

OAS_TOP_LEVEL = frozenset(
    {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"}
)  # fmt: skip
SCHEMA_CHILD_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SCHEMA_CHILD_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_CHILDREN = (
    "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "additionalItems",
)  # fmt: skip


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One reason the document is not valid OpenAPI, at a document-absolute JSON pointer (``#/...``)."""

    path: str
    message: str
    severity: str = "error"  # error: in the operation's scope and structural; warning: elsewhere or harmless


def validity_problems(document: dict[str, Any], *, whole: bool = True) -> list[SpecProblem]:
    """The operation's problems (errors), then, when ``whole``, the rest of the document's (warnings)."""
    minor = _minor(document)
    if minor is None:
        return [
            SpecProblem(
                "#/openapi", "not an OpenAPI 3.x document: the 'openapi' version field is missing or unknown"
            )
        ]
    loops = ref_loops(document)
    if loops:  # the validator would follow them until Python's recursion limit
        return loops
    try:
        scoped = scoped_document(document, operation_path(document))
    except OperationNotFoundError:
        scoped = document
    found = {(p.path, p.message): p for p in _problems(scoped, minor)}
    if whole and scoped is not document:
        for problem in _problems(document, minor):
            found.setdefault(
                (problem.path, problem.message), SpecProblem(problem.path, problem.message, "warning")
            )
    return sorted(found.values(), key=lambda p: (p.severity != "error", p.path, p.message))


def ensure_valid(effective: EffectiveDocument) -> None:
    """Refuse to build a contract on a document whose operation scope is invalid, naming each problem."""
    problems = [p for p in validity_problems(effective.document, whole=False) if p.severity == "error"]
    if problems:
        listing = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
        raise SpecError(
            f"the {effective.profile!r} document is not valid OpenAPI where the chat-completions operation "
            f"reaches ({listing}); add an overlay action that repairs it (see `contract-kit lint`)",
            source=str(effective.files.document),
        )


def ref_loops(document: Any) -> list[SpecProblem]:
    """Every ``$ref`` that only leads to other ``$ref``s and back to itself, with its place.

    A schema that refers to itself *inside* a property is fine (recursion);
    ``A: {$ref: B}``, ``B: {$ref: A}`` names nothing at all.
    """
    problems: list[SpecProblem] = []
    reported: set[str] = set()
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                chain = _ref_chain(document, ref)
                if chain is not None and chain[-1] not in reported:
                    reported.update(chain)
                    problems.append(
                        SpecProblem(
                            "#" + pointer(where),
                            f"a $ref loop: {' -> '.join(chain)}; make one of them a schema",
                        )
                    )
            stack.extend((value, [*where, str(key)]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*where, index]) for index, value in enumerate(node))
    return problems


def _ref_chain(document: Any, ref: str, limit: int = 64) -> list[str] | None:
    """The chain of references from ``ref`` when it loops, else ``None``."""
    chain = [ref]
    while len(chain) <= limit:
        try:
            target = resolve_pointer(document, chain[-1])
        except SpecError:
            return None
        nxt = target.get("$ref") if isinstance(target, dict) else None
        if not isinstance(nxt, str) or not nxt.startswith("#"):
            return None
        if nxt in chain:
            return [*chain[chain.index(nxt) :], nxt]
        chain.append(nxt)
    return None


def _minor(document: dict[str, Any]) -> str | None:

    try:
        version = get_spec_version(document)
    except Exception:  # the library raises its own family for every unknown shape
        return None
    return str(getattr(version, "minor", "0"))


def _problems(document: dict[str, Any], minor: str) -> list[SpecProblem]:
    located = list(_schema_problems(document, minor))
    leaves = {p.path: p for p in _meta_schema_problems(document, minor)}
    try:
        for error in _validator_class(minor)(document).iter_errors():
            parts = list(error.absolute_path)
            if _is_schema_check(error, parts):
                continue  # a Schema Object check, relative to its schema: located by _schema_problems
            path = "#" + pointer(_as_document_keys(document, parts))
            located.append(leaves.get(path) or SpecProblem(path, _clip(str(error.message))))
    except Exception as exc:  # the library raises (not reports) a $ref that points to nothing
        located.append(SpecProblem("#", _clip(f"the validator stopped: {exc}")))
    return located


def _is_schema_check(error: Any, parts: list[Any]) -> bool:
    """The library's Schema Object checks carry a path relative to the schema, or none."""

    if parts:
        return str(parts[0]) not in OAS_TOP_LEVEL and not str(parts[0]).startswith("x-")
    return isinstance(error, ExtraParametersError) or bool(list(error.schema_path))


# -- Schema Objects, each at its own pointer -------------------------------------------------------
def _schema_roots(document: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every Schema Object that is not inside another one: components and ``schema`` fields."""
    for name, schema in sorted(((document.get("components") or {}).get("schemas") or {}).items()):
        yield ("components", "schemas", name), schema
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        at, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if at == ("components",) and key == "schemas":
                    continue
                if key == "schema" and isinstance(value, (dict, bool)):
                    yield (*at, key), value
                elif key not in ("example", "examples"):
                    stack.append(((*at, key), value))
        elif isinstance(node, list):
            stack.extend(((*at, i), item) for i, item in enumerate(node))


def _schema_problems(document: dict[str, Any], minor: str) -> Iterator[SpecProblem]:
    meta = _meta_validator(minor)
    for at, schema in _schema_roots(document):
        for error in meta.iter_errors(schema):
            yield SpecProblem("#" + pointer([*at, *error.absolute_path]), _clip(str(error.message)))
        for sub_at, sub in _subschemas(at, schema):
            yield from _node_problems(document, sub_at, sub, minor)


def _subschemas(at: tuple[str | int, ...], schema: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    stack = [(at, schema)]
    while stack:
        where, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield where, node
        for key in SCHEMA_CHILD_MAPS:
            if isinstance(node.get(key), dict):
                stack.extend(((*where, key, name), sub) for name, sub in node[key].items())
        for key in SCHEMA_CHILD_LISTS:
            if isinstance(node.get(key), list):
                stack.extend(((*where, key, i), sub) for i, sub in enumerate(node[key]))
        stack.extend(((*where, key), node[key]) for key in SCHEMA_CHILDREN if key in node)


def _node_problems(
    document: dict[str, Any], at: tuple[str | int, ...], node: dict[str, Any], minor: str
) -> Iterator[SpecProblem]:
    undefined = _required_not_defined(document, node)
    if undefined:
        yield SpecProblem(
            "#" + pointer([*at, "required"]),
            f"required names no property that the schema or its allOf defines: {undefined}",
        )
    if "default" in node and not (node["default"] is None and node.get("nullable") is True):
        message = _default_problem(document, node, minor)
        if message:
            yield SpecProblem(
                "#" + pointer([*at, "default"]),
                f"the default does not match the schema: {message}",
                "warning",
            )


def _required_not_defined(document: dict[str, Any], node: dict[str, Any]) -> list[str]:
    """openapi-spec-validator's rule, in a stable order: only where ``allOf`` is present."""
    required = node.get("required")
    if "allOf" not in node or not isinstance(required, list):
        return []
    defined = set(_property_names(document, node, 0))
    return sorted({str(name) for name in required} - defined)


def _property_names(document: dict[str, Any], node: Any, depth: int) -> Iterator[str]:
    if depth > 32 or not isinstance(node, dict):
        return
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        with contextlib.suppress(SpecError):
            yield from _property_names(document, resolve_pointer(document, node["$ref"]), depth + 1)
    yield from (node.get("properties") or {})
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key) or []:
            yield from _property_names(document, branch, depth + 1)
    for key in ("items", "not"):
        yield from _property_names(document, node.get(key), depth + 1)


def _default_problem(document: dict[str, Any], node: dict[str, Any], minor: str) -> str | None:

    registry: Registry[Any] = Registry().with_resource(
        "", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    validator = _schema_validator_class(minor)(node, registry=registry)
    try:
        error = best_match(validator.iter_errors(node["default"]))
    except Exception:  # an unresolvable ref inside: the ref check reports it, not this one
        return None
    return None if error is None else _clip(str(error.message))


def _schema_validator_class(minor: str) -> Any:

    return OAS31Validator if minor == "1" else OAS30Validator


def _meta_validator(minor: str) -> Any:

    cls = _schema_validator_class(minor)
    meta = validator_for(cls.META_SCHEMA, default=cls)  # as the library's ``check_schema`` builds it
    return meta(cls.META_SCHEMA, registry=OPENAPI_SPECIFICATIONS)


# -- whole-document structure (openapi-spec-validator's own paths) ---------------------------------
def _meta_schema_problems(document: dict[str, Any], minor: str) -> list[SpecProblem]:
    """The OAS meta-schema's errors, each compressed to the ``oneOf`` branch that was meant."""

    schema = dict(schema_v31 if minor == "1" else schema_v30)
    validator = (Draft202012Validator if minor == "1" else Draft4Validator)(schema)
    problems = []
    for error in validator.iter_errors(document):
        leaf = _intended_leaf(error)
        path = "#" + pointer(_as_document_keys(document, list(error.absolute_path)))
        problems.append(SpecProblem(path, _clip(str(leaf.message))))
    return problems


def _intended_leaf(error: Any) -> Any:
    while error.context and error.validator in ("oneOf", "anyOf"):
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [errs for errs in branches.values() if not _only_missing_ref(errs)]
        if len(meant) != 1:
            return error
        error = meant[0][0]
    return error


def _only_missing_ref(errors: list[Any]) -> bool:
    return all(e.validator == "required" and "'$ref'" in str(e.message) for e in errors)


def _as_document_keys(document: Any, parts: list[Any]) -> list[str | int]:
    """Keep keys as keys (the validator turns the key '200' into the int 200)."""
    rendered: list[str | int] = []
    node = document
    for part in parts:
        if isinstance(node, list) and isinstance(part, int):
            rendered.append(part)
            node = node[part] if part < len(node) else None
        else:
            rendered.append(str(part))
            node = node.get(str(part)) if isinstance(node, dict) else None
    return rendered


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _validator_class(minor: str) -> Any:

    return OpenAPIV31SpecValidator if minor == "1" else OpenAPIV30SpecValidator
