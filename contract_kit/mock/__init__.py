"""The mock completions endpoint: a pure, seeded engine, the HTTP service in front of it, and the transports.

``engine`` writes an answer, ``render`` frames it as JSON or SSE chunks,
``service`` is the HTTP endpoint (auth, errors, scenarios), ``transports/``
carries it to clients, and ``fixture`` is what the pytest fixtures hand out.
``scenarios`` is public: tests script replies and faults with it.
"""

from contract_kit.mock.control import SESSION_HEADER
from contract_kit.mock.conversation import tool_message_problem
from contract_kit.mock.engine import EngineOptions, GeneratedCompletion, complete
from contract_kit.mock.errors_body import error_body, error_bytes, error_response
from contract_kit.mock.fixture import ChatMock, ChatServer
from contract_kit.mock.front import Front
from contract_kit.mock.render import render_chunks, render_json
from contract_kit.mock.service import CONTROL_PREFIX, SCENARIO_HEADER, Call, MockService, violation_param
from contract_kit.mock.types import Handler, MockRequest, MockResponse

__all__ = [
    "CONTROL_PREFIX",
    "SCENARIO_HEADER",
    "SESSION_HEADER",
    "Call",
    "ChatMock",
    "ChatServer",
    "EngineOptions",
    "Front",
    "GeneratedCompletion",
    "Handler",
    "MockRequest",
    "MockResponse",
    "MockService",
    "complete",
    "error_body",
    "error_bytes",
    "error_response",
    "render_chunks",
    "render_json",
    "tool_message_problem",
    "violation_param",
]
