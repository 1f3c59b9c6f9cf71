"""The handlers a test's cassette use routes to, besides replay and recording themselves.

Each records what went wrong on the :class:`~contract_kit.plugin.session.CassetteUse`, so the
test fails with the kit's own error (a missing cassette, a blocked host, a refused key) rather
than with whatever the HTTP client wraps it in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from contract_kit.cassettes import Interaction
from contract_kit.drift import DriftCollector, fault_finding
from contract_kit.errors import BlockedRequestError, ContractKitError, KeyRefusedError, LiveAPIError
from contract_kit.mock import Handler, MockRequest, MockResponse
from contract_kit.redact import Redactor

if TYPE_CHECKING:
    from contract_kit.plugin.session import CassetteUse


class Failing:
    """A handler that fails every request with one error (a missing cassette)."""

    def __init__(self, use: CassetteUse, error: ContractKitError) -> None:
        self.use = use
        self.error = error

    def __call__(self, request: MockRequest) -> MockResponse:
        if not self.use.errors:
            self.use.errors.append(self.error)
        raise self.error


class Blocked:
    """Refuse a replaying test's request to a host no cassette answers, and fail the test with it."""

    def __init__(self, use: CassetteUse) -> None:
        self.use = use

    def __call__(self, request: MockRequest) -> MockResponse:
        url = urlsplit(request.url)
        host = url.hostname or "?"
        error = BlockedRequestError(
            f"replay is offline: {request.method} {host}{url.path} has no cassette and was not sent "
            f"(no request leaves the process in replay mode). Record it against that host with:\n"
            f"    pytest --contract-mode=record --contract-base-url {url.scheme}://{url.netloc}"
            f"{_api_root(url.path)} '{self.use.nodeid}'\n"
            f"or let the host through with --contract-allow-host {host} "
            f"(ini contract_allow_hosts, or @pytest.mark.contract_cassette(allow_hosts=[{host!r}]))"
        )
        if not self.use.errors:
            self.use.errors.append(error)
        raise error


AUTH_STATUSES = {401: "401 Unauthorized", 403: "403 Forbidden"}


def key_refused(interaction: Interaction, use: CassetteUse) -> KeyRefusedError | None:
    """A 401/403 while recording is evidence about the key, never an answer worth a cassette."""
    status = interaction.response.status
    if status not in AUTH_STATUSES:
        return None
    return KeyRefusedError(
        f"the live API answered {AUTH_STATUSES[status]} while recording, so it refused the API key: "
        "check that AIMLAPI_API_KEY holds a valid key with access to this model and endpoint "
        "(the kit sends it as 'Authorization: Bearer ...' whatever key the client uses). "
        f"No cassette was written to {use.path}; once the key works, record it with:\n"
        f"    pytest --contract-mode=once '{use.nodeid}'"
    )


def _api_root(path: str) -> str:
    """``/v1`` for ``/v1/chat/completions``: the part of the path a client's base URL holds."""
    head, found, _ = path.partition("/chat/completions")
    return head if found else ""


class Guarded:
    """Remember every kit error the inner handler raises, so the test fails with it, not a wrapper."""

    def __init__(self, use: CassetteUse, inner: Handler, collector: DriftCollector | None = None) -> None:
        self.use = use
        self.inner = inner
        self.collector = collector

    def __call__(self, request: MockRequest) -> MockResponse:
        # Keep no unredacted copy of the caller's headers in this frame (a real key may be in them).
        scrubbed = MockRequest(
            request.method, request.url, request.path, Redactor().headers(request.headers), request.body
        )
        del request
        self.use.requests.append(scrubbed)
        try:
            return self.inner(scrubbed)
        except ContractKitError as exc:
            if exc not in self.use.errors:
                self.use.errors.append(exc)
            fault = getattr(exc, "fault", None)
            if isinstance(exc, LiveAPIError) and fault and self.collector is not None:
                finding = fault_finding(fault)
                self.use.findings.append(finding)
                self.collector.add([finding], self.use.nodeid, response=False)
            raise
