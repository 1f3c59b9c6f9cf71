"""The conversation of a request: messages in the order a real client sends them.

An optional instruction, then user turns with assistant replies; an
assistant's ``tool_calls`` name tools the request declares, with arguments
their parameters accept, and the ``tool`` messages that follow answer exactly
those ids, in order. Each message is shaped by its role's branch of the
contract's schema, through the request builder's compiler; most are drawn in
one choice from precompiled samples (:mod:`~contract_kit.strategies.pools`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from contract_kit.strategies import knowledge as kb
from contract_kit.strategies import pools
from contract_kit.strategies.compile import child
from contract_kit.strategies.schema import Schema, SchemaView, types_of

if TYPE_CHECKING:
    from contract_kit.strategies.requests import RequestBuilder

Tool = dict[str, Any]
Message = dict[str, Any]
_CALLED = kb.DeclaredTool()
"""Stands for the name of the function a ``tool`` message answers, until the call is drawn."""
_CALLS = "messages[].tool_calls[]"


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


def branch_types(view: SchemaView, schema: Schema) -> set[str]:
    """Every JSON type any branch of ``schema`` allows."""
    return {kind for branch in view.branches(schema) for kind in types_of(branch)}
