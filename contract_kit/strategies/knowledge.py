"""What the kit knows about chat requests that the schema cannot say.

The schema says ``image_url.url`` is a string; a server needs a decodable
image. It says ``tool_choice`` may name a function; a server needs one that
was declared. Every such assumption the generator adds on top of the contract
lives in this module, with its source, so a reviewer sees them all in one
place and everything else stays derived from the loaded contract:

- roles play parts: instructions (``system``/``developer``) come first, users
  and assistants take turns, a ``tool`` message answers an id the assistant
  called just before (OpenAI chat-completions conventions);
- image parts carry real images: ``data:`` URIs of decodable PNG, JPEG, GIF
  and WEBP (the formats the vendor's ``detail`` description lists) or
  http(s) URLs of such files (made in :mod:`~contract_kit.strategies.images`);
- function, participant and response-format names match
  ``^[a-zA-Z0-9_-]{1,64}$`` (the vendor's ``name`` descriptions);
- function ``parameters`` and ``json_schema.schema`` are JSON Schemas, and a
  ``strict`` one requires every property and allows no others (OpenAI
  structured outputs);
- ``stop`` holds up to 4 non-empty sequences (the vendor's description);
- ``tool_choice`` and ``parallel_tool_calls`` go with ``tools``,
  ``stream_options`` with ``stream: true`` (OpenAI rejects them otherwise).
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Mapping
from functools import cache
from itertools import permutations
from typing import Any

from hypothesis import strategies as st

from contract_kit.strategies import pools
from contract_kit.strategies.compile import Override
from contract_kit.strategies.images import image_links, image_urls
from contract_kit.strategies.schema import Schema, types_of

# --- roles, parts, request fields ---------------------------------------------------------------

INSTRUCTION_ROLES = ("system", "developer")
USER, ASSISTANT, TOOL = "user", "assistant", "tool"
TEXT_PART, IMAGE_PART, REFUSAL_PART = "text", "image_url", "refusal"
MAX_STOP_SEQUENCES = 4
MAX_TOOLS = 2
MAX_FREE_PARAMETERS = 12  # optional request parameters per example: breadth without slow generation

# Request fields whose values depend on other fields; the request builder sets
# them together instead of drawing each on its own.
COUPLED_FIELDS = (
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "stream",
    "stream_options",
)
STRICT_KEY = "strict"
FUNCTION_SCHEMA_KEY = "parameters"
FORMAT_SCHEMA_KEY = "schema"

# --- text and names ------------------------------------------------------------------------------

# Multi-byte characters on purpose: a stream split mid-character must still decode.
PHRASES = (
    "Hi! What do you think about mankind?",
    "Describe this image.",
    "What is the weather in Paris today?",
    "Résumé, naïve café: Straße.",
    "東京の天気",
    "数据分析 step-by-step",
    "Привет! Как дела?",
    "🙂🚀 emoji test",
    "Return the table as JSON.",
    "Line one\nline two",
    'Tabs\tand "quotes"',
    "½ + ¼ = ¾",
    "Καλημέρα κόσμε",
    "שלום עולם",
    "Summarize the chart in one sentence.",
    "ok",
)
LETTERS = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?-'\"\n éüßçñ 中文字 ж π 😀"
NAME_PARTS = (
    "get",
    "search",
    "weather",
    "lookup",
    "user",
    "order",
    "status",
    "convert",
    "units",
    "fetch",
    "docs",
)
NAMES = (
    *NAME_PARTS,
    *(f"{verb}_{noun}" for verb in NAME_PARTS[:4] for noun in NAME_PARTS[4:]),
    "get-v2",
    "A_1",
    "x" * 64,
)


@cache
def texts() -> st.SearchStrategy[str]:
    """Readable multilingual text, and now and then arbitrary Unicode; never empty."""
    strategy = st.one_of(
        st.sampled_from(PHRASES),
        st.text(LETTERS, min_size=1, max_size=40),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=24),
    )
    return pools.remember(strategy, TEXT_SAMPLES)


TEXT_SAMPLES = ("ok", PHRASES[0], PHRASES[4], PHRASES[7])
"""The texts a precompiled object carries: short, long, multi-byte, emoji."""


@cache
def names() -> st.SearchStrategy[str]:
    """Identifiers like ``get_weather2``: ``^[a-zA-Z0-9_-]{1,64}$`` (one choice per name: generation stays fast)."""
    return pools.remember(st.sampled_from(NAMES), NAMES[:2])


@cache
def distinct_names(most: int) -> st.SearchStrategy[tuple[str, ...]]:
    """One to ``most`` different names for a request's tools, drawn in one choice per count.

    Unique by construction: drawing names one by one and rejecting repeats
    would make Hypothesis filter, which is slow and noisy.
    """
    groups = [
        st.sampled_from(list(permutations(NAMES if count == 1 else NAMES[:12], count)))
        for count in range(1, most + 1)
    ]
    return st.one_of(groups)


@cache
def call_ids() -> st.SearchStrategy[str]:
    """The suffix of a tool-call id; the builder prefixes ``call_<n>_`` so ids never collide."""
    return st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=24)


def stop_values(schema: Schema) -> st.SearchStrategy[Any] | None:
    """``stop``: one non-empty sequence, or a list of at most four."""
    if types_of(schema) == ("string",):
        return texts()
    if types_of(schema) == ("array",):
        return pools.lists(texts(), 1, MAX_STOP_SEQUENCES)
    return None


# --- images: in :mod:`contract_kit.strategies.images` ------------------------------------------------

# --- JSON Schemas: function parameters and response formats -------------------------------------


@cache
def json_schemas(*, strict: bool, depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    """Object JSON Schemas of the kind tools and structured outputs use, one choice each.

    ``strict`` follows OpenAI's structured-output rules: every property is
    required and no other is allowed, at every level. ``depth`` 2 includes
    objects nested in objects. The pool is made once (:func:`schema_pool`): a
    schema drawn part by part would cost a dozen choices and find nothing new.
    The smallest one is ``{"type": "object", "properties": {}}``.
    """
    # A copy: the pool is shared, and a test may edit what it was given.
    pool = schema_pool(strict, depth)
    return pools.remember(st.sampled_from(pool).map(copy.deepcopy), (pool[0], pool[3], pool[-1]))


@cache
def schema_pool(strict: bool, depth: int) -> tuple[dict[str, Any], ...]:
    """Every property-name set with the property schemas in turn, open and closed, flat then nested."""
    pool = [
        _object_schema(
            {
                name: PROPERTY_SCHEMAS[(shift + place) % len(PROPERTY_SCHEMAS)]
                for place, name in enumerate(names)
            },
            require_first=shift % 2 == 0,
            closed=shift % 3 == 0,
            strict=strict,
        )
        for names in PROPERTY_NAMES
        for shift in range(len(PROPERTY_SCHEMAS) if names else 1)
    ]
    if depth > 1:
        inner = schema_pool(strict, depth - 1)
        pool += [
            _object_schema(
                {names[0]: inner[index], **dict.fromkeys(names[1:], PROPERTY_SCHEMAS[0])},
                require_first=index % 2 == 0,
                closed=index % 3 == 0,
                strict=strict,
            )
            for index, names in enumerate(name for name in PROPERTY_NAMES if name)
        ]
        pool += [
            _object_schema({"location": inner[index]}, require_first=True, closed=False, strict=strict)
            for index in range(3, len(inner), 7)
        ]
    return tuple(pool)


PROPERTY_NAMES = (
    (),
    ("city",),
    ("city", "unit"),
    ("query", "limit", "verbose"),
    ("date", "tags"),
    ("location",),
)
# Ready-made property schemas, one choice each: drawing their parts would cost
# generation speed and find nothing new.
PROPERTY_SCHEMAS: tuple[dict[str, Any], ...] = (
    {"type": "string"},
    {"type": "string", "enum": ["celsius", "fahrenheit"]},
    {"type": "string", "description": "City and country, e.g. Paris, France"},
    {"type": "integer", "minimum": 1, "maximum": 10},
    {"type": "integer"},
    {"type": "number", "minimum": -90, "maximum": 90},
    {"type": "boolean"},
    {"type": "array", "items": {"type": "string"}},
    {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 3},
    {"type": "string", "format": "date"},
)


def _object_schema(
    properties: dict[str, Any], require_first: bool, closed: bool, strict: bool
) -> dict[str, Any]:
    # A copy: the ready-made property schemas are shared, and a test may edit what it was given.
    schema: dict[str, Any] = {"type": "object", "properties": copy.deepcopy(properties)}
    if strict:
        schema["required"] = list(properties)
        schema["additionalProperties"] = False
        return schema
    if require_first and properties:
        schema["required"] = [next(iter(properties))]
    if closed:
        schema["additionalProperties"] = False
    return schema


def draw_instance(draw: st.DrawFn, schema: Mapping[str, Any]) -> Any:
    """A value the schema accepts, for the JSON Schemas :func:`json_schemas` makes.

    Drawn field by field rather than through a compiled strategy: the schema
    is new in every example, and building strategies per example is what
    would make generation slow.
    """
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    kind = schema.get("type", "object")
    if kind == "object":
        required = set(schema.get("required", ()))
        return {
            name: draw_instance(draw, sub)
            for name, sub in (schema.get("properties") or {}).items()
            if name in required or draw(st.booleans())
        }
    if kind == "array":
        return [draw_instance(draw, schema.get("items") or {}) for _ in range(draw(st.integers(0, 2)))]
    if kind == "integer":
        return draw(st.integers(schema.get("minimum", -1000), schema.get("maximum", 1000)))
    if kind == "number":
        return draw(st.floats(-1e6, 1e6, allow_nan=False))
    if kind == "boolean":
        return draw(st.booleans())
    return draw(texts())


def arguments(draw: st.DrawFn, parameters: Mapping[str, Any]) -> str:
    """Tool-call ``arguments``: JSON text of a value the function's own ``parameters`` accept.

    One choice most of the time: the smallest or the fullest value, made
    without drawing; otherwise one drawn field by field.
    """
    chosen = draw(_ARGUMENT_CHOICES)
    value = draw_instance(draw, parameters) if chosen > 1 else _made_instance(parameters, full=chosen == 1)
    return json.dumps(value, ensure_ascii=False)


_ARGUMENT_CHOICES = st.integers(0, 2)


def _made_instance(schema: Mapping[str, Any], *, full: bool) -> Any:
    """The smallest value (required properties, lower bounds) or the fullest one :func:`draw_instance` could draw."""
    if "enum" in schema:
        return schema["enum"][-1 if full else 0]
    kind = schema.get("type", "object")
    if kind == "object":
        required = set(schema.get("required", ()))
        properties = schema.get("properties") or {}
        return {
            name: _made_instance(sub, full=full)
            for name, sub in properties.items()
            if full or name in required
        }
    if kind == "array":
        return [_made_instance(schema.get("items") or {}, full=full)] if full else []
    if kind in ("integer", "number"):
        return schema.get("maximum", 1000) if full else schema.get("minimum", -1000)
    if kind == "boolean":
        return full
    return TEXT_SAMPLES[-1 if full else 0]


# --- references a schema cannot express -------------------------------------------------------------


class DeclaredTool:
    """Stands for "the name of one of the request's tools" until the tools are drawn."""

    def __repr__(self) -> str:
        return "<a declared tool name>"


DECLARED_TOOL = DeclaredTool()


def name_declared_tools(value: Any, choose: Any) -> Any:
    """``value`` with every :data:`DECLARED_TOOL` replaced by ``choose()``, one of the declared names."""
    if value is DECLARED_TOOL:
        return choose()
    if isinstance(value, dict):
        return {key: name_declared_tools(sub, choose) for key, sub in value.items()}
    if isinstance(value, list):
        return [name_declared_tools(sub, choose) for sub in value]
    return value


# --- the compiler's hooks --------------------------------------------------------------------------


def _always(strategy: st.SearchStrategy[Any]) -> Override:
    return lambda schema: strategy


def overrides() -> dict[str, Override]:
    """Locations whose values the kit knows better than their schema does."""
    return {
        "messages[].content[].image_url.url": _always(image_urls()),
        "messages[].name": _always(names()),
        "tools[].function.name": _always(names()),  # then made distinct per request (distinct_names)
        "tool_choice.function.name": _always(pools.constant(DECLARED_TOOL)),
        "response_format.json_schema.name": _always(names()),
        "stop": stop_values,
    }


def formats() -> dict[str, st.SearchStrategy[str]]:
    """A builder for each ``format`` the validator asserts on requests and the compiler builds.

    Any other asserted format is not built: :mod:`.fallback` filters by the validator and says so.
    """
    utc = st.just(datetime.timezone.utc)
    return {
        "uri": image_links(),
        "url": image_links(),
        "uuid": st.uuids().map(str),
        "date-time": st.datetimes(timezones=utc).map(lambda moment: moment.isoformat()),
        "date": st.dates().map(lambda day: day.isoformat()),
        "time": st.times(timezones=utc).map(lambda clock: clock.isoformat()),
        "email": st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8})?", fullmatch=True).map(
            lambda name: f"{name}@example.com"
        ),
        "ipv4": st.ip_addresses(v=4).map(str),
        "ipv6": st.ip_addresses(v=6).map(str),
        "hostname": st.sampled_from(("example.com", "api.example.org", "localhost")),
    }
