"""``serve``'s request lines, written to the terminal in batches.

One write per request (``print(..., flush=True)``) was a tenth of the served
mock's CPU per request under load; a person reading the terminal cannot tell
a line written 50 ms late. Lines are queued by whichever thread answered the
request and written by one background thread; ``close`` writes what is left,
so the lines of the last requests are never lost when the server stops.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from types import TracebackType
from typing import TextIO

FLUSH_INTERVAL_S = 0.05


class ConsoleLines:
    """A callable taking one line per request; a context manager that writes the rest on exit."""

    def __init__(self, stream: TextIO | None = None, interval: float = FLUSH_INTERVAL_S) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._lines: deque[str] = deque()  # append and popleft are safe across threads without a lock
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="contract-kit-console", daemon=True)

    def __call__(self, line: str) -> None:
        self._lines.append(line)

    def __enter__(self) -> ConsoleLines:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()

    def flush(self) -> None:
        """Write every queued line in one write."""
        batch = []
        while True:
            try:
                batch.append(self._lines.popleft())
            except IndexError:
                break
        if batch:
            self.stream.write("\n".join(batch) + "\n")
            self.stream.flush()

    def _run(self) -> None:
        while not self._closed.wait(self.interval):
            self.flush()
