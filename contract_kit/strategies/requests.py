"""``chat_requests``: valid, coherent chat-completions requests, derived from the contract.

The shape of every field comes from the contract's request schema through
:class:`~contract_kit.strategies.compile.Compiler`; what ties fields together
comes from :mod:`contract_kit.strategies.knowledge`. The builder draws in
dependency order, so coherence holds by construction and nothing is filtered:

1. ``tools`` (unique names; ``parameters`` are JSON Schemas, strict ones strict);
2. the conversation: an optional instruction, then user turns with assistant
   replies; an assistant's ``tool_calls`` name declared tools with arguments
   their parameters accept, and the ``tool`` messages that follow answer
   exactly those ids;
3. every other parameter the schema declares, each optional;
4. ``tool_choice`` (a declared name) and ``parallel_tool_calls`` only with
   tools; ``stream_options`` only with ``stream: true``.

Every strategy is compiled once per builder; an example only draws. Every
optional piece shrinks away, so a failing example shrinks toward
``{"model": <first model>, "messages": [{"role": "user", "content": <short text>}]}``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contract_kit.strategies import knowledge as kb
from contract_kit.strategies import pools
from contract_kit.strategies.compile import Compiler, Override, child, records
from contract_kit.strategies.schema import Schema, SchemaView, types_of

Tool = dict[str, Any]
_CALLED = kb.DeclaredTool()
"""Stands for the name of the function a ``tool`` message answers, until the call is drawn."""
Message = dict[str, Any]
_CALLS = "messages[].tool_calls[]"


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
        free = {
            name: self.compiler.value(schema, name)
            for name, schema in self.props.items()
            if name not in kb.COUPLED_FIELDS
        }
        return self.compiler.pooled(records({}, free, most=kb.MAX_FREE_PARAMETERS))

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


class ConversationBuilder:
    """Messages in an order a real client sends, each shaped by its role's branch of the schema."""

    def __init__(self, request: RequestBuilder) -> None:
        self.request = request
        self.view = request.view
        self.compiler = request.compiler
        self.shapes = request.shapes
        options = request.options
        self.max_turns = max(1, options.max_turns)
        roles = [role for role in kb.INSTRUCTION_ROLES if role in self.shapes]
        self.instruction = (
            self.compiler.pooled(pools.one_of([self._plain_message(role) for role in roles]))
            if roles
            else None
        )
        # Whether an instruction opens, and how many user turns follow: one choice, smallest first.
        self.openings = st.sampled_from(
            [(opens, turns) for turns in range(1, self.max_turns + 1) for opens in (False, True)][
                :: 1 if roles else 2
            ]
        )
        self.call_plans = {count: _call_plans(count) for count in range(1, kb.MAX_TOOLS + 1)}
        self.users = {final: self._user_message(final) for final in (False, True)}
        self.can_call = kb.ASSISTANT in self.shapes and kb.TOOL in self.shapes
        if kb.ASSISTANT in self.shapes:
            self.reply = self._assistant_reply()
        if self.can_call:
            self._prepare_tool_exchange()

    def draw(self, draw: st.DrawFn, tools: Sequence[Tool]) -> list[Message]:
        messages: list[Message] = []
        opens, turns = draw(self.openings)
        if opens and self.instruction is not None:
            messages.append(draw(self.instruction))
        for turn in range(turns):
            final = turn == turns - 1
            messages.append(draw(self.users[final]))
            plan = draw(self._plans(len(tools))) if tools and self.can_call else ()
            if plan:
                messages.extend(
                    self._draw_tool_exchange(draw, [tools[index] for index in plan], len(messages))
                )
                if final:
                    break
            if not final and kb.ASSISTANT in self.shapes:
                messages.append(draw(self.reply))
        return messages

    # -- plain messages --------------------------------------------------------------------------
    def _plain_message(self, role: str) -> st.SearchStrategy[Message]:
        fixed = {"role": pools.constant(role)}
        if self.view.prop(self.shapes[role], "content") is not None:
            fixed["content"] = self._content(role)
        return self.compiler.object(self.shapes[role], "messages[]", fixed=fixed)

    def _user_message(self, final: bool) -> st.SearchStrategy[Message]:
        if kb.USER not in self.shapes:
            return self._plain_message(next(iter(self.shapes)))
        options = self.request.options
        image_required = final and options.images is True
        content = self._content(
            kb.USER, parts_only=final and options.parts is True, image_required=image_required
        )
        return self.compiler.object(
            self.shapes[kb.USER], "messages[]", fixed={"role": pools.constant(kb.USER), "content": content}
        )

    def _assistant_reply(self) -> st.SearchStrategy[Message]:
        """Text (maybe in parts), or a refusal; never an empty message."""
        shape = self.shapes[kb.ASSISTANT]
        role = {"role": pools.constant(kb.ASSISTANT)}
        text = self.compiler.object(
            shape,
            "messages[]",
            fixed={**role, "content": self._content(kb.ASSISTANT)},
            omit={"tool_calls", "refusal"},
        )
        if self.view.prop(shape, "refusal") is None:
            return text
        refusal = self.compiler.object(
            shape, "messages[]", fixed={**role, "refusal": kb.texts()}, omit={"tool_calls", "content"}
        )
        return self.compiler.pooled(pools.one_of([text, refusal]))

    # -- content ---------------------------------------------------------------------------------
    def _content(
        self, role: str, *, parts_only: bool = False, image_required: bool = False
    ) -> st.SearchStrategy[Any]:
        """Text, or a non-empty list of the parts this role's schema allows."""
        schema = self.view.prop(self.shapes[role], "content") or {}
        takes_text = "string" in branch_types(self.view, schema)
        text = kb.texts()
        shapes = self._part_shapes(self.view.array_branch(schema))
        if not shapes:
            return text
        parts = self._parts(shapes)
        if image_required and kb.IMAGE_PART in shapes:
            image = self._part(shapes[kb.IMAGE_PART])
            before = pools.one_of([pools.constant([]), parts])
            parts = self.compiler.pooled(
                pools.remember(
                    st.tuples(before, image).map(lambda pair: [*pair[0], pair[1]]),
                    _ending_with(pools.samples_of(before), pools.samples_of(image)),
                )
            )
        if parts_only or image_required or not takes_text:
            return parts
        return self.compiler.pooled(pools.one_of([text, parts]))

    def _part_shapes(self, array: Schema | None) -> dict[str, Schema]:
        if array is None:
            return {}
        shapes = self.view.tagged_branches(self.view.items(array) or {}, "type")
        if self.request.options.images is False:
            shapes.pop(kb.IMAGE_PART, None)
        return shapes

    def _part(self, shape: Schema) -> st.SearchStrategy[dict[str, Any]]:
        return self.compiler.object(shape, "messages[].content[]")

    def _parts(self, shapes: Mapping[str, Schema]) -> st.SearchStrategy[list[dict[str, Any]]]:
        """A list of parts; a refusal part stands alone (the vendor: "exactly one of type refusal")."""
        combinable = [self._part(shape) for kind, shape in shapes.items() if kind != kb.REFUSAL_PART]
        choices: list[st.SearchStrategy[list[dict[str, Any]]]] = []
        if combinable:
            choices.append(pools.lists(pools.one_of(combinable), 1, 3))
        if kb.REFUSAL_PART in shapes:
            refusal = self._part(shapes[kb.REFUSAL_PART])
            alone = pools.samples_of(refusal)
            choices.append(
                pools.remember(
                    refusal.map(lambda part: [part]), None if alone is None else [[p] for p in alone]
                )
            )
        return self.compiler.pooled(pools.one_of(choices))

    # -- tool calls and their results ------------------------------------------------------------
    def _prepare_tool_exchange(self) -> None:
        assistant, tool = self.shapes[kb.ASSISTANT], self.shapes[kb.TOOL]
        call_schema = self._function_call_branch(
            self.view.items(self.view.prop(assistant, "tool_calls") or {}) or {}
        )
        function_schema = self.view.prop(call_schema, "function") or {}
        refusal = self.view.prop(assistant, "refusal")
        null_refusal = refusal is not None and "null" in branch_types(self.view, refusal)
        self.caller = self.compiler.object(
            assistant,
            "messages[]",
            fixed={"role": pools.constant(kb.ASSISTANT)},
            optional={"refusal": pools.constant(None)} if null_refusal else {},
            omit={"tool_calls", *(() if null_refusal else ("refusal",))},
        )
        self.call = self.compiler.object(call_schema, _CALLS, omit={"id", "function"})
        self.function = self.compiler.object(
            function_schema, child(_CALLS, "function"), omit={"name", "arguments"}
        )
        name = self.view.prop(tool, "name")
        role = {"role": pools.constant(kb.TOOL)}
        # A declared ``name`` is drawn with the rest of the message (then set to the called name);
        # an undeclared one is added now and then on its own, as clients do.
        self.result_names = None if name is not None else st.sampled_from(["absent", "name"])
        if name is None:
            self.result = self.compiler.object(tool, "messages[]", fixed=role, omit={"tool_call_id", "name"})
        else:
            named = [_CALLED, None] if "null" in branch_types(self.view, name) else [_CALLED]
            self.result = self.compiler.object(
                tool, "messages[]", fixed=role, optional={"name": pools.choice(named)}, omit={"tool_call_id"}
            )

    def _function_call_branch(self, call_schema: Schema) -> Schema:
        """A tool call is a union in some documents (function | custom): the branch with ``function``."""
        for branch in self.view.branches(call_schema):
            if "function" in self.view.properties(branch):
                return branch
        return call_schema

    def _plans(self, count: int) -> st.SearchStrategy[tuple[int, ...]]:
        plans = self.call_plans.get(count)
        return plans if plans is not None else _call_plans(count)

    def _draw_tool_exchange(self, draw: st.DrawFn, called: Sequence[Tool], position: int) -> list[Message]:
        """An assistant message calling ``called`` (declared tools), then one ``tool`` answer per call id, in order."""
        calls = [
            self._draw_call(draw, tool, f"call_{position}_{index}_") for index, tool in enumerate(called)
        ]
        caller = {**draw(self.caller), "tool_calls": calls}
        return [caller, *[self._draw_result(draw, call) for call in calls]]

    def _draw_call(self, draw: st.DrawFn, tool: Tool, id_prefix: str) -> dict[str, Any]:
        declared = tool["function"]
        parameters = declared.get(kb.FUNCTION_SCHEMA_KEY) or {"type": "object"}
        function = {
            **draw(self.function),
            "name": declared["name"],
            "arguments": kb.arguments(draw, parameters),
        }
        return {"id": id_prefix + draw(kb.call_ids()), **draw(self.call), "function": function}

    def _draw_result(self, draw: st.DrawFn, call: Mapping[str, Any]) -> Message:
        result = {**draw(self.result), "tool_call_id": call["id"]}
        if (self.result_names is not None and draw(self.result_names) == "name") or result.get(
            "name"
        ) is _CALLED:
            result["name"] = call["function"]["name"]
        return result


def _call_plans(count: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Which of ``count`` tools a turn calls, in order: none half the time, then one, then several; one choice."""
    some = [plan for size in range(1, count + 1) for plan in itertools.product(range(count), repeat=size)]
    return st.sampled_from([(), *some] if len(some) == 1 else [()] * len(some) + some)


def _ending_with(before: pools.Samples | None, last: pools.Samples | None) -> list[list[Any]] | None:
    """Part lists that end with an image: each image alone, then each list of parts before the first."""
    if before is None or last is None:
        return None
    return [[*head, last[0]] for head in before] + [[image] for image in last[1:]]


def _named(tool: Tool, name: str) -> Tool:
    """``tool`` with its function renamed: the request's names come as one distinct set."""
    return {**tool, "function": {**tool.get("function", {}), "name": name}}


def branch_types(view: SchemaView, schema: Schema) -> set[str]:
    """Every JSON type any branch of ``schema`` allows."""
    return {kind for branch in view.branches(schema) for kind in types_of(branch)}
