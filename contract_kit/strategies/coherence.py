"""The rules of :mod:`contract_kit.strategies.knowledge`, restated as a check of any request.

``chat_requests`` keeps these rules by construction; this check is how the
tests prove it, and how you can hold your own fixtures or another
generator's output to the same standard. Each problem is one readable line.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from contract_kit.strategies.images import IMAGE_EXTENSIONS
from contract_kit.strategies.knowledge import (
    ASSISTANT,
    FORMAT_SCHEMA_KEY,
    FUNCTION_SCHEMA_KEY,
    IMAGE_PART,
    STRICT_KEY,
    TOOL,
)

_IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def coherence_problems(request: Mapping[str, Any]) -> list[str]:
    """What a schema-valid request gets wrong by the knowledge module's rules; empty when coherent."""
    tools = request.get("tools") or []
    declared = [tool.get("function", {}).get("name") for tool in tools]
    problems = [f"tool name {name!r} is declared twice" for name in set(declared) if declared.count(name) > 1]
    problems += _tool_setting_problems(request, set(declared))
    problems += _conversation_problems(request.get("messages") or [], set(declared))
    problems += _schema_problems(request)
    if "stream_options" in request and request.get("stream") is not True:
        problems.append("stream_options without stream: true")
    return problems


def _tool_setting_problems(request: Mapping[str, Any], declared: set[str]) -> list[str]:
    problems = [
        f"{key} without tools"
        for key in ("tool_choice", "parallel_tool_calls")
        if key in request and not declared
    ]
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and choice.get("function", {}).get("name") not in declared:
        problems.append(f"tool_choice names an undeclared tool: {choice!r}")
    return problems


def _conversation_problems(messages: list[Any], declared: set[str]) -> list[str]:
    problems: list[str] = []
    open_calls: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == ASSISTANT and message.get("tool_calls"):
            open_calls = {call["id"] for call in message["tool_calls"]}
            problems += [
                f"messages[{index}] calls undeclared {call['function']['name']!r}"
                for call in message["tool_calls"]
                if call["function"]["name"] not in declared
            ]
        elif role == TOOL:
            if message.get("tool_call_id") not in open_calls:
                problems.append(
                    f"messages[{index}] answers {message.get('tool_call_id')!r}, which no call opened"
                )
            open_calls.discard(message.get("tool_call_id"))
        else:
            open_calls = set()
        problems += _image_problems(message, index)
    return problems


def _image_problems(message: Mapping[str, Any], index: int) -> list[str]:
    content = message.get("content")
    parts = content if isinstance(content, list) else []
    urls = [part["image_url"]["url"] for part in parts if part.get("type") == IMAGE_PART]
    return [
        f"messages[{index}] has an image URL that is no image: {url[:60]!r}"
        for url in urls
        if not _looks_like_image(url)
    ]


def _looks_like_image(url: str) -> bool:
    if url.startswith(("https://", "http://")):
        return url.split("?")[0].rsplit(".", 1)[-1] in IMAGE_EXTENSIONS
    head, _, payload = url.partition(",")
    mime = head.removeprefix("data:").removesuffix(";base64")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        return False
    return data.startswith(_IMAGE_MAGIC.get(mime, (b"\x00never",)))


def _schema_problems(request: Mapping[str, Any]) -> list[str]:
    """Carried JSON Schemas are valid, and strict ones follow the strict rules."""
    holders = [tool.get("function", {}) for tool in request.get("tools") or []]
    response_format = request.get("response_format") or {}
    if isinstance(response_format.get("json_schema"), dict):
        holders.append(
            {
                **response_format["json_schema"],
                FUNCTION_SCHEMA_KEY: response_format["json_schema"].get(FORMAT_SCHEMA_KEY),
            }
        )
    return [problem for holder in holders for problem in _carried_schema_problems(holder)]


def _carried_schema_problems(holder: Mapping[str, Any]) -> list[str]:

    schema = holder.get(FUNCTION_SCHEMA_KEY)
    if schema is None:
        return []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"{holder.get('name')!r} carries an invalid JSON Schema: {exc.message}"]
    if holder.get(STRICT_KEY) is True and not _is_strict(schema):
        return [f"{holder.get('name')!r} is strict but its schema leaves properties optional or open"]
    return []


def _is_strict(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") != "object":
        return True
    properties = schema.get("properties") or {}
    closed = schema.get("additionalProperties") is False and set(schema.get("required", ())) == set(
        properties
    )
    return closed and all(_is_strict(sub) for sub in properties.values())
