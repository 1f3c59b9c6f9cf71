"""Which paths the mock answers: the document's operation path under one of its servers' paths.

``POST <server path><operation path>`` is the chat route: Azure's document gives
``/openai/deployments/{deployment-id}/chat/completions`` (``{deployment-id}`` is one
non-empty segment), OpenAI's ``/v1/chat/completions``. A server variable in the
path takes one of its ``enum`` values, else its default or any one segment.
``GET <API root>/models[/{id}]`` is the models route (``/v1/models``,
``/openai/models``). Anything else is the service's 404.

Both are compiled once per contract into one regex each, so a request costs one
``fullmatch`` however many servers the document lists. A contract-like object
without ``servers`` (a hand-made ``RequestContract``) keeps the loose rule: any
path ending in its ``path`` or in ``/chat/completions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contract_kit.contract import Server, ServerVariable, api_root_suffix

_SEGMENT = "[^/]+"
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_MODEL_ID = r"(?:/(?P<id>.+?))?/?"
"""After ``/models``: the model id, if any (ids hold ``/``: ``alibaba/qwen3-vl-32b-thinking``)."""
_LOOSE_MODELS = re.compile(rf"(?:.*?/)?models{_MODEL_ID}")


@dataclass(frozen=True)
class Routes:
    """The compiled chat and models routes of one contract."""

    chat: re.Pattern[str]
    models: re.Pattern[str]

    @classmethod
    def for_contract(cls, contract: Any) -> Routes:
        path = str(contract.path).rstrip("/")
        operation = template_regex(path)
        servers: Iterable[Server] | None = getattr(contract, "servers", None)
        if servers is None:  # no document behind it: the loose rule
            return cls(re.compile(f".*(?:{operation}|/chat/completions)/?"), _LOOSE_MODELS)
        prefixes = _alternatives(template_regex(s.path_template, s.variables) for s in servers)
        models = f"{prefixes}{re.escape(api_root_suffix(path))}/models{_MODEL_ID}"
        return cls(re.compile(f"{prefixes}{operation}/?"), re.compile(models))

    def is_chat(self, path: str) -> bool:
        return self.chat.fullmatch(path) is not None

    def is_models(self, path: str) -> bool:
        return self.models.fullmatch(path) is not None

    def model_id(self, path: str) -> str | None:
        """The id a models route names; ``None`` for the list (trailing slashes ignored)."""
        match = self.models.fullmatch(path)
        return ((match.group("id") if match else None) or "").rstrip("/") or None


def template_regex(template: str, variables: Mapping[str, ServerVariable] | None = None) -> str:
    """A regex for a path template: literal text escaped, each ``{name}`` one segment (or its server values)."""
    parts: list[str] = []
    end = 0
    for match in _TEMPLATE.finditer(template):
        parts.append(re.escape(template[end : match.start()]))
        parts.append(_variable_regex((variables or {}).get(match.group(1))))
        end = match.end()
    parts.append(re.escape(template[end:]))
    return "".join(parts)


def _variable_regex(variable: ServerVariable | None) -> str:
    if variable is None:
        return _SEGMENT
    if variable.enum:
        return _alternatives(re.escape(value) for value in variable.enum)
    default = [] if variable.value is None else [re.escape(variable.value)]
    return _alternatives([*default, _SEGMENT])


def _alternatives(patterns: Iterable[str]) -> str:
    unique = list(dict.fromkeys(patterns))
    if len(unique) <= 1:
        return "".join(unique)
    return "(?:" + "|".join(unique) + ")"
