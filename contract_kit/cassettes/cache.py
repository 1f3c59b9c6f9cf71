"""Parsed cassettes cached by content, so replay parses each YAML file once.

Parsing YAML into Python objects is most of a replay run's cost (about 90%
for 1,000 interactions). The parsed cassette is kept beside nothing the user
reviews: in a cache directory, one ``marshal`` file per distinct file
content, named by a hash of the YAML bytes and of the kit's cassette code
(model, format and this module). Editing the cassette, or upgrading the kit
in a way that could read it differently, changes the hash, so a stale entry
is never read; the YAML stays the
only source of truth. ``marshal`` holds plain data only (no classes, no code
run on load), and anything it cannot hold is simply not cached.

The directory is ``$CONTRACT_KIT_CACHE_DIR`` when set (``off`` disables the
cache), else ``$XDG_CACHE_HOME/contract-kit`` or ``~/.cache/contract-kit``.
An unwritable or corrupt cache is never an error: the YAML is parsed instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from contract_kit.cassettes import format as cassette_format
from contract_kit.cassettes import model as cassette_model
from contract_kit.cassettes.format import load_cassette, parse_cassette
from contract_kit.cassettes.model import Cassette, Interaction, Read, RecordedRequest, RecordedResponse
from contract_kit.defaults import CACHE_DIR_ENV

_LAYOUT = 1  # bump when the tuples below change shape
_SUFFIX = ".cassette.marshal"


def default_cache_dir() -> Path | None:
    """The cache directory from the environment; ``None`` when the cache is off."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "contract-kit"


def load_cassette_cached(path: str | Path, cache_dir: str | Path | None = None) -> Cassette:
    """``load_cassette``, answered from the cache when this exact file content was parsed before."""
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        content = Path(path).read_bytes()
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return load_cassette(path)  # it names the problem the way every cassette error does
    if directory is None:
        cassette = parse_cassette(text, str(path))
    else:
        entry = directory / f"{_content_key(content)}{_SUFFIX}"
        cached = _read_entry(entry)
        if cached is None:
            cassette = parse_cassette(text, str(path))
            _write_entry(entry, cassette)
        else:
            cassette = cached
    cassette.path = Path(path)
    return cassette


def _content_key(content: bytes) -> str:
    digest = hashlib.blake2b(content, digest_size=20)
    digest.update(_code_fingerprint())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """A hash of the code that turns YAML into a ``Cassette``: a changed parser never reads old entries."""
    digest = hashlib.blake2b(f"{_LAYOUT}".encode(), digest_size=20)
    for module in (cassette_model, cassette_format, sys.modules[__name__]):
        source = getattr(module, "__file__", None)
        try:
            digest.update(Path(source).read_bytes() if source else module.__name__.encode())
        except OSError:
            digest.update(module.__name__.encode())
    return digest.digest()


def _read_entry(entry: Path) -> Cassette | None:
    try:
        data = marshal.loads(entry.read_bytes())
        return _from_plain(data)
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        return None


def _write_entry(entry: Path, cassette: Cassette) -> None:
    try:
        data = marshal.dumps(_to_plain(cassette))
    except ValueError:  # a value marshal cannot hold (YAML allows more than JSON): not cached
        return
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, entry)  # readers see no entry or a whole one
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _to_plain(cassette: Cassette) -> tuple[Any, ...]:
    return (
        _LAYOUT,
        cassette.name,
        cassette.meta,
        [(i.test, _request_plain(i.request), _response_plain(i.response)) for i in cassette.interactions],
    )


def _request_plain(request: RecordedRequest) -> tuple[Any, ...]:
    return (request.method, request.path, request.headers, request.body, request.raw)


def _response_plain(response: RecordedResponse) -> tuple[Any, ...]:
    reads = None if response.reads is None else [(read.at, read.data) for read in response.reads]
    return (
        response.status,
        response.headers,
        response.body,
        response.body_style,
        response.raw,
        response.events,
        reads,
        response.cut,
        response.elapsed,
    )


def _from_plain(data: Any) -> Cassette:
    layout, name, meta, interactions = data
    if layout != _LAYOUT:
        raise ValueError("another cache layout")
    return Cassette(
        name,
        [
            Interaction(RecordedRequest(*request), _response_from(response), test)
            for test, request, response in interactions
        ],
        meta,
    )


def _response_from(plain: tuple[Any, ...]) -> RecordedResponse:
    status, headers, body, style, raw, events, reads, cut, elapsed = plain
    recorded_reads = None if reads is None else [Read(at, data) for at, data in reads]
    return RecordedResponse(status, headers, body, style, raw, events, recorded_reads, cut, elapsed)
