"""The parsed-cassette cache: same cassette as a fresh parse, keyed by content, never an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_kit.cassettes import (
    Cassette,
    Interaction,
    Read,
    RecordedRequest,
    RecordedResponse,
    default_cache_dir,
    dump_cassette,
    load_cassette,
    load_cassette_cached,
)
from contract_kit.cassettes import cache as cache_module
from contract_kit.defaults import CACHE_DIR_ENV

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi ✓"}]}


def _cassette(content: str = "hello") -> Cassette:
    json_answer = RecordedResponse(200, {"content-type": "application/json"}, {"id": "x", "n": 1.5}, "spaced")
    stream = RecordedResponse(
        200,
        {"content-type": "text/event-stream"},
        reads=[Read(0.01, b'data: {"a": '), Read(0.02, f'"{content}"}}\n\ndata: [DONE]\n\n'.encode())],
    )
    stream.events = [{"a": content}, "[DONE]"]
    request = RecordedRequest("POST", "/v1/chat/completions", {"content-type": "application/json"}, BODY)
    return Cassette("c", [Interaction(request, json_answer, "t::a"), Interaction(request, stream, "t::b")])


def _write(path: Path, content: str = "hello") -> Path:
    path.write_text(dump_cassette(_cassette(content)), encoding="utf-8")
    return path


def test_a_cached_load_equals_a_fresh_parse_and_skips_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "c.yaml")
    fresh = load_cassette(path)
    first = load_cassette_cached(path, tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == 1

    def no_parsing(*args: object) -> Cassette:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(cache_module, "parse_cassette", no_parsing)
    second = load_cassette_cached(path, tmp_path / "cache")
    assert first == fresh and second == fresh
    assert second.path == path
    stream = second.interactions[1].response
    assert stream.chunks() == [b'data: {"a": ', b'"hello"}\n\ndata: [DONE]\n\n']  # chunk boundaries kept
    assert second.interactions[0].response.body_bytes() == fresh.interactions[0].response.body_bytes()


def test_an_edited_cassette_is_parsed_again(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml")
    load_cassette_cached(path, tmp_path / "cache")
    _write(path, "changed")
    again = load_cassette_cached(path, tmp_path / "cache")
    assert again.interactions[1].response.events == [{"a": "changed"}, "[DONE]"]
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_corrupt_entry_or_an_unwritable_cache_falls_back_to_parsing(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml")
    load_cassette_cached(path, tmp_path / "cache")
    (entry,) = (tmp_path / "cache").iterdir()
    entry.write_bytes(b"\x00garbage")
    assert load_cassette_cached(path, tmp_path / "cache") == load_cassette(path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    assert load_cassette_cached(path, blocker / "cache") == load_cassette(path)


def test_the_environment_chooses_or_disables_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert default_cache_dir() is None
    path = _write(tmp_path / "c.yaml")
    assert load_cassette_cached(path) == load_cassette(path)
    assert not (tmp_path / "mine").exists()
