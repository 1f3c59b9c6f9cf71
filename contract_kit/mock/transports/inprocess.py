"""Both in-process transports at once: respx for httpx, the transport patch for httpx2 (and the openai SDK).

``routed`` is what the ``chat_mock`` fixture and the recorder use. httpx2 is an
optional dependency: ``httpx2_transport`` imports it only when patching, and
``routed`` skips it quietly when it is not installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import TYPE_CHECKING

from contract_kit.defaults import DEFAULT_BASE_URL
from contract_kit.mock.transports.respx_transport import respx_mock
from contract_kit.mock.transports.routing import parse_base_urls
from contract_kit.mock.types import Handler, MockRequest, MockResponse

if TYPE_CHECKING:
    import respx

    from contract_kit.mock.transports.httpx2_transport import Httpx2Mock


@dataclass
class RoutedMock:
    """What ``routed`` yields: the respx router (``None`` when httpx is off),
    the httpx2 activation (``None`` when off or not installed) and every
    request the handler saw, from either client library, in order."""

    router: respx.MockRouter | None = None
    httpx2: Httpx2Mock | None = None
    requests: list[MockRequest] = field(default_factory=list)

    def recording(self, handler: Handler) -> Handler:
        def handle(request: MockRequest) -> MockResponse:
            self.requests.append(request)
            return handler(request)

        return handle


@contextmanager
def routed(
    handler: Handler,
    base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
    *,
    httpx: bool = True,
    httpx2: bool = True,
    pass_through_unmatched: bool = False,
    unmatched: Handler | None = None,
    allow_hosts: Iterable[str] = (),
) -> Iterator[RoutedMock]:
    """Send every request under ``base_urls`` to ``handler``, whichever client
    library makes it: httpx through respx, httpx2 (and so the ``openai`` SDK)
    through the transport patch. httpx2 is skipped quietly when not installed.

    Unmatched httpx requests raise respx's "not mocked" error unless
    ``pass_through_unmatched``; unmatched httpx2 requests always go to the
    network, as they do under the plain httpx2 patch.

    ``unmatched`` makes the block hermetic for both libraries: every request
    outside ``base_urls`` goes to it (it raises, or answers) instead of the
    network, except requests to ``allow_hosts``. Replay uses this.
    """
    hosts = tuple(allow_hosts)
    bases = [str(base) for base in parse_base_urls(base_urls)]
    mock = RoutedMock()
    recorded = mock.recording(handler)
    with ExitStack() as stack:
        if httpx:
            mock.router = stack.enter_context(
                respx_mock(
                    recorded,
                    bases,
                    pass_through_unmatched=pass_through_unmatched,
                    unmatched=unmatched,
                    allow_hosts=hosts,
                )
            )
        if httpx2 and _httpx2_installed():
            # optional dependency: httpx2 is imported only when it is installed
            from contract_kit.mock.transports.httpx2_transport import patch_httpx2

            mock.httpx2 = stack.enter_context(
                patch_httpx2(recorded, bases, unmatched=unmatched, allow_hosts=hosts)
            )
        yield mock


def _httpx2_installed() -> bool:
    return find_spec("httpx2") is not None
