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
  http(s) URLs of such files;
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

import base64
import copy
import json
import struct
import zlib
from collections.abc import Mapping
from functools import cache
from itertools import permutations
from typing import Any

from hypothesis import strategies as st

from contract_kit.strategies import pools
from contract_kit.strategies.compile import Override
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


# --- images --------------------------------------------------------------------------------------

# Made once with Pillow and checked to decode in tests/strategies/test_strategies.py.
# JPEG and WEBP need real encoders, so they are constants; PNG and GIF are built
# per example below, with the drawn size and colour.
JPEG_IMAGES = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8yb"
    "qmx5moq6T/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z",
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDACgcHiMeGSgjISMtKygwPGRBPDc3PHtYXUlkkYCZlo+AjIqgtObDoKrarYqMyP/L2u71////m8H//"
    "//6/+b9//j/2wBDASstLTw1PHZBQXb4pYyl+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj/wAARCAAB"
    "AAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAgT/xAAU"
    "EQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCYAF7/2Q==",
)
WEBP_IMAGES = (
    "UklGRhwAAABXRUJQVlA4TBAAAAAvAAAAAAdQwOh//wMR0f8A",
    "UklGRjQAAABXRUJQVlA4ICgAAABwAQCdASoCAAIAB0CWJaACdAFAAAD+5zD/+Fa/la/lavG4ElaswgAA",
    "UklGRh4AAABXRUJQVlA4TBEAAAAvAAAAEAdQ5CqUp4CBiOh/AAA=",
)
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
IMAGE_HOSTS = ("example.com", "images.example.org", "cdn.example.net")
_PNG_CHANNELS = {0: 1, 2: 3, 6: 4}  # grey, RGB, RGBA at 8 bits
PALETTE = ((0, 0, 0, 255), (255, 255, 255, 0), (200, 30, 60, 128), (0, 128, 255, 255), (250, 200, 0, 64))


def png_bytes(width: int, height: int, color_type: int, color: tuple[int, ...]) -> bytes:
    """A valid PNG of one colour, built with zlib: signature, IHDR, IDAT, IEND."""
    channels = _PNG_CHANNELS[color_type]
    pixel = bytes(color[:channels]) if channels > 1 else bytes(color[:1])
    rows = b"".join(b"\x00" + pixel * width for _ in range(height))  # filter 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gif_bytes(color: tuple[int, ...]) -> bytes:
    """A valid 1x1 GIF89a whose one pixel has ``color``.

    The image data is the LZW code stream clear(4), 0, end(5) at 3 bits per
    code, packed least significant bit first: ``0x44 0x01``.
    """
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)  # global table of 2 colours
    palette = bytes(color) + b"\x00\x00\x00"
    image = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    return screen + palette + image + b"\x02\x02\x44\x01\x00;"


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@cache
def image_data_uris() -> st.SearchStrategy[str]:
    """``data:`` URIs of small, decodable PNG, JPEG, GIF and WEBP images."""
    colors = st.sampled_from(PALETTE)
    pngs = st.builds(
        png_bytes, st.integers(1, 4), st.integers(1, 4), st.sampled_from(sorted(_PNG_CHANNELS)), colors
    )
    gifs = st.builds(gif_bytes, colors.map(lambda color: color[:3]))
    strategy = st.one_of(
        pngs.map(lambda data: data_uri("image/png", data)),
        st.sampled_from(JPEG_IMAGES).map(lambda b64: f"data:image/jpeg;base64,{b64}"),
        gifs.map(lambda data: data_uri("image/gif", data)),
        st.sampled_from(WEBP_IMAGES).map(lambda b64: f"data:image/webp;base64,{b64}"),
    )
    return pools.remember(strategy, _image_data_samples())


def _image_data_samples() -> tuple[str, ...]:
    """One image of each format, and PNGs of each colour type: what a precompiled part carries."""
    pngs = [
        png_bytes(1 + kind % 3, 1 + kind % 2, kind, PALETTE[kind % len(PALETTE)]) for kind in _PNG_CHANNELS
    ]
    return (
        *(data_uri("image/png", data) for data in pngs),
        f"data:image/jpeg;base64,{JPEG_IMAGES[0]}",
        data_uri("image/gif", gif_bytes(PALETTE[2][:3])),
        f"data:image/webp;base64,{WEBP_IMAGES[0]}",
    )


@cache
def image_links() -> st.SearchStrategy[str]:
    """http(s) URLs of image files on reserved example domains (nothing is ever fetched)."""
    path = st.sampled_from(("cat", "charts/q3", "photos/2024/paris", "a/b/c/d", "img_01"))
    query = st.sampled_from(("", "?v=2", "?size=small&format=raw"))
    strategy = st.builds(
        "{}://{}/{}.{}{}".format,
        st.sampled_from(("https", "http")),
        st.sampled_from(IMAGE_HOSTS),
        path,
        st.sampled_from(IMAGE_EXTENSIONS),
        query,
    )
    return pools.remember(
        strategy, (f"https://{IMAGE_HOSTS[0]}/cat.png", f"http://{IMAGE_HOSTS[1]}/charts/q3.webp?v=2")
    )


@cache
def image_urls() -> st.SearchStrategy[str]:
    """An image, most often one made in advance (a PNG or GIF built per example costs half a dozen choices)."""
    return pools.pooled(pools.one_of([image_data_uris(), image_links()]))


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
    return {"uri": image_links(), "url": image_links()}
