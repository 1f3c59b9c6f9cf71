"""Progress for long commands: a live line on a terminal, silence in CI logs.

On a TTY (stderr) ``check`` shows each property's examples done out of the
total and ``drift --live`` each probe, rewriting one line with ``\\r``, at most
ten times a second. Without a TTY (CI logs, pipes) nothing is printed while
the command runs: the command's own last line is its one summary line.
Progress goes to stderr, so stdout stays the report.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REFRESH_S = 0.1


class Progress:
    """One rewritable status line on stderr, shown only on a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream) if enabled is None else enabled
        self._last = 0.0
        self._width = 0

    def update(self, text: str, *, force: bool = False) -> None:
        """Show ``text`` in place of the previous status (throttled unless ``force``)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < REFRESH_S:
            return
        self._last = now
        padding = " " * max(0, self._width - len(text))
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._width = len(text)

    def examples(self, name: str, done: int, total: int) -> None:
        """A property's examples done out of its total (shrinking never shows more than the total)."""
        self.update(f"{name}: {min(done, total)}/{total} examples", force=done >= total)

    def done(self, text: str) -> None:
        """Replace the status with a finished line that stays."""
        if self.enabled:
            self.update(text, force=True)
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def clear(self) -> None:
        """Erase the status line (before the report is printed)."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
