"""What the contract suite sends its requests to.

A :class:`Target` takes raw request bytes with a content type and returns the
status, headers and body bytes, with a stream's bytes as the reads the client
got. The suite needs nothing else, so the same properties run against:

- ``mock``: the embedded mock, called in-process (:class:`MockTarget`): no
  sockets, no serialization beyond the body, deterministic for a seed;
- a URL (:class:`URLTarget`): any server speaking the endpoint over real HTTP,
  such as the live API or ``contract-kit serve``. ``Authorization: Bearer``
  comes from ``$AIMLAPI_API_KEY`` when it is set (``auth=False``: never sent), and is never printed.
  ``contract-kit check`` refuses a URL target without a key unless ``--no-auth``.

A cassette-replay target plugs in the same way (anything with ``send``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx

from contract_kit.defaults import API_KEY_ENV, DEFAULT_BASE_URL
from contract_kit.errors import ConfigError
from contract_kit.mock import MockRequest, MockService

if TYPE_CHECKING:
    from contract_kit.contract import Contract, ContractSet

MOCK = "mock"
DEFAULT_TIMEOUT_S = 60.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class TargetResponse:
    """One answer. ``reads`` are the body as received (one item per network read or write)."""

    status: int
    headers: dict[str, str]
    reads: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.reads)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Target(Protocol):
    """Where the suite sends requests."""

    name: str
    deterministic: bool
    """Same request (and seed) -> same answer; the stream/JSON agreement property needs it."""
    network: bool
    """Requests cross a network: Hypothesis deadlines are turned off."""

    def send(self, body: bytes, content_type: str) -> TargetResponse: ...

    def close(self) -> None: ...


class MockTarget:
    """The embedded mock, called directly: the fastest target, and the default."""

    network = False
    deterministic = True

    def __init__(self, contract: Contract, *, seed: int = 0, documents: ContractSet | None = None) -> None:
        """``documents``: the mock serves all of them (each model by its own); the suite checks ``contract``."""
        self.contract = contract
        self.service = MockService(documents or contract, seed=seed, require_auth=False)
        self.name = f"mock (in-process, profile {contract.profile}, seed {seed})"
        self._path = contract.sample_path  # the document's server path, path parameters filled (Azure's)
        self._url = f"{_origin(contract.server_urls[0])}{self._path}{query_string(contract)}"

    def send(self, body: bytes, content_type: str) -> TargetResponse:

        headers = {"content-type": content_type, "accept": "application/json, text/event-stream"}
        response = self.service(MockRequest("POST", self._url, self._path, headers, body))
        self.service.clear_calls()  # the suite keeps what it needs; a long run must not grow memory
        reads = list(response.chunks) if response.chunks is not None else [response.body or b""]
        return TargetResponse(response.status, {k.lower(): v for k, v in response.headers}, reads)

    def close(self) -> None:
        """Nothing to release: the mock lives in this process."""


class URLTarget:
    """A server over real HTTP (httpx), streamed responses read as they arrive."""

    network = True

    def __init__(
        self,
        base_url: str,
        contract: Contract,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        environ: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> None:

        self.url = endpoint_url(base_url, contract) + query_string(contract)
        host = urlsplit(self.url).hostname or ""
        self.deterministic = host in _LOOPBACK
        self.name = self.url
        key = (environ if environ is not None else os.environ).get(API_KEY_ENV) if auth else None
        self._auth = {"authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout)

    def send(self, body: bytes, content_type: str) -> TargetResponse:
        headers = {
            "content-type": content_type,
            "accept": "application/json, text/event-stream",
            **self._auth,
        }
        with self._client.stream("POST", self.url, content=body, headers=headers) as response:
            reads = [chunk for chunk in response.iter_raw() if chunk]
            return TargetResponse(
                response.status_code, {k.lower(): v for k, v in response.headers.items()}, reads
            )

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # never shows the key
        return f"URLTarget({self.url!r})"


def query_string(contract: Contract) -> str:
    """The required query parameters the document names (Azure's ``api-version``), as ``?a=b``."""

    return f"?{urlencode(contract.required_query)}" if contract.required_query else ""


def endpoint_url(base_url: str, contract: Contract) -> str:
    """The operation's URL under an API root, overlapping what the root already ends with.

    With the operation at ``/v1/chat/completions``: ``https://api.aimlapi.com/v1`` (an
    OpenAI-style base URL) and ``https://api.aimlapi.com`` both give
    ``https://api.aimlapi.com/v1/chat/completions``; a full endpoint URL stays as it is.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"target {base_url!r} is neither 'mock' nor an http(s) URL; "
            f"e.g. --target mock or --target {DEFAULT_BASE_URL}"
        )
    base, path = base_url.rstrip("/"), contract.filled_path  # Azure's {deployment-id} filled
    base_path = urlsplit(base).path
    for cut in range(len(path), 0, -1):
        if base_path.endswith(path[:cut]) and (cut == len(path) or path[cut] == "/"):
            return base + path[cut:]
    return base + path


def make_target(spec: str, contract: Contract, *, seed: int = 0, **options: Any) -> Target:
    """``mock`` or an http(s) URL, as ``contract-kit check --target`` takes it."""
    documents = options.pop("documents", None)
    if spec == MOCK:
        return MockTarget(contract, seed=seed, documents=documents)
    return URLTarget(spec, contract, **options)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: the part the operation's path is appended to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
