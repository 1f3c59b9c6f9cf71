"""Where cassettes live and how they are written without ever being half-written or clobbered.

- **One file per test**, named from the pytest node id
  (``tests/test_chat.py::test_stream[fast]`` ->
  ``tests_test_chat__test_stream[fast].yaml``), in a configurable directory
  (the kit's default is ``fixtures/cassettes``). Characters that are unsafe in
  a file name become ``_``, and then a short hash of the node id is appended
  so two node ids never share a file by accident.
- **Atomic writes.** The text goes to a temporary file in the same directory,
  is flushed to disk, then ``os.replace``-d over the target. A crash or a
  Ctrl+C leaves the old file or the new one, never a mix; the temporary file
  is removed on the way out.
- **Safe under pytest-xdist.** A writer holds ``<cassette>.lock`` (created
  with ``O_EXCL``, so exactly one process wins) while it reads, merges and
  replaces. Within one run, a second writer of the same cassette *adds* its
  interactions instead of overwriting the first's: the run's shared folder
  (``run_dir``) remembers which cassettes this run already wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from contract_kit.cassettes.format import dump_cassette, load_cassette
from contract_kit.cassettes.model import Cassette
from contract_kit.errors import CassetteError
from contract_kit.redact import Redactor

SUFFIX = ".yaml"
MAX_NAME = 120
STALE_LOCK_SECONDS = 120.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]]")


def cassette_name(nodeid: str) -> str:
    """A file name for a node id; readable, stable, and distinct for distinct node ids."""
    path, sep, rest = nodeid.partition("::")
    path = path.removesuffix(".py").replace("/", "_").replace("\\", "_")
    natural = path + ("__" + rest.replace("::", "__") if sep else "")
    safe = _UNSAFE.sub("_", natural).lstrip(".") or "cassette"
    if safe != natural or len(safe) > MAX_NAME:
        digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[:MAX_NAME]}-{digest}"
    return safe + SUFFIX


def cassette_path(directory: str | Path, nodeid: str) -> Path:
    return Path(directory) / cassette_name(nodeid)


def list_cassettes(directory: str | Path) -> list[Path]:
    """Every cassette under ``directory`` (recursively), skipping hidden and temporary files."""
    root = Path(directory)
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.yaml", "*.yml") for p in root.rglob(pattern)]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))


@contextlib.contextmanager
def file_lock(target: Path, *, timeout: float = 30.0, poll: float = 0.005) -> Iterator[Path]:
    """Hold ``<target>.lock`` for the block. A lock left by a dead process is taken over."""
    lock = target.with_name(target.name + ".lock")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _stale(lock):
                with contextlib.suppress(OSError):
                    lock.unlink()
                continue
            if time.monotonic() > deadline:
                raise CassetteError(
                    f"another writer has held the lock for more than {timeout:.0f}s; if no other test run "
                    f"is recording, delete {lock} and run again",
                    source=str(target),
                ) from None
            time.sleep(poll)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _stale(lock: Path) -> bool:
    try:
        pid = int(lock.read_text() or "0")
        age = time.time() - lock.stat().st_mtime
    except (OSError, ValueError):
        return False
    if age > STALE_LOCK_SECONDS:
        return True
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_cassette(
    path: Path, cassette: Cassette, redactor: Redactor | None = None, *, run_dir: Path | None = None
) -> Cassette:
    """Write (or, within one run, extend) a cassette; returns what was written.

    Interactions of the same test that this run wrote earlier are replaced (a
    rerun of a test does not duplicate them); other tests' are kept.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path):
        if run_dir is not None and _written_this_run(run_dir, path) and path.exists():
            cassette = _merge(load_cassette(path), cassette)
        text = dump_cassette(cassette, redactor, source=str(path))
        atomic_write_text(path, text)
        if run_dir is not None:
            _mark_written(run_dir, path)
    cassette.path = path
    return cassette


def _merge(existing: Cassette, new: Cassette) -> Cassette:
    tests = {item.test for item in new.interactions}
    kept = [item for item in existing.interactions if (item.test or existing.name) not in tests]
    for item in kept:
        item.test = item.test or existing.name
    return Cassette(new.name, kept + new.interactions, new.meta)


def _marker(run_dir: Path, path: Path) -> Path:
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()
    return run_dir / "written" / digest


def _written_this_run(run_dir: Path, path: Path) -> bool:
    return _marker(run_dir, path).exists()


def _mark_written(run_dir: Path, path: Path) -> None:
    marker = _marker(run_dir, path)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
