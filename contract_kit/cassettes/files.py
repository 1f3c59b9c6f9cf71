"""Where cassettes live and how they are written without ever being half-written or clobbered.

- **One file per test**, named from the pytest node id
  (``tests/test_chat.py::test_stream[fast]`` ->
  ``tests_test_chat__test_stream[fast].yaml``), in a configurable directory
  (the kit's default is ``fixtures/cassettes``). Characters that are unsafe in
  a file name become ``_``, and then a short hash of the node id is appended.
  Two node ids that still read the same (``x::y`` and ``x__y``) never share a
  file: the file names its test, and a second test gets the name plus its hash
  (:func:`own_cassette_path`).
- **Atomic writes.** The text goes to a temporary file in the same directory,
  is flushed to disk, then ``os.replace``-d over the target. A crash or a
  Ctrl+C leaves the old file or the new one, never a mix; the temporary file
  is removed on the way out. The file gets the permissions ``open()`` would
  give it (0666 less the umask, usually 0644), not ``mkstemp``'s 0600.
- **Safe under pytest-xdist.** A writer holds the cassette's lock (an OS
  file lock from the ``filelock`` library, released by the OS when its holder
  dies, so a crashed run never leaves a lock to wait for; the lock file lives
  in the temporary folder, not beside the cassette) while it reads, merges and
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
from collections.abc import Iterator
from pathlib import Path

import yaml
from filelock import FileLock, Timeout

from contract_kit.cassettes.format import dump_cassette, load_cassette
from contract_kit.cassettes.model import Cassette
from contract_kit.errors import CassetteError
from contract_kit.redact import Redactor

SUFFIX = ".yaml"
MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]]")
_NAME_LINE = re.compile(r"^name: (.*)$", re.MULTILINE)


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
    """The readable file name for ``nodeid`` (see :func:`own_cassette_path` for a test's own file)."""
    return Path(directory) / cassette_name(nodeid)


def _hashed_name(nodeid: str) -> str:
    readable = cassette_name(nodeid).removesuffix(SUFFIX)
    digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
    if readable.endswith("-" + digest):
        return readable + SUFFIX
    return f"{readable[:MAX_NAME]}-{digest}{SUFFIX}"


def own_cassette_path(directory: str | Path, nodeid: str) -> Path:
    """A test's own cassette: the readable name, unless another test already owns that file.

    ``tests/test_a/test_b.py::t`` and ``tests/test_a_test_b.py::t`` read the same,
    as do ``x::y`` and ``x__y``. The file names its test (``name:``), so when
    the readable file belongs to another test this one gets the readable name
    plus a short hash of its node id, and keeps it on every later run.
    """
    readable = cassette_path(directory, nodeid)
    hashed = Path(directory) / _hashed_name(nodeid)
    if hashed == readable or hashed.exists():
        return hashed
    owner = cassette_owner(readable)
    collides = owner is not None and owner != nodeid and cassette_name(owner) == readable.name
    return hashed if collides else readable  # a hand-written file with any other name stays this test's


def cassette_owner(path: Path) -> str | None:
    """The ``name:`` in a cassette's header (the node id of the test that wrote it), read cheaply."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(8192)
    except OSError:
        return None
    match = _NAME_LINE.search(head)
    if match is None:
        return None
    try:
        value = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return str(value) if value is not None else None


def list_cassettes(directory: str | Path) -> list[Path]:
    """Every cassette under ``directory`` (recursively), skipping hidden and temporary files."""
    root = Path(directory)
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.yaml", "*.yml") for p in root.rglob(pattern)]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))


def lock_path(target: Path) -> Path:
    """The lock file of ``target``: in the temporary folder, so no lock file lands in the repository."""
    digest = hashlib.sha1(str(Path(target).resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "contract-kit-locks" / f"{Path(target).name[:60]}-{digest}.lock"


@contextlib.contextmanager
def file_lock(target: Path, *, timeout: float = 30.0) -> Iterator[Path]:
    """Hold ``target``'s lock for the block (an OS lock: it is released when its holder dies)."""
    lock = lock_path(target)
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(lock, timeout=timeout, poll_interval=0.005):
            yield lock
    except Timeout:
        raise CassetteError(
            f"another writer has held {lock} for more than {timeout:.0f}s; wait for the other test run "
            "to finish recording and run again",
            source=str(target),
        ) from None


def _file_mode() -> int:
    """0666 less the process umask: what ``open()`` would give a new file (``mkstemp`` gives 0600)."""
    return 0o666 & ~_umask()


def _umask() -> int:
    """The umask, read without changing it where the OS shows it (Linux), else set and restored."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _file_mode())
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
    path: Path,
    cassette: Cassette,
    redactor: Redactor | None = None,
    *,
    run_dir: Path | None = None,
    keep_others: bool = False,
) -> Cassette:
    """Write (or, within one run, extend) a cassette; returns what was written.

    Interactions of the same test that this run wrote earlier are replaced (a
    rerun of a test does not duplicate them); other tests' are kept. With
    ``keep_others`` (the ``once`` mode) other tests' interactions are kept
    whichever run wrote them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path):
        merge = keep_others or (run_dir is not None and _written_this_run(run_dir, path))
        if merge and path.exists():
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
