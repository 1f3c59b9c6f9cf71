"""Replay recorded interactions as a mock ``Handler``.

One handler serves every transport: respx (httpx), the httpx2 patch (the
openai SDK) and the served mock (``contract-kit serve --cassette-dir``), so a
cassette replays the same way whichever client the user's code uses. A
stream is sent as its recorded network reads, one write each, so the client
sees the recorded chunk boundaries. ``timing`` scales the recorded delays:
``0`` (the default) replays at full speed, ``1`` follows the recorded pacing:
each read waits for its own recorded gap after the previous one (the first
for the recorded time to first byte), scaled by ``timing``. Each replayed delay is capped
at ``MAX_REPLAY_DELAY`` seconds, so a hand-edited ``elapsed: 1e9`` cannot hang
a timed replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from contract_kit.cassettes.cache import load_cassette_cached
from contract_kit.cassettes.files import list_cassettes
from contract_kit.cassettes.matching import DEFAULT_IGNORE, Matcher
from contract_kit.cassettes.model import Cassette, Interaction, RecordedResponse
from contract_kit.errors import CassetteError, CassetteMismatchError
from contract_kit.mock import Handler, MockRequest, MockResponse, error_bytes

if TYPE_CHECKING:
    from contract_kit.contract import Contract

MAX_REPLAY_DELAY = 10.0  # seconds; longer than any time to first token worth replaying
_DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "content-encoding"})


def to_mock_response(response: RecordedResponse, timing: float = 0.0) -> MockResponse:
    """The recorded response as the transports send it (chunk boundaries kept)."""
    headers = [(name, value) for name, value in response.headers.items() if name not in _DROPPED_HEADERS]
    if response.is_stream:
        return MockResponse(
            response.status,
            headers,
            chunks=response.chunks(),
            cut=response.cut,
            chunk_delays=_delays(response, timing),
        )
    first = _capped(response.elapsed * timing) if timing > 0 else 0.0
    return MockResponse(
        response.status, headers, body=response.body_bytes(), first_byte_delay=first, cut=response.cut
    )


def _delays(response: RecordedResponse, timing: float) -> list[float] | None:
    """The recorded wait before each read, scaled by ``timing`` (``None``: full speed)."""
    reads = response.reads or []
    if timing <= 0 or not reads:
        return None
    arrivals = [read.at for read in reads]
    gaps = [arrivals[0]] + [later - earlier for earlier, later in pairwise(arrivals)]
    return [_capped(gap * timing) for gap in gaps]


def _capped(delay: float) -> float:
    return min(MAX_REPLAY_DELAY, max(0.0, delay))


class ReplayHandler:
    """Answer each request with the next matching recorded interaction.

    ``replayed`` lists the interactions sent, in order; a request that
    matches nothing raises ``CassetteMismatchError`` (respx and httpx2 pass it
    to the caller) and is remembered in ``errors`` so a test can be failed
    with it even when the client library wraps it. Safe to call from several
    threads: the matcher locks its queues, and the two lists are only ever
    appended to (``list.append`` is atomic, with or without the GIL), so a hit
    pays for no second lock.
    """

    thread_safe = True  # the ASGI app may answer a large request (a 1 MB miss) in a worker thread

    def __init__(
        self,
        cassette: Cassette,
        *,
        ignore: Sequence[str] = DEFAULT_IGNORE,
        timing: float = 0.0,
        allow_repeats: bool = False,
        record_hint: str = "",
    ) -> None:
        self.cassette = cassette
        self.timing = timing
        source = str(cassette.path) if cassette.path else f"cassette {cassette.name!r}"
        self.matcher = Matcher(
            cassette.interactions, ignore, allow_repeats=allow_repeats, source=source, record_hint=record_hint
        )
        self.replayed: list[Interaction] = []
        self.errors: list[CassetteMismatchError] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        try:
            interaction = self.matcher.match(request)
        except CassetteMismatchError as exc:
            self.errors.append(exc)
            raise
        self.replayed.append(interaction)
        return to_mock_response(interaction.response, self.timing)


class _ServedReplay:
    """The served mock's handler: misses become an OpenAI-style 404 that carries the diff.

    As thread-safe as the replay it wraps, so the ASGI app answers a large
    request (a 1 MB unmatched one) in a worker thread, never on the event loop
    the other clients share; ordinary requests stay on the loop (no thread hop).
    """

    thread_safe = True

    def __init__(self, replay: ReplayHandler) -> None:
        self.replay = replay

    def __call__(self, request: MockRequest) -> MockResponse:
        try:
            return self.replay(request)
        except CassetteMismatchError as exc:
            body = error_bytes(404, str(exc), code="no_recorded_interaction")
            return MockResponse(404, [("content-type", "application/json")], body)


def load_dir(directory: str | Path) -> Cassette:
    """Every cassette under ``directory`` pooled into one (interactions in file order)."""

    root = Path(directory)
    if not root.exists():
        raise CassetteError(
            "the cassette directory does not exist; record cassettes first "
            "(pytest --contract-mode=once, or contract-kit drift --live)",
            source=str(root),
        )
    pooled = Cassette(name=str(root), path=root)
    for path in list_cassettes(root):
        pooled.interactions.extend(load_cassette_cached(path).interactions)
    return pooled


def replay_handler_for_dir(
    directory: str | Path,
    contract: Contract | None = None,
    *,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    timing: float = 0.0,
) -> Handler:
    """A handler that replays every cassette under ``directory``, for ``contract-kit serve --cassette-dir``.

    Identical requests replay in recording order, and once they are used up
    the last one repeats (a server has many clients). A request that matches
    nothing gets a 404 whose error message holds the diff against the closest
    recorded request. ``contract`` (optional) limits replay to its endpoint's
    path; other paths get the same 404.
    """
    pooled = load_dir(directory)
    if contract is not None:
        wanted = contract.path
        pooled.interactions = [i for i in pooled.interactions if i.request.path.split("?", 1)[0] == wanted]
    return _ServedReplay(ReplayHandler(pooled, ignore=ignore, timing=timing, allow_repeats=True))
