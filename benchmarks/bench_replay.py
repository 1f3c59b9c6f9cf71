"""Replay of 1,000 recorded interactions: this kit vs cassetter and VCR.py, on the same interactions.

The interactions are the mock engine's answers to 1,000 distinct chat
requests (700 JSON bodies, 300 event streams). The kit's cassette is written
with ``dump_cassette``; cassetter's and VCR.py's are recorded *by those
libraries themselves* through httpx against a loopback server that replays
the kit's cassette, so every side holds exactly the same bytes in its own
format.

Each measured run has two timed parts, reported separately and together:
**load** (open the cassette and get ready to answer: the kit parses or reads
its cache and builds its match keys; the others enter ``use_cassette``) and
**replay** (every request sent through the same ``httpx.Client`` code,
reading each body whole), so the per-request cost is not hidden in the load.

- contract-kit matches on method, path and the canonical JSON body, as a
  chat cassette must (every chat call goes to the same URL). It loads through
  its parsed-cassette cache (``load_cassette_cached``), warm after the first
  load, as in every test run after the first; the ``yaml`` row loads the
  YAML with no cache. It replays a stream's recorded reads one by one and
  JSON bodies byte for byte.
- cassetter (Rust) matches with its ``json_body`` matcher (plus method and
  URI): the same matching as the kit. It keeps a stream as one text body.
- VCR.py runs with its default matchers (method, scheme, host, port, path,
  query): its fastest setting, which works here only because the requests
  come in recording order. Adding ``body`` makes it about ten times slower
  still, so that setting is not timed. It also joins a stream into one body.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import MIN_ROUNDS, Row, Timing, compare, duration, skipped, spread, timed_row

COUNT = 1000
STREAMS = 300
API = "https://api.aimlapi.com/v1"
ROUNDS = max(MIN_ROUNDS, int(os.environ.get("BENCH_REPLAY_ROUNDS", "3")))
CASSETTER_MATCH = ["method", "uri", "json_body"]
MISS_TARGET_S = 0.050  # issue #15: an unmatched 1 MB request against 1,000 recorded, answered in < 50 ms
SERVED_MISSES = max(MIN_ROUNDS, 10)


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


def record_with(
    library: str, directory: Path, kit_path: Path, requests: list[dict[str, Any]]
) -> tuple[Path, str]:
    """Let cassetter or VCR.py record the same interactions from a loopback server replaying the kit's cassette."""
    import httpx

    from contract_kit.cassettes import replay_handler_for_dir
    from contract_kit.mock.transports import BackgroundServer, make_app

    path = directory / f"{library}.yaml"
    with (
        BackgroundServer(make_app(replay_handler_for_dir(kit_path))) as server,
        recorder(library, path, "all"),
        httpx.Client(base_url=server.base_url) as client,
    ):
        for body in requests:
            response = client.post("/chat/completions", json=body)
            assert response.status_code == 200, response.text
        return path, server.base_url  # the URI they recorded, which their matchers compare


def recorder(library: str, path: Path, mode: str) -> Any:
    if library == "cassetter":
        import cassetter

        return cassetter.use_cassette(path, record_mode=mode, match_on=CASSETTER_MATCH)
    import vcr

    return vcr.use_cassette(str(path), record_mode=mode)


def post_all(client: Any, requests: list[dict[str, Any]]) -> int:
    total = 0
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


def miss_rows() -> list[Row]:
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
        timed_row(
            "replay/miss vs hit",
            f"replay: an unmatched 1 MB request against {len(recorded)} recorded (closest match + diff)",
            timings["miss"],
            timings["hit"],
            cost=True,
            note=(
                f"the anchor is a matched request of the same size; issue #15 asks for < 50 ms per miss: "
                f"{'met' if timings['miss'].per_call_s < MISS_TARGET_S else 'NOT met'}"
            ),
        ),
        served_miss_row(),
    ]


def served_miss_row() -> Row:
    """The served replay (``contract-kit serve --cassette-dir``) over loopback HTTP: an unmatched 1 MB
    request against 1,000 recorded, while another client keeps sending matched requests."""
    import threading

    import httpx

    from contract_kit.cassettes import replay_handler_for_dir
    from contract_kit.mock.transports import BackgroundServer, make_app

    requests = bodies()
    others: list[float] = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        kit_path = kit_cassette(Path(tmp), [*requests, image_body()])
        handler = replay_handler_for_dir(kit_path)
        with BackgroundServer(make_app(handler)) as server, httpx.Client(base_url=server.base_url) as client:

            def other_client() -> None:
                with httpx.Client(base_url=server.base_url) as other:
                    index = 0
                    while not stop.is_set():
                        start = time.perf_counter()
                        other.post("/chat/completions", json=requests[index % COUNT]).raise_for_status()
                        others.append(time.perf_counter() - start)
                        index += 1
                        time.sleep(0.002)  # paced like a real client, not a spin loop holding the GIL

            hit_payload = json.dumps(image_body()).encode()
            miss_payload = json.dumps(image_body(text="something else")).encode()
            headers = {"content-type": "application/json"}
            client.post("/chat/completions", content=hit_payload, headers=headers).raise_for_status()  # warm
            worker = threading.Thread(target=other_client)
            worker.start()
            miss, hit = Timing("miss"), Timing("a matched 1 MB request")
            try:
                for _ in range(SERVED_MISSES):
                    for timing, payload, status in ((miss, miss_payload, 404), (hit, hit_payload, 200)):
                        start = time.perf_counter()
                        answer = client.post("/chat/completions", content=payload, headers=headers)
                        timing.samples.append(time.perf_counter() - start)
                        assert answer.status_code == status, answer.text[:300]
            finally:
                stop.set()
                worker.join(10)
    ordered = sorted(others)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    verdict = "met" if miss.per_call_s < MISS_TARGET_S else "NOT met"
    return Row(
        "replay/served-miss vs target",
        f"replay served over HTTP: an unmatched 1 MB request against {COUNT + 1} recorded, upload included",
        spread(miss.samples, duration),
        f"{hit.name} {spread(hit.samples, duration)}",
        f"median {duration(miss.per_call_s)}, target {duration(MISS_TARGET_S)}: {verdict}",
        note=(
            f"median of {SERVED_MISSES} misses (issue #15); meanwhile another client's {len(others)} matched "
            f"requests had p99 {duration(p99)}; the miss is answered in a worker thread"
        ),
    )


