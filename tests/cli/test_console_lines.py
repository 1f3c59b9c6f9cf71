"""``serve``'s request lines are written in batches by one thread, and none is lost when it stops."""

from __future__ import annotations

import io
import threading
import time

from contract_kit.cli._console import ConsoleLines


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_from_several_threads_are_all_written_in_few_writes() -> None:
    stream = CountingStream()
    with ConsoleLines(stream, interval=0.02) as console:

        def answer(worker: int) -> None:
            for index in range(250):
                console(f"POST /v1/chat/completions 200 worker={worker} n={index}")

        threads = [threading.Thread(target=answer, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = stream.getvalue().splitlines()
    assert sorted(lines) == sorted(
        f"POST /v1/chat/completions 200 worker={w} n={i}" for w in range(4) for i in range(250)
    )
    assert stream.writes < 100  # batched: far fewer writes than the 1,000 lines


def test_a_line_shows_up_soon_without_the_console_being_closed() -> None:
    stream = CountingStream()
    with ConsoleLines(stream, interval=0.01) as console:
        console("GET /v1/models 200 0.1 ms")
        deadline = time.monotonic() + 5
        while "GET /v1/models" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert stream.getvalue() == "GET /v1/models 200 0.1 ms\n"
