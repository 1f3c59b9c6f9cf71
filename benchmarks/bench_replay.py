"""Replay of 1,000 recorded interactions: this kit vs VCR.py, on the same interactions, in the same run.

The interactions are the mock engine's answers to 1,000 distinct chat
requests (700 JSON bodies, 300 event streams). The kit's cassette is written
with ``dump_cassette``; VCR.py's is recorded *by VCR.py itself* through httpx
against a loopback server that replays the kit's cassette, so both sides hold
exactly the same bytes in their own format.

Each measured run loads the cassette file and replays every interaction
through the same ``httpx.Client`` code, reading each body whole. VCR.py runs
with its default matchers (method, scheme, host, port, path, query): its
fastest setting, which works here only because the requests come in
recording order. The kit always matches on the canonical JSON body too, as a
chat cassette must (every chat call goes to the same URL). Adding ``body`` to
VCR.py's matchers makes it about ten times slower still (it compares every
recorded request's body on every request), so that setting is not timed here.
VCR.py also joins a stream into one body; the kit replays its chunks one by one.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from harness import compare, ratio_line

COUNT = 1000
STREAMS = 300
API = "https://api.aimlapi.com/v1"


def bodies() -> list[dict[str, Any]]:
    out = []
    for index in range(COUNT):
        body: dict[str, Any] = {
            "model": "alibaba/qwen3-vl-32b-thinking",
            "max_tokens": 40,
            "messages": [{"role": "user", "content": f"question number {index}"}],
        }
        if index % (COUNT // STREAMS) == 0 and sum(1 for b in out if b.get("stream")) < STREAMS:
            body["stream"] = True
        out.append(body)
    return out


def kit_cassette(directory: Path, requests: list[dict[str, Any]]) -> Path:
    from contract_kit.cassettes import (
        Cassette,
        Interaction,
        Read,
        RecordedRequest,
        RecordedResponse,
        dump_cassette,
        events_of,
    )
    from contract_kit.mock import complete, render_chunks, render_json
    from contract_kit.validation import encode_json_chunks

    interactions = []
    for body in requests:
        completion = complete(body)
        request = RecordedRequest("POST", "/v1/chat/completions", {"content-type": "application/json"}, body)
        if body.get("stream"):
            chunks = encode_json_chunks(render_chunks(completion, body))
            reads = [Read(0.001 * (i + 1), chunk) for i, chunk in enumerate(chunks)]
            response = RecordedResponse(200, {"content-type": "text/event-stream"}, reads=reads)
            response.events = events_of(b"".join(chunks))
        else:
            response = RecordedResponse(
                200, {"content-type": "application/json"}, render_json(completion, body), "compact"
            )
        interactions.append(Interaction(request, response))
    path = directory / "kit.yaml"
    path.write_text(dump_cassette(Cassette("bench", interactions)), encoding="utf-8")
    return path


def vcr_cassette(directory: Path, kit_path: Path, requests: list[dict[str, Any]]) -> tuple[Path, str]:
    """Let VCR.py record the same interactions from a loopback server replaying the kit's cassette."""
    import httpx
    import vcr

    from contract_kit.cassettes import replay_handler_for_dir
    from contract_kit.mock.transports import BackgroundServer, make_app

    path = directory / "vcr.yaml"
    with (
        BackgroundServer(make_app(replay_handler_for_dir(kit_path))) as server,
        vcr.use_cassette(str(path), record_mode="all"),
        httpx.Client(base_url=server.base_url) as client,
    ):
        for body in requests:
            response = client.post("/chat/completions", json=body)
            assert response.status_code == 200, response.text
        return path, server.base_url


def replay_kit(path: Path, requests: list[dict[str, Any]]) -> int:
    import httpx

    from contract_kit.cassettes import ReplayHandler, load_cassette
    from contract_kit.mock.transports import routed

    total = 0
    with routed(ReplayHandler(load_cassette(path)), [API]), httpx.Client(base_url=API) as client:
        for body in requests:
            total += len(client.post("/chat/completions", json=body).content)
    return total


