"""Requests at the edge of what the document allows, for the live API to decide.

The vendor's ``stop`` is ``anyOf: [string, array of strings, {"nullable":
true}]``. The bare branch has no ``type``, so by OAS 3.0.3 it takes any value
(``contract/oas30.py``, rule 3a) and ``stop: {}`` is a valid request; the
mock accepts it. A real API may well refuse it. Whether it does is a drift
question, not a converter rule: ``drift --live`` sends each edge once, and
expects what the *effective* contract says (200 while it accepts the
request, 400 once a team's overlay narrows the schema). A live 400 where the
contract says 200 is a ``status-mismatch`` finding: review it, then narrow
the schema in a team overlay.

==============  ================  ==========================================
probe           hypothesis        request
==============  ================  ==========================================
stop-object     stop-any-value    ``stop: {}``
==============  ================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract_kit.contract import Contract
from contract_kit.defaults import DEFAULT_MODEL


@dataclass(frozen=True)
class Edge:
    """One request the document allows that a real API might not; ``probe`` sends it."""

    probe: str
    hypothesis: str
    what: str
    body: dict[str, Any]


def edges(model: str = DEFAULT_MODEL) -> list[Edge]:
    """Every edge, each a small request (``max_tokens`` 8) that differs from an ordinary one in one field."""
    ordinary = {"model": model, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8}
    return [Edge("stop-object", "stop-any-value", "stop: {} (an object)", {**ordinary, "stop": {}})]


def expected_status(contract: Contract, edge: Edge) -> int:
    """What the effective contract promises for ``edge``: 200 when it accepts the request, else 400."""
    return 400 if any(v.is_error for v in contract.validate_request(edge.body)) else 200
