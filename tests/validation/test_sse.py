"""Tests for the SSE codec: the WHATWG parsing rules, the encoders, and round trips.

Identity of a round trip, as these tests use it: data whose line breaks are
``"\\n"`` decodes back unchanged; ``"\\r\\n"`` and a lone ``"\\r"`` inside data
come back as ``"\\n"`` (every line break in data is a line break on the wire).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_kit.errors import SSEError
from contract_kit.validation import (
    DONE,
    Event,
    SSEDecoder,
    aiter_events,
    decode,
    encode_event,
    encode_json_chunks,
    iter_events,
    rechunk,
)

# --- how a stream is consumed: every hostile-chunking test runs all three ways ---


def _via_decode(chunks: Sequence[bytes]) -> list[Event]:
    return decode(chunks)


def _via_iter(chunks: Sequence[bytes]) -> list[Event]:
    return list(iter_events(chunks))


def _via_aiter(chunks: Sequence[bytes]) -> list[Event]:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk

    async def collect() -> list[Event]:
        return [event async for event in aiter_events(source())]

    return asyncio.run(collect())


CONSUMERS = pytest.mark.parametrize(
    "consume", [_via_decode, _via_iter, _via_aiter], ids=["decode", "iter", "aiter"]
)
Consume = Callable[[Sequence[bytes]], list[Event]]


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# --- line endings ---


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_frames_events(eol: bytes) -> None:
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"event: e" + eol + b"data: c" + eol + eol
    assert decode(stream) == [Event("a\nb"), Event("c", event="e")]


def test_mixed_line_endings_in_one_stream() -> None:
    assert decode(b"data: a\rdata: b\r\ndata: c\n\r\n") == [Event("a\nb\nc")]


@CONSUMERS
def test_cr_at_chunk_end_and_lf_at_next_start_is_one_line_ending(consume: Consume) -> None:
    # If the LF were counted separately it would be a blank line and dispatch "a" alone.
    assert consume([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [Event("a\nb")]


@CONSUMERS
def test_cr_pairing_survives_empty_chunks_between(consume: Consume) -> None:
    assert consume([b"data: a\r", b"", b"", b"\ndata: b\n\n"]) == [Event("a\nb")]


def test_cr_at_chunk_end_followed_by_cr_is_a_blank_line() -> None:
    assert decode([b"data: a\r", b"\rdata: b\r\r"]) == [Event("a"), Event("b")]


def test_cr_crlf_split_into_single_bytes() -> None:
    assert decode(one_byte_at_a_time(b"data: a\r\n\r\ndata: b\r\r")) == [Event("a"), Event("b")]


def test_only_cr_and_lf_end_lines_not_other_unicode_breaks() -> None:
    # str.splitlines() would split on every one of these.
    data = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i"
    assert decode(f"data: {data}\n\n".encode()) == [Event(data)]


# --- UTF-8 and BOM ---


def test_leading_bom_is_skipped() -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n") == [Event("x")]


def test_bom_split_across_chunks_is_skipped() -> None:
    assert decode([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [Event("x")]


def test_only_the_first_bom_is_skipped() -> None:
    # The second BOM becomes part of the field name "\ufeffdata", which is unknown.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []


def test_bom_inside_data_is_kept() -> None:
    assert decode(b"data: \xef\xbb\xbfx\n\n") == [Event("\ufeffx")]


@CONSUMERS
def test_multibyte_characters_split_at_every_byte(consume: Consume) -> None:
    stream = "data: é€😀 ok\n\n".encode()
    assert consume(one_byte_at_a_time(stream)) == [Event("é€😀 ok")]


def test_invalid_utf8_becomes_replacement_character() -> None:
    assert decode(b"data: \xff\xfeok\n\n") == [Event("\ufffd\ufffdok")]


def test_truncated_multibyte_at_end_of_stream_is_incomplete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n\ndata: \xe2\x82") == [Event("x")]
    assert decoder.close() == []
    assert decoder.incomplete is True


# --- comments and field parsing ---


def test_comments_are_ignored_but_counted() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b": hello\n:\ndata: x\n: between fields\n\n:keepalive\n")
    assert events == [Event("x")]
    assert decoder.comments == 4


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),
        (b"data: a:b: c", "a:b: c"),
        (b"data:", ""),
        (b"data", ""),
        (b"data: ", ""),
    ],
)
def test_field_value_parsing(line: bytes, expected: str) -> None:
    assert decode(line + b"\n\n") == [Event(expected)]


@pytest.mark.parametrize("line", [b"Data: x", b"datum: x", b" data: x", b"dat"])
def test_unknown_fields_are_ignored(line: bytes) -> None:
    assert decode(line + b"\n\n") == []


def test_multi_line_data_strips_exactly_one_trailing_newline() -> None:
    assert decode(b"data: a\ndata: b\ndata:\n\n") == [Event("a\nb\n")]


def test_event_type_applies_to_one_event_only() -> None:
    stream = b"event: ping\ndata: 1\n\ndata: 2\n\nevent\ndata: 3\n\n"
    assert [e.event for e in decode(stream)] == ["ping", "message", "message"]


# --- id ---


def test_id_persists_across_events_until_changed() -> None:
    stream = b"data: 1\n\nid: a\ndata: 2\n\ndata: 3\n\nid: b\ndata: 4\n\nid\ndata: 5\n\n"
    assert [e.id for e in decode(stream)] == [None, "a", "a", "b", ""]


def test_id_containing_nul_is_ignored() -> None:
    assert decode(b"id: 1\ndata: x\n\nid: 2\x003\ndata: y\n\n") == [Event("x", id="1"), Event("y", id="1")]


def test_id_from_a_block_without_data_still_persists() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 7\n\ndata: x\n\n") == [Event("x", id="7")]
    assert decoder.last_event_id == "7"


# --- retry ---


def test_retry_with_digits_sets_that_event_only() -> None:
    events = decode(b"retry: 3000\ndata: x\n\ndata: y\n\n")
    assert [(e.data, e.retry) for e in events] == [("x", 3000), ("y", None)]


@pytest.mark.parametrize("value", [b"3s", b"-1", b"", b"  5", b" 5 ", b"1.5", b"\xef\xbc\x93", b"1e3"])
def test_invalid_retry_is_ignored(value: bytes) -> None:
    assert decode(b"retry:" + value + b"\ndata: x\n\n") == [Event("x")]


def test_retry_in_a_block_without_data_does_not_leak() -> None:
    assert decode(b"retry: 10\n\ndata: x\n\n") == [Event("x")]


# --- dispatch and end of stream ---


def test_blank_line_with_empty_data_buffer_dispatches_nothing_and_resets() -> None:
    assert decode(b"event: x\n\n\n\ndata: y\n\n") == [Event("y")]


@pytest.mark.parametrize(
    ("stream", "incomplete"),
    [
        (b"data: x\n\n", False),
        (b"data: x\n\n: keepalive", False),
        (b"data: x\n\n: keepalive\n", False),
        (b"data: x\n\ndata: y\n", True),
        (b"data: x\n\ndata: y", True),
        (b"data: x\n\nid: 1\n", True),
        (b"data: x\n\nevent: e", True),
    ],
)
def test_unterminated_final_event_is_dropped_and_flagged(stream: bytes, incomplete: bool) -> None:
    decoder = SSEDecoder()
    events = decoder.feed(stream)
    assert decoder.incomplete is False  # only known at close()
    assert events + decoder.close() == [Event("x")]
    assert decoder.incomplete is incomplete


def test_decode_strict_raises_on_unterminated_event() -> None:
    assert decode(b"data: x\n\ndata: y\n") == [Event("x")]
    with pytest.raises(SSEError, match="stream ended inside an event"):
        decode(b"data: x\n\ndata: y\n", strict=True)


def test_feed_after_close_and_feed_of_text_are_errors() -> None:
    decoder = SSEDecoder()
    with pytest.raises(SSEError, match="takes bytes"):
        decoder.feed("data: x\n\n")  # type: ignore[arg-type]
    decoder.close()
    assert decoder.close() == []
    with pytest.raises(SSEError, match="new SSEDecoder"):
        decoder.feed(b"data: x\n\n")


def test_done_sentinel() -> None:
    events = decode(b'data: {"a":1}\n\ndata: [DONE]\n\n')
    assert [e.is_done for e in events] == [False, True]
    assert events[0].json() == {"a": 1}
    assert events[1].data == DONE
    with pytest.raises(SSEError, match="check is_done first") as info:
        events[1].json()
    assert isinstance(info.value, ValueError)


def test_iter_events_is_lazy() -> None:
    consumed: list[bytes] = []

    def source() -> Iterator[bytes]:
        for chunk in (b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"):
            consumed.append(chunk)
            yield chunk

    events = iter_events(source())
    assert next(events) == Event("1")
    assert consumed == [b"data: 1\n\n"]
    assert list(events) == [Event("2"), Event("3")]


# --- encoders ---


def test_encode_event_exact_bytes() -> None:
    encoded = encode_event("a\nb", event="e", id="1", retry=5)
    assert encoded == b"event: e\nid: 1\nretry: 5\ndata: a\ndata: b\n\n"
    assert encode_event("", line_ending="\r\n") == b"data:\r\n\r\n"
    assert encode_event("é", line_ending="\r") == "data: é\r\r".encode()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "a\nb"}, "event must be a single line"),
        ({"event": "a\rb"}, "event must be a single line"),
        ({"id": "1\r\n"}, "id must be a single line"),
        ({"id": "1\x002"}, "id must not contain NUL"),
        ({"retry": -1}, "retry must be a non-negative int"),
        ({"line_ending": "\n\n"}, "line_ending must be one of"),
    ],
)
def test_encode_event_rejects_values_that_change_meaning(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SSEError, match=message):
        encode_event("x", **kwargs)


def test_encode_event_rejects_unencodable_text() -> None:
    with pytest.raises(SSEError, match="UTF-8"):
        encode_event("\ud800")


def test_encode_json_chunks_exact_bytes() -> None:
    chunks = encode_json_chunks([{"a": "é", "b": [1, 2]}, {"c": None}])
    assert chunks == [
        b'data: {"a":"\xc3\xa9","b":[1,2]}\n\n',
        b'data: {"c":null}\n\n',
        b"data: [DONE]\n\n",
    ]
    assert encode_json_chunks([{"c": None}], done=False) == [b'data: {"c":null}\n\n']


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}])
def test_encode_json_chunks_names_the_bad_chunk(bad: dict[str, Any]) -> None:
    with pytest.raises(SSEError, match="chunk 1 is not JSON-serializable"):
        encode_json_chunks([{"ok": 1}, bad])


def test_rechunk() -> None:
    assert rechunk(b"abcdef", [4, 2, 2, 0, 6]) == [b"ab", b"cd", b"ef"]
    assert rechunk(b"abc", []) == [b"abc"]
    assert rechunk(b"", [0]) == []
    with pytest.raises(SSEError, match=r"outside 0\.\.3"):
        rechunk(b"abc", [4])


# --- properties ---

_SPICY = ["\n", "é", "€", "😀", "\u2028", "\x85", "\x0b", "\x00", ":", " ", "\ufeff", "data: "]
_DATA = st.lists(
    st.one_of(st.characters(codec="utf-8", exclude_characters="\r"), st.sampled_from(_SPICY)), max_size=30
).map("".join)
_LINE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=10)
_EVENT_SPEC = st.tuples(
    _DATA, st.none() | _LINE, st.none() | _LINE, st.none() | st.integers(min_value=0, max_value=10**12)
)
_EOL = st.sampled_from(["\n", "\r\n", "\r"])
EventSpec = tuple[str, "str | None", "str | None", "int | None"]


def _encode_all(specs: Iterable[EventSpec], eol: str) -> bytes:
    return b"".join(encode_event(d, event=e, id=i, retry=r, line_ending=eol) for d, e, i, r in specs)


def _expected(specs: Iterable[EventSpec]) -> list[Event]:
    """What a browser would dispatch: ids persist, an empty event name means "message"."""
    events, last_id = [], None
    for data, event, id_, retry in specs:
        last_id = id_ if id_ is not None else last_id
        events.append(Event(data, event or "message", last_id, retry))
    return events


@settings(max_examples=250, deadline=None)
@given(specs=st.lists(_EVENT_SPEC, max_size=6), eol=_EOL, data=st.data())
def test_property_rechunking_never_changes_the_events(
    specs: list[EventSpec], eol: str, data: st.DataObject
) -> None:
    stream = _encode_all(specs, eol)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=30))
    whole = decode(stream)
    assert decode(rechunk(stream, cuts)) == whole
    assert whole == _expected(specs)


@settings(max_examples=250, deadline=None)
@given(specs=st.lists(_EVENT_SPEC, max_size=6), eol=_EOL)
def test_property_encode_then_decode_is_identity(specs: list[EventSpec], eol: str) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(_encode_all(specs, eol)) + decoder.close() == _expected(specs)
    assert decoder.incomplete is False


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.tuples(_DATA, st.sampled_from(["\r\n", "\r", "\n"])), min_size=1, max_size=6))
def test_property_cr_and_crlf_inside_data_come_back_as_lf(parts: list[tuple[str, str]]) -> None:
    sent = "".join(text + brk for text, brk in parts)
    assert decode(encode_event(sent)) == [Event(re.sub(r"\r\n|\r", "\n", sent))]


_JSON_SCALAR = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _DATA
)
_CHAT_CHUNK = st.fixed_dictionaries(
    {
        "id": st.just("chatcmpl-1"),
        "object": st.just("chat.completion.chunk"),
        "created": st.integers(min_value=0, max_value=2**31),
        "model": _LINE,
        "choices": st.lists(
            st.fixed_dictionaries(
                {
                    "index": st.integers(min_value=0, max_value=3),
                    "delta": st.fixed_dictionaries(
                        {}, optional={"role": st.just("assistant"), "content": _DATA}
                    ),
                    "finish_reason": st.none() | st.sampled_from(["stop", "length"]),
                }
            ),
            max_size=2,
        ),
    },
    optional={"extra": st.dictionaries(_LINE, _JSON_SCALAR, max_size=3)},
)


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(_CHAT_CHUNK, max_size=8), data=st.data())
def test_property_openai_chunk_stream_round_trips(chunks: list[dict[str, Any]], data: st.DataObject) -> None:
    stream = b"".join(encode_json_chunks(chunks))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=20))
    events = decode(rechunk(stream, cuts))
    assert [e.json() for e in events[:-1]] == chunks
    assert events[-1].is_done
    assert len(events) == len(chunks) + 1


def _reference_decode(raw: bytes) -> tuple[list[Event], bool]:
    """A deliberately naive, character-by-character reading of the spec, as an oracle."""
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines, current, i = [], "", 0
    while i < len(text):
        if text[i] in "\r\n":
            lines.append(current)
            current = ""
            i += 2 if text[i : i + 2] == "\r\n" else 1
        else:
            current += text[i]
            i += 1
    events, data, kind, last_id, retry, fields = [], "", "", None, None, False
    for line in lines:
        if line == "":
            if data:
                events.append(Event(data[:-1], kind or "message", last_id, retry))
            data, kind, retry, fields = "", "", None, False
            continue
        if line.startswith(":"):
            continue
        fields = True
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data += value + "\n"
        elif name == "event":
            kind = value
        elif name == "id" and "\x00" not in value:
            last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events, fields or (current != "" and not current.startswith(":"))


_TOKENS = [b"data", b"event", b"id", b"retry", b":", b" ", b"\r", b"\n", b"\r\n", b"x", b"12", b"\x00",
           b"\xe2\x82", b"\xac", b"\xef\xbb\xbf", b"\xff", b"\xf0\x9f\x98\x80"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(st.sampled_from(_TOKENS), max_size=40), data=st.data())
def test_property_arbitrary_bytes_match_a_naive_reference(tokens: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(tokens)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=20))
    decoder = SSEDecoder()
    events = [e for chunk in rechunk(stream, cuts) for e in decoder.feed(chunk)] + decoder.close()
    assert (events, decoder.incomplete) == _reference_decode(stream)


# --- speed: catch quadratic regressions, not micro-benchmarks ---


def test_decoding_a_typical_stream_is_fast() -> None:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"delta": {"content": "é" * 80}}],
    }
    chunks = encode_json_chunks([chunk] * 200)
    assert 35_000 < sum(map(len, chunks)) < 60_000
    best = min(_timed(lambda: decode(chunks)) for _ in range(5))
    assert best < 0.02, f"decoding 200 chunks took {best * 1000:.1f} ms"
    assert len(decode(chunks)) == 201


def test_one_long_line_in_many_small_chunks_is_linear() -> None:
    stream = b"data: " + b"x" * 400_000 + b"\n\n"
    pieces = rechunk(stream, range(0, len(stream), 64))
    best = min(_timed(lambda: decode(pieces)) for _ in range(3))
    assert best < 0.5, f"6k chunks of one line took {best * 1000:.0f} ms"
    assert decode(pieces)[0].data == "x" * 400_000


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_json_error_names_the_data_in_one_short_line() -> None:
    with pytest.raises(SSEError, match=r"event data is not JSON: .*; data='\{x{79}\.\.\.'$"):
        Event("{" + "x" * 500).json()