def kit_run(path: Path, requests: list[dict[str, Any]], cache: Path | None) -> tuple[float, float, int]:
    """(load seconds, replay seconds, bytes replayed)."""
    import httpx

    from contract_kit.cassettes import ReplayHandler, load_cassette, load_cassette_cached
    from contract_kit.mock.transports import routed

    start = time.perf_counter()
    cassette = load_cassette_cached(path, cache) if cache is not None else load_cassette(path)
    with routed(ReplayHandler(cassette), [API]), httpx.Client(base_url=API) as client:
        loaded = time.perf_counter()
        total = post_all(client, requests)
        done = time.perf_counter()
    return loaded - start, done - loaded, total


def library_run(
    library: str, recorded: tuple[Path, str], requests: list[dict[str, Any]]
) -> tuple[float, float, int]:
    import httpx

    path, base_url = recorded
    start = time.perf_counter()
    with recorder(library, path, "none"), httpx.Client(base_url=base_url) as client:
        loaded = time.perf_counter()
        total = post_all(client, requests)
        done = time.perf_counter()
    return loaded - start, done - loaded, total


def run() -> list[Row]:
    try:
        import cassetter  # noqa: F401
        import vcr  # noqa: F401
    except ModuleNotFoundError as exc:  # the miss rows need neither
        return [*miss_rows(), skipped("replay", f"{exc.name} is not installed (pip install -e '.[bench]')")]
    logging.getLogger("vcr").setLevel(logging.WARNING)
    requests = bodies()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        kit_path = kit_cassette(directory, requests)
        paths = {name: record_with(name, directory, kit_path, requests) for name in ("cassetter", "vcrpy")}
        cache = directory / "cache"
        candidates: dict[str, Callable[[], tuple[float, float, int]]] = {
            "contract-kit": lambda: kit_run(kit_path, requests, cache),
            "contract-kit-yaml": lambda: kit_run(kit_path, requests, None),
            "cassetter": lambda: library_run("cassetter", paths["cassetter"], requests),
            "vcrpy": lambda: library_run("vcrpy", paths["vcrpy"], requests),
        }
        replayed = {name: run_once()[2] for name, run_once in candidates.items()}  # warms the cache too
        exact = replayed["contract-kit"]
        assert replayed["contract-kit-yaml"] == replayed["vcrpy"] == exact, replayed  # the same bytes
        # cassetter stores a JSON body as structure and writes it again on replay, so its byte count
        # differs; the note says by how much rather than hiding it.
        load = {name: Timing(name) for name in candidates}
        each = {name: Timing(name) for name in candidates}
        for _ in range(ROUNDS):
            for name, run_once in candidates.items():
                load_s, replay_s, _ = run_once()
                load[name].samples.append(load_s)
                each[name].samples.append(replay_s / COUNT)
        sizes = ", ".join(
            f"{name} {path.stat().st_size / 1e6:.1f} MB"
            for name, path in {"kit": kit_path, **{n: p for n, (p, _) in paths.items()}}.items()
        )
    total = {
        name: Timing(
            name, [a + b * COUNT for a, b in zip(load[name].samples, each[name].samples, strict=True)]
        )
        for name in candidates
    }
    what = f"replay of {COUNT:,} recorded interactions ({COUNT - STREAMS} JSON, {STREAMS} streams)"
    note = (
        f"{ROUNDS} interleaved rounds; {sizes}; replayed: kit and VCR.py {exact:,} B, "
        f"cassetter {replayed['cassetter']:,} B (not byte-exact)"
    )
    return [
        *miss_rows(),
        timed_row(
            "replay/load+replay vs cassetter",
            f"{what}, load + replay",
            total["contract-kit"],
            total["cassetter"],
            note="cassetter with its json_body matcher; issue #14 asks for >= 1x; " + note,
        ),
        timed_row(
            "replay/load vs cassetter",
            "replay: load (parsed-cassette cache warm)",
            load["contract-kit"],
            load["cassetter"],
        ),
        timed_row(
            "replay/load-yaml vs cassetter",
            "replay: load with no cache (YAML parsed)",
            load["contract-kit-yaml"],
            load["cassetter"],
        ),
        timed_row(
            "replay/per-request vs cassetter",
            "replay: per request, after loading",
            each["contract-kit"],
            each["cassetter"],
        ),
        timed_row(
            "replay/load+replay vs VCR.py",
            f"{what}, load + replay",
            total["contract-kit"],
            total["vcrpy"],
            note="VCR.py with its default matchers (no body matching)",
        ),
        timed_row(
            "replay/per-request vs VCR.py",
            "replay: per request, after loading",
            each["contract-kit"],
            each["vcrpy"],
        ),
    ]


if __name__ == "__main__":
    print("\n".join(row.text() for row in run()))
