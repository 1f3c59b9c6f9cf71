"""Schemathesis hooks for the CI run: the request rules an OpenAPI schema cannot express.

A schema cannot say "``tool_choice`` names a declared tool" or "a ``tool``
message answers a call of the previous assistant message"; the real API
rejects such requests with a 400, and so does the mock. Without these hooks
Schemathesis generates them as *valid* data and reports the 400 as ST202.
Only positive cases are dropped; negative ones are left as generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import schemathesis

from contract_kit.mock import tool_message_problem


def incoherent(body: Any) -> bool:
    """True when ``body`` breaks a cross-field rule of the chat-completions API."""
    if not isinstance(body, Mapping):
        return False
    declared = {
        tool.get("function", {}).get("name")
        for tool in body.get("tools") or []
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
    }
    choice = body.get("tool_choice")
    if (choice == "required" or isinstance(choice, Mapping)) and not declared:
        return True
    function = choice.get("function") if isinstance(choice, Mapping) else None
    if isinstance(function, Mapping) and function.get("name") not in declared:
        return True
    return tool_message_problem(body.get("messages")) is not None


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    return not (positive and incoherent(case.body))
