"""The cassette format and its files: round trips, exact bytes, errors with a line, safe writes, redaction."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from contract_kit.cassettes import (
    Cassette,
    Interaction,
    Read,
    RecordedRequest,
    RecordedResponse,
    detect_style,
    dump_cassette,
    load_cassette,
    parse_cassette,
)
from contract_kit.cassettes.files import (
    atomic_write_text,
    cassette_name,
    file_lock,
    list_cassettes,
    lock_path,
    write_cassette,
)
from contract_kit.errors import CassetteError, SecretLeakError
from contract_kit.redact import REDACTED, Redactor, Secret, compile_patterns

KEY = "sk-test-0123456789abcdef-SECRET"
SSE = [b'data: {"id":"a","choices":[]}\n\n', b'data: {"id":"a","choi', b'ces":[]}\n\ndata: [DONE]\n\n']


def _request(content: str = "hi") -> RecordedRequest:
    return RecordedRequest(
        "POST",
        "/v1/chat/completions",
        {"content-type": "application/json"},
        {"model": "m", "messages": [{"role": "user", "content": content}]},
    )


def _stream_response(reads: list[bytes]) -> RecordedResponse:
    from contract_kit.cassettes import events_of

    response = RecordedResponse(
        200,
        {"content-type": "text/event-stream"},
        reads=[Read(0.01 * (i + 1), data) for i, data in enumerate(reads)],
    )
    response.events = events_of(response.body_bytes())
    return response


def _cassette(*interactions: Interaction) -> Cassette:
    return Cassette("tests/test_x.py::test_y", list(interactions), {"recorded_with": "test"})


# --- format ----------------------------------------------------------------------------------


def test_a_stream_round_trips_with_its_read_boundaries_and_events() -> None:
    text = dump_cassette(_cassette(Interaction(_request(), _stream_response(SSE))))
    loaded = parse_cassette(text)
    response = loaded.interactions[0].response
    assert response.chunks() == SSE
    assert [r.at for r in response.reads or []] == [0.01, 0.02, 0.03]
    assert response.events == [{"id": "a", "choices": []}, {"id": "a", "choices": []}, "[DONE]"]
    assert "- {id: a, choices: []}" in text  # one event per line, as structure


def test_a_read_that_is_not_utf8_is_kept_as_base64() -> None:
    reads = [b'data: {"x": "\xe2\x82', b'\xac"}\n\n']  # a euro sign split across two reads
    text = dump_cassette(_cassette(Interaction(_request(), _stream_response(reads))))
    assert "base64: " + base64.b64encode(reads[0]).decode() in text
    assert parse_cassette(text).interactions[0].response.chunks() == reads


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"b":[true,null]}',
        b'{"a": 1, "b": [true, null]}',
        b'{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}\n',
        b'{"s":"\\u00e9"}',
    ],
)
def test_a_json_body_is_structure_and_replays_to_the_exact_bytes(raw: bytes) -> None:
    body = json.loads(raw)
    response = RecordedResponse(200, {"content-type": "application/json"}, body, detect_style(body, raw))
    assert response.body_style is not None
    text = dump_cassette(_cassette(Interaction(_request(), response)))
    assert parse_cassette(text).interactions[0].response.body_bytes() == raw


def test_json_no_style_reproduces_keeps_its_text_too() -> None:
    raw = b'{"n": 1e5}'
    body = json.loads(raw)
    assert detect_style(body, raw) is None
    response = RecordedResponse(200, {"content-type": "application/json"}, body, None, raw)
    loaded = parse_cassette(dump_cassette(_cassette(Interaction(_request(), response))))
    assert loaded.interactions[0].response.body_bytes() == raw
    assert loaded.interactions[0].response.body == {"n": 100000.0}


def test_a_hand_written_cassette_may_omit_reads() -> None:
    text = """version: 1
name: hand
interactions:
- request: {method: POST, path: /v1/chat/completions, body: {model: m}}
  response:
    status: 200
    headers: {content-type: text/event-stream}
    events: [{id: a}, '[DONE]']