def replay_vcr(path: Path, base_url: str, requests: list[dict[str, Any]]) -> int:
    import httpx
    import vcr

    total = 0
    with vcr.use_cassette(str(path), record_mode="none"), httpx.Client(base_url=base_url) as client:
        for body in requests:
            total += len(client.post("/chat/completions", json=body).content)
    return total


def image_body(size: int = 1024 * 1024, text: str = "what is this?") -> dict[str, Any]:
    import base64

    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG" + bytes(size * 3 // 4)).decode()
    content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": image}}]
    return {
        "model": "alibaba/qwen3-vl-32b-thinking",
        "max_tokens": 40,
        "messages": [{"role": "user", "content": content}],
    }


def miss_rows() -> list[str]:
    """An unmatched 1 MB request against 1,000 recorded interactions, vs a matched one of the same size."""
    from contract_kit.cassettes import Cassette, Interaction, Matcher, RecordedRequest, RecordedResponse
    from contract_kit.errors import CassetteMismatchError
    from contract_kit.mock import MockRequest

    recorded = [*bodies(), image_body()]
    interactions = [
        Interaction(RecordedRequest("POST", "/v1/chat/completions", {}, body), RecordedResponse(200))
        for body in recorded
    ]
    matcher = Matcher(Cassette("bench", interactions).interactions, allow_repeats=True)

    def request(body: dict[str, Any]) -> MockRequest:
        return MockRequest(
            "POST", f"{API}/chat/completions", "/v1/chat/completions", {}, json.dumps(body).encode()
        )

    hit, miss = request(image_body()), request(image_body(text="something else"))

    def missed() -> None:
        try:
            matcher.match(miss)
        except CassetteMismatchError:
            return
        raise AssertionError("the request matched")

    timings = compare({"miss": missed, "hit": lambda: matcher.match(hit)}, rounds=3, budget_s=0.2)
    return [
        ratio_line(
            f"replay/miss: an unmatched 1 MB request against {len(recorded)} recorded (closest match + diff) "
            "vs a matched 1 MB request",
            timings["miss"],
            timings["hit"],
        )
    ]


def run() -> list[str]:
    rows = miss_rows()
    try:
        import vcr  # noqa: F401
    except ModuleNotFoundError:
        return [
            *rows,
            "replay: skipped, VCR.py is not installed (pip install -e '.[bench]' or pip install vcrpy)",
        ]
    import logging

    logging.getLogger("vcr").setLevel(logging.WARNING)
    requests = bodies()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        kit_path = kit_cassette(directory, requests)
        vcr_path, base_url = vcr_cassette(directory, kit_path, requests)
        ours, theirs = replay_kit(kit_path, requests), replay_vcr(vcr_path, base_url, requests)
        assert ours == theirs, (ours, theirs)  # both replay the same bytes
        timings = compare(
            {
                "contract-kit": lambda: replay_kit(kit_path, requests),
                "vcrpy": lambda: replay_vcr(vcr_path, base_url, requests),
            },
            rounds=3,
            budget_s=0.1,
        )
        sizes = f"kit {kit_path.stat().st_size / 1e6:.1f} MB, vcr {vcr_path.stat().st_size / 1e6:.1f} MB"
    label = (
        f"replay/{COUNT}-interactions ({COUNT - STREAMS} JSON + {STREAMS} streams; load + replay; {sizes}; "
        "VCR.py with its default matchers)"
    )
    per_interaction = {name: type(t)(t.name, t.per_call_s / COUNT) for name, t in timings.items()}
    return [
        *rows,
        ratio_line(f"{label} vs VCR.py", timings["contract-kit"], timings["vcrpy"]),
        ratio_line(
            "replay/per-interaction vs VCR.py", per_interaction["contract-kit"], per_interaction["vcrpy"]
        ),
        f"replay: {json.dumps({'interactions': COUNT, 'bytes_replayed_each_side': ours})}",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
