"""Fault variants of a recorded stream: one test id per variant, each ending as the real failure would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from standin import chat_body, record, serve

from contract_kit.cassettes import Cassette, cassette_path, split_events, stream_faults, write_cassette
from contract_kit.cassettes.faults import FAULTS
from contract_kit.mock import MockResponse

PROMPT = "Tell me about the sea"

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
# the README's recipe is the user's test file
USERS_TEST = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "tests/test_reader.py" in b)
assert PROMPT in USERS_TEST


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One stream recorded from the live-API stand-in, under the user's test's node id."""
    directory = tmp_path_factory.mktemp("cassettes")
    with serve() as (_, base_url):
        interaction = record(base_url, chat_body(PROMPT, stream=True))
    nodeid = "test_users.py::test_my_stream_reader"
    interaction.test = nodeid
    write_cassette(cassette_path(directory, nodeid), Cassette(nodeid, [interaction]))
    return directory


def test_one_test_id_per_variant_each_ending_as_the_real_failure(
    recorded: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_users=USERS_TEST)
    result = pytester.runpytest(
        "--rootdir", str(pytester.path), "--cassette-dir", str(recorded), "-p", "no:cacheprovider", "-v"
    )
    result.assert_outcomes(passed=len(FAULTS))
    for name in FAULTS:
        result.stdout.fnmatch_lines([f"*test_my_stream_reader[[]{name}[]] PASSED*"])


def test_a_variant_that_does_not_match_its_expectation_fails(
    recorded: Path, pytester: pytest.Pytester
) -> None:
    wrong = USERS_TEST.replace('faults="all"', 'faults=["no-done", "truncated-after-2"]').replace(
        "with cassette_fault.raises():", "if True:"
    )
    pytester.makepyfile(test_users=wrong)
    result = pytester.runpytest(
        "--rootdir", str(pytester.path), "--cassette-dir", str(recorded), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)  # the truncated stream raises APIConnectionError unexpected


def test_an_unknown_variant_is_a_usage_error(recorded: Path, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_users=USERS_TEST.replace('faults="all"', 'faults="sometimes"'))
    result = pytester.runpytest("--rootdir", str(pytester.path), "--cassette-dir", str(recorded))
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*UsageError*unknown stream fault*sometimes*valid: all, truncated-after-2*"])


STREAM = b'data: {"id":"1","choices":[{"delta":{"content":"h\\u00e9"}}]}\n\ndata: {"x":"\xc3\xa9t\xc3\xa9"}\n\ndata: [DONE]\n\n'


def _faulted(name: str) -> MockResponse:
    return stream_faults(name)[0].apply(MockResponse(200, [], chunks=[STREAM[:10], STREAM[10:]]))


def test_each_variant_keeps_or_breaks_the_bytes_as_it_says() -> None:
    assert split_events(STREAM) == [e + b"\n\n" for e in STREAM.split(b"\n\n")[:-1]]
    for name in ("one-byte-reads", "split-mid-utf8", "split-mid-line", "latency"):
        faulted = _faulted(name)
        assert b"".join(faulted.chunks or []) == STREAM and not faulted.cut, name
    assert all(len(c) == 1 for c in _faulted("one-byte-reads").chunks or [])
    utf8 = _faulted("split-mid-utf8").chunks or []
    assert any(c.endswith(b"\xc3") for c in utf8)  # a read ends inside a two-byte character
    assert _faulted("latency").first_byte_delay > 0
    no_done = _faulted("no-done")
    assert b"[DONE]" not in b"".join(no_done.chunks or []) and not no_done.cut
    cut = _faulted("truncated-after-2")
    assert cut.cut and len(cut.chunks or []) == 2
    assert b"".join(_faulted("malformed-at-1").chunks or []) != STREAM
    json_answer = MockResponse(200, [], body=b"{}")
    assert stream_faults("no-done")[0].apply(json_answer) is json_answer