"""
    response = parse_cassette(text).interactions[0].response
    assert response.chunks() == [b'data: {"id": "a"}\n\n', b"data: [DONE]\n\n"]


# --- errors name the file and the line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "location", "words"),
    [
        ("version: 1\ninteractions: [\n", "line 3", "malformed YAML"),
        ("- a\n- b\n", "line 1", "must be a mapping"),
        ("version: 2\nname: x\ninteractions: []\n", "line 1", "unsupported cassette version 2"),
        (
            "version: 1\nname: x\ninteractions:\n- request: {method: POST, path: /v1/x}\n  response: {status: 200}\n"
            "- request: {method: POST, path: /v1/x}\n  response:\n    status: fine\n",
            "line 8",
            "'status' must be",
        ),
        (
            "version: 1\nname: x\ninteractions:\n- request: {method: POST, path: /v1/x}\n  response:\n    status: 200\n"
            '    events: [{id: a}]\n    reads: [{at: 0, text: "data: {\\"id\\": \\"b\\"}\\n\\n"}]\n',
            "line 7",
            "disagree",
        ),
    ],
)
def test_a_malformed_cassette_is_one_error_naming_file_and_line(
    tmp_path: Path, text: str, location: str, words: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert message.startswith(f"{path} at {location}"), message
    assert words in message
    assert "record again" in message
    assert isinstance(info.value, ValueError)


# --- files -----------------------------------------------------------------------------------


def test_names_come_from_the_node_id_and_never_collide() -> None:
    assert cassette_name("tests/test_chat.py::test_stream[fast]") == "tests_test_chat__test_stream[fast].yaml"
    assert cassette_name("tests/test_chat.py::TestA::test_b") == "tests_test_chat__TestA__test_b.yaml"
    odd = [cassette_name(f"t.py::test[{p}]") for p in ("a/b", "a_b", "a b", "a:b", "é")]
    assert len(set(odd)) == len(odd)
    assert all(name.endswith(".yaml") and "/" not in name and not name.startswith(".") for name in odd)
    assert len(cassette_name("t.py::test_" + "x" * 500)) < 140


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.yaml"
    atomic_write_text(target, "old")

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_lock_file_left_by_a_dead_holder_does_not_stall_even_with_a_reused_pid(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    child = multiprocessing.get_context("fork").Process(target=_hold_lock_and_die, args=(str(target),))
    child.start()
    child.join()
    lock = lock_path(target)
    assert lock.exists()  # the dead holder's lock file is still there ...
    lock.write_text(str(os.getpid()))  # ... naming a live process, as a reused PID would
    start = time.monotonic()
    with file_lock(target, timeout=5):
        assert time.monotonic() - start < 1.0  # the OS released the lock when its holder died
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lock file beside the cassettes


def _hold_lock_and_die(target: str) -> None:
    with file_lock(Path(target)):
        os._exit(0)


def test_a_held_lock_times_out_with_a_message_naming_the_cassette(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    child = multiprocessing.get_context("fork").Process(target=_hold_lock_for_a_while, args=(str(target),))
    child.start()
    try:
        deadline = time.monotonic() + 5
        while not (tmp_path / "held").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(CassetteError, match=r"c\.yaml"), file_lock(target, timeout=0.2):
            pass
    finally:
        child.join()


def _hold_lock_for_a_while(target: str) -> None:
    with file_lock(Path(target)):
        (Path(target).parent / "held").touch()
        time.sleep(1.0)


def _write_many(args: tuple[str, str, int]) -> None:
    directory, test, count = args
    for index in range(count):
        cassette = Cassette("shared", [Interaction(_request(f"{test}-{index}"), RecordedResponse(200))])
        for item in cassette.interactions:
            item.test = f"{test}-{index}"
        write_cassette(Path(directory) / "shared.yaml", cassette, run_dir=Path(directory) / "run")


def test_concurrent_writers_of_one_cassette_lose_no_interaction(tmp_path: Path) -> None:
    jobs = [(str(tmp_path), f"w{n}", 6) for n in range(4)]
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_write_many, jobs)
    loaded = load_cassette(tmp_path / "shared.yaml")
    contents = sorted(i.request.body["messages"][0]["content"] for i in loaded.interactions)
    assert contents == sorted(f"w{n}-{i}" for n in range(4) for i in range(6))
    assert list_cassettes(tmp_path) == [tmp_path / "shared.yaml"]  # no lock or temp file left behind


def test_a_new_run_overwrites_and_a_rerun_replaces_its_own_interactions(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    for run in ("r1", "r2"):
        for attempt in range(2):  # the same test written twice in a run (a rerun)
            cassette = Cassette("t", [Interaction(_request(f"{run}-{attempt}"), RecordedResponse(200), "t")])
            write_cassette(path, cassette, run_dir=tmp_path / run)
    assert [i.request.body["messages"][0]["content"] for i in load_cassette(path).interactions] == ["r2-1"]


# --- secrets ---------------------------------------------------------------------------------


def test_sensitive_headers_and_patterns_are_redacted_by_default() -> None:
    redactor = Redactor(compile_patterns([r"org-[a-z0-9]{6}"]), (Secret(KEY),))
    headers = redactor.headers(
        {
            "authorization": f"Bearer {KEY}",
            "api-key": "k",
            "x-api-key": "k",
            "x-session-token": "t",
            "openai-organization": "org-abc123",
            "accept": "*/*",
        }
    )
    assert headers == {
        "authorization": REDACTED,
        "api-key": REDACTED,
        "x-api-key": REDACTED,
        "x-session-token": REDACTED,
        "openai-organization": REDACTED,
        "accept": "*/*",
    }
    assert redactor.value({"m": [f"use Bearer {KEY}", "org-zzz999 here"]}) == {
        "m": [f"use Bearer {REDACTED}", f"{REDACTED} here"]
    }


def test_a_bad_redaction_pattern_names_itself() -> None:
    with pytest.raises(ValueError, match=r"'\(unclosed' is not a valid regular expression"):
        compile_patterns(["(unclosed"])


@pytest.mark.parametrize("where", ["header-name", "base64-read", "split-across-reads"])
def test_writing_refuses_a_cassette_that_holds_the_key_and_never_prints_it(
    tmp_path: Path, where: str
) -> None:
    redactor = Redactor(secrets=(Secret(KEY),))
    request = _request()
    if where == "header-name":
        request.headers[KEY] = "x"
        response = RecordedResponse(200)
    elif where == "base64-read":
        response = _stream_response([b"\xff" + KEY.encode() + b"\n\n"])
    else:
        response = _stream_response([f"data: {KEY[:10]}".encode(), f"{KEY[10:]}\n\n".encode()])
    path = tmp_path / "c.yaml"
    with pytest.raises(SecretLeakError) as info:
        write_cassette(path, _cassette(Interaction(request, response)), redactor)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert str(path) in str(info.value) and "line" in str(info.value)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_secret_repr_is_masked() -> None:
    assert KEY not in repr(Secret(KEY)) and KEY not in str(Secret(KEY))
    assert KEY not in repr(Redactor(secrets=(Secret(KEY),)))
