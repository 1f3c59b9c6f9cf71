"""Reply rules: answer by what the request says, not by call order.

A test of agent code needs "when the last user message mentions weather,
call ``get_weather``; when the request carries its result, answer with it".
A :class:`Rule` is matchers (all must hold) plus a plan (a reply, tool call,
error or fault, as in :mod:`~contract_kit.mock.scenarios`), used ``once`` or
``always``. Matchers:

* ``model`` — equal to the request's model;
* ``last_user`` — a substring of the last user message's text;
  ``last_user_regex`` — a regular expression searched in it;
* ``tools`` — ``True``: the request declares tools; ``False``: it declares none;
* ``tool_result`` — the request carries a tool message answering a call of this function;
* ``jsonpath`` — an RFC 9535 JSONPath that selects at least one node of the body
  (``$.messages[?@.role == 'system']``).

A reply's text may quote the tool result with ``{tool_result}``. Rules are
tried in the order they were added; the first unused match wins. With
``strict=True`` a request that matches none gets a 400 ``no_rule_matched``
naming the closest rule and what it missed. The same rules come from YAML or
JSON (``contract-kit serve --rules FILE``, ``POST /_contract/rules``)::

    rules:
      - when: {last_user: weather}
        reply: {scenario: tool_call, name: get_weather, arguments: {city: Paris}}
      - when: {tool_result: get_weather}
        reply: {scenario: reply, text: "It is {tool_result}."}
        times: always
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from contract_kit import _json
from contract_kit.contract import compile_path
from contract_kit.errors import ConfigError, ContractKitError, NoRuleMatchedError
from contract_kit.mock.conversation import last_user_text, tool_results
from contract_kit.mock.errors_body import error_response, json_response
from contract_kit.mock.scenarios import Plan, Reply, parse_plan
from contract_kit.mock.types import MockRequest, MockResponse

MATCHERS = ("model", "last_user", "last_user_regex", "tools", "tool_result", "jsonpath")
TIMES = ("once", "always")
TOOL_RESULT_FIELD = "{tool_result}"


@dataclass
class Rule:
    """Matchers, a plan, and how often it may answer; ``used`` counts its answers."""

    when: dict[str, Any]
    plan: Plan
    times: str = "always"
    name: str = ""
    used: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.when) - set(MATCHERS))
        if unknown:
            raise ConfigError(
                f"rule {self.label}: unknown matcher(s) {unknown}; valid: {', '.join(MATCHERS)}"
            )
        if self.times not in TIMES:
            raise ConfigError(f"rule {self.label}: times must be 'once' or 'always', got {self.times!r}")
        pattern = self.when.get("last_user_regex")
        try:
            self._regex = None if pattern is None else re.compile(str(pattern))
            if "jsonpath" in self.when:
                compile_path(str(self.when["jsonpath"]))
        except (re.error, ContractKitError) as exc:
            raise ConfigError(f"rule {self.label}: {exc}") from None

    @property
    def label(self) -> str:
        return self.name or f"when {self.when}"

    @property
    def exhausted(self) -> bool:
        return self.times == "once" and self.used > 0

    def misses(self, body: Mapping[str, Any]) -> list[str]:
        """What in ``body`` this rule's matchers did not find; empty when it matches."""
        return [reason for key in self.when if (reason := self._miss(key, body)) is not None]

    def _miss(self, key: str, body: Mapping[str, Any]) -> str | None:
        expected = self.when[key]
        messages = body.get("messages")
        if key == "model":
            return (
                None if body.get("model") == expected else f"model is {body.get('model')!r}, not {expected!r}"
            )
        if key in ("last_user", "last_user_regex"):
            text = last_user_text(messages) or ""
            found = self._regex.search(text) is not None if self._regex else str(expected) in text
            return None if found else f"the last user message does not contain {expected!r}"
        if key == "tools":
            has = bool(body.get("tools"))
            return (
                None if has == bool(expected) else f"the request {'declares' if has else 'declares no'} tools"
            )
        if key == "tool_result":
            found = str(expected) in tool_results(messages)
            return None if found else f"no tool result for {expected!r}"
        selected = compile_path(str(expected)).find(body)
        return None if selected else f"{expected} selects nothing"

    def plan_for(self, body: Mapping[str, Any]) -> Plan:
        """The plan, with ``{tool_result}`` in a reply's text replaced by the result it matched."""
        outcome = self.plan.outcome
        if isinstance(outcome, Reply) and TOOL_RESULT_FIELD in outcome.text:
            results = tool_results(body.get("messages"))
            result = results.get(str(self.when.get("tool_result")), next(iter(results.values()), ""))
            return replace(
                self.plan, outcome=replace(outcome, text=outcome.text.replace(TOOL_RESULT_FIELD, result))
            )
        return self.plan

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "when": self.when,
            "reply": self.plan.to_json(),
            "times": self.times,
            "used": self.used,
        }


