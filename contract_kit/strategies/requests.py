"""``chat_requests``: valid, coherent chat-completions requests, derived from the contract.

The shape of every field comes from the contract's request schema through
:class:`~contract_kit.strategies.compile.Compiler`; what ties fields together
comes from :mod:`contract_kit.strategies.knowledge`. The builder draws in
dependency order, so coherence holds by construction and nothing is filtered:

1. ``tools`` (unique names; ``parameters`` are JSON Schemas, strict ones strict);
2. the conversation (:mod:`~contract_kit.strategies.conversation`): an optional
   instruction, then user turns with assistant replies; an assistant's
   ``tool_calls`` name declared tools with arguments their parameters accept,
   and the ``tool`` messages that follow answer exactly those ids;
3. every other parameter the schema declares, each optional;
4. ``tool_choice`` (a declared name) and ``parallel_tool_calls`` only with
   tools; ``stream_options`` only with ``stream: true``.

Every strategy is compiled once per builder; an example only draws. Every
optional piece shrinks away, so a failing example shrinks toward
``{"model": <first model>, "messages": [{"role": "user", "content": <short text>}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contract_kit.strategies import knowledge as kb
from contract_kit.strategies import pools
from contract_kit.strategies.compile import Compiler, Override, child, records
from contract_kit.strategies.conversation import ConversationBuilder, Tool
from contract_kit.strategies.schema import Schema, SchemaView


@dataclass(frozen=True)
class RequestOptions:
    """What a caller pins down; ``None`` leaves the choice to Hypothesis."""

    stream: bool | None = None
    tools: bool | None = None
    images: bool | None = None
    parts: bool | None = None
    max_turns: int = 2


class RequestBuilder:
    """Strategies for one contract's requests, compiled once and reused for every example."""

    def __init__(self, request_schema: Mapping[str, Any] | bool, options: RequestOptions) -> None:
        self.view = SchemaView(request_schema)
        self.options = options
        self.props = self.view.properties(self.view.root)
        hooks: dict[str, Override] = {
            **kb.overrides(),
            "tools[].function": lambda schema: self._schema_holder(
                schema, "tools[].function", kb.FUNCTION_SCHEMA_KEY
            ),
            "response_format.json_schema": lambda schema: self._schema_holder(
                schema, "response_format.json_schema", kb.FORMAT_SCHEMA_KEY
            ),
        }
        self.compiler = Compiler(self.view, text=kb.texts(), overrides=hooks, formats=kb.formats(), pool=True)
        self.shapes = self.view.tagged_branches(
            self.view.items(self.props.get("messages") or {}) or {}, "role"
        )
        self._model = self.compiler.value(self.props["model"], "model") if "model" in self.props else None
        self._tools = self._tool_lists()
        self._params = self._free_parameters()
        self._streaming = self._stream_settings()
        self._tool_settings = self._tool_setting_values()
        self._conversation = ConversationBuilder(self)

    def requests(self) -> st.SearchStrategy[dict[str, Any]]:
        return st.composite(self._draw_request)()

    def _draw_request(self, draw: st.DrawFn) -> dict[str, Any]:
        tools: list[Tool] = draw(self._tools)
        body: dict[str, Any] = {}
        if self._model is not None:
            body["model"] = draw(self._model)
        body["messages"] = self._conversation.draw(draw, tools)
        body.update(draw(self._params))
        if tools:
            body["tools"] = tools
            names = [tool["function"]["name"] for tool in tools]
            settings = draw(self._tool_settings)
            body.update(kb.name_declared_tools(settings, lambda: draw(st.sampled_from(names))))
        body.update(draw(self._streaming))
        return body

    def _free_parameters(self) -> st.SearchStrategy[dict[str, Any]]:
        """Every declared parameter the builder does not couple to another, each optional."""
        self._free_values = {
            name: self.compiler.value(schema, name)
            for name, schema in self.props.items()
            if name not in kb.COUPLED_FIELDS
        }
        return self.compiler.pooled(records({}, self._free_values, most=kb.MAX_FREE_PARAMETERS))

    def _stream_settings(self) -> st.SearchStrategy[dict[str, Any]]:
        if "stream" not in self.props:
            return st.just({})
        optional = {}
        if "stream_options" in self.props:
            optional["stream_options"] = self.compiler.value(self.props["stream_options"], "stream_options")
        streaming = self.compiler.pooled(records({"stream": pools.constant(True)}, optional))
        not_streaming = pools.choice([{}, {"stream": False}])
        if self.options.stream is None:
            return self.compiler.pooled(pools.one_of([not_streaming, streaming]))
        return streaming if self.options.stream else not_streaming

    def _tool_lists(self) -> st.SearchStrategy[list[Tool]]:
        schema = self.props.get("tools")
        items = self.view.items(schema) if schema is not None else None
        if items is None or self.options.tools is False:
            return st.just([])
        tool = self.compiler.value(items, "tools[]")
        names = kb.distinct_names(kb.MAX_TOOLS)

        def draw_tools(draw: st.DrawFn) -> list[Tool]:
            return [_named(draw(tool), name) for name in draw(names)]

        samples = pools.samples_of(tool)
        tools = self.compiler.pooled(
            pools.remember(
                st.composite(draw_tools)(),
                None if samples is None else [[_named(sample, kb.NAMES[0])] for sample in samples],
            )
        )
        return (
            tools if self.options.tools else self.compiler.pooled(pools.one_of([pools.constant([]), tools]))
        )

    def _tool_setting_values(self) -> st.SearchStrategy[dict[str, Any]]:
        """``tool_choice`` (names left as :data:`~knowledge.DECLARED_TOOL`) and ``parallel_tool_calls``."""
        optional: dict[str, st.SearchStrategy[Any]] = {
            name: self.compiler.value(self.props[name], name)
            for name in ("tool_choice", "parallel_tool_calls")
            if name in self.props
        }
        return self.compiler.pooled(records({}, optional))

    def _schema_holder(
        self, schema: Schema, location: str, schema_key: str
    ) -> st.SearchStrategy[dict[str, Any]]:
        """An object carrying a JSON Schema under ``schema_key``, strict exactly when its ``strict`` is true."""
        strict_schema = self.view.prop(schema, kb.STRICT_KEY)
        slot = "fixed" if schema_key in self.view.required(schema) else "optional"

        def holder(strict: bool) -> st.SearchStrategy[dict[str, Any]]:
            carried = {schema_key: kb.json_schemas(strict=strict)}
            return self.compiler.object(schema, location, omit={kb.STRICT_KEY}, **{slot: carried})

        if strict_schema is None:
            return holder(False)
        holders = {True: holder(True), False: holder(False)}
        strict_values = self.compiler.value(strict_schema, child(location, kb.STRICT_KEY))

        def draw_with_strict(draw: st.DrawFn) -> dict[str, Any]:
            strict = draw(strict_values)
            return {**draw(holders[strict is True]), kb.STRICT_KEY: strict}

        with_strict = pools.remember(
            st.composite(draw_with_strict)(), self._strict_samples(holders, strict_values)
        )
        return self.compiler.pooled(pools.one_of([holders[False], with_strict]))

    @staticmethod
    def _strict_samples(
        holders: Mapping[bool, st.SearchStrategy[dict[str, Any]]], strict_values: st.SearchStrategy[Any]
    ) -> list[dict[str, Any]] | None:
        """Each ``strict`` value on the fullest holder of its kind (the open holders' own samples come first)."""
        strict_samples = pools.samples_of(strict_values)
        strict_held, open_held = pools.samples_of(holders[True]), pools.samples_of(holders[False])
        if strict_samples is None or strict_held is None or open_held is None:
            return None
        return [
            {**(strict_held if strict is True else open_held)[-1], kb.STRICT_KEY: strict}
            for strict in strict_samples
        ]


def _named(tool: Tool, name: str) -> Tool:
    """``tool`` with its function renamed: the request's names come as one distinct set."""
    return {**tool, "function": {**tool.get("function", {}), "name": name}}
