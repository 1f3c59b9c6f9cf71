"""How the mock reaches clients: in-process (respx for httpx, a transport patch for httpx2) or over real HTTP (ASGI).

Each third-party client library is imported by exactly one module here:
respx by ``respx_transport``, httpx2 by ``httpx2_transport`` (optional, so
only on demand), uvicorn by ``server``.
"""

from contract_kit.mock.transports.asgi import hide_deliberate_cuts, make_app
from contract_kit.mock.transports.asgi_body import DeliberateCut
from contract_kit.mock.transports.inprocess import RoutedMock, routed
from contract_kit.mock.transports.routing import (
    BaseURL,
    PacedChunks,
    header_map,
    parse_base_urls,
    wire_headers,
)
from contract_kit.mock.transports.server import BackgroundServer, serve

__all__ = [
    "BackgroundServer",
    "BaseURL",
    "DeliberateCut",
    "PacedChunks",
    "RoutedMock",
    "header_map",
    "hide_deliberate_cuts",
    "make_app",
    "parse_base_urls",
    "routed",
    "serve",
    "wire_headers",
]