class RuleBook:
    """The rules of one mock, thread-safe; ``strict`` turns a miss into a 400."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._rules: list[Rule] = []
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._rules)  # one atomic read, asked on every call: no lock needed

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def load(self, data: Any) -> list[Rule]:
        """Rules from their JSON/YAML form: ``{"rules": [...], "strict": bool}`` or a list of rules."""
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {"rules", "strict"})
            if unknown:
                raise ConfigError(f"unknown keys {unknown} in the rules; use 'rules' and 'strict'")
            self.strict = bool(data.get("strict", self.strict))
            data = data.get("rules", [])
        if not isinstance(data, list):
            raise ConfigError("rules must be a list of {when, reply, times} objects")
        return [self.add(parse_rule(item, index)) for index, item in enumerate(data)]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def plan_for(self, body: Mapping[str, Any]) -> Plan | None:
        """The first live matching rule's plan (counted as used), ``None``, or :class:`~contract_kit.errors.NoRuleMatchedError`."""
        with self._lock:
            for rule in self._rules:
                if not rule.exhausted and not rule.misses(body):
                    rule.used += 1
                    return rule.plan_for(body)
            if self.strict and self._rules:
                raise NoRuleMatchedError(self._closest(body))
        return None

    def _closest(self, body: Mapping[str, Any]) -> str:
        live = [rule for rule in self._rules if not rule.exhausted] or self._rules
        best = min(live, key=lambda rule: len(rule.misses(body)))
        missed = "; ".join(best.misses(body)) or "it was used up (times: once)"
        return f"no reply rule matched this request; the closest is {best.label}: {missed}"

    def unused(self) -> list[Rule]:
        with self._lock:
            return [rule for rule in self._rules if rule.used == 0]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"strict": self.strict, "rules": [rule.to_json() for rule in self._rules]}


def parse_rule(data: Any, index: int = 0) -> Rule:
    """``{"when": {...}, "reply": <scenario(s)>, "times": "once"|"always", "name": str}``."""
    if not isinstance(data, Mapping) or "reply" not in data:
        raise ConfigError(f"rule {index}: expected an object with 'when' and 'reply', got {data!r}")
    unknown = sorted(set(data) - {"when", "reply", "times", "name"})
    if unknown:
        raise ConfigError(f"rule {index}: unknown keys {unknown}; use when, reply, times, name")
    when = data.get("when") or {}
    if not isinstance(when, Mapping):
        raise ConfigError(f"rule {index}: 'when' must be an object of matchers ({', '.join(MATCHERS)})")
    return Rule(
        dict(when),
        parse_plan(data["reply"]),
        times=str(data.get("times", "always")),
        name=str(data.get("name", "")),
    )


def rules_control(book: RuleBook, request: MockRequest) -> MockResponse:
    """``/_contract/rules``: POST adds rules in their JSON form, GET lists them, DELETE clears them."""
    method = request.method.upper()
    if method == "POST":
        try:
            book.load(_json.loads(request.body or b"null"))
        except (ValueError, RecursionError) as exc:
            return error_response(400, f"bad rules: {exc}", code="invalid_rules")
    elif method == "DELETE":
        book.clear()
    return json_response(200, book.snapshot())
