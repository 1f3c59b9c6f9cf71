"""Cassette names cannot collide, and ``once`` with a shared cassette records what each test misses.

Node ids that read the same as file names (``x::y`` and ``x__y``;
``tests/test_a/test_b.py`` and ``tests/test_a_test_b.py``) keep separate files:
the file names the test that wrote it, and a second test gets the readable
name plus a short hash. Driven with pytester against the live stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from standin import KEY, StandIn, serve

from contract_kit.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    cassette_owner,
    cassette_path,
    load_cassette,
    own_cassette_path,
    write_cassette,
)

pytest_plugins = ["pytester"]


def _write(path: Path, nodeid: str) -> None:
    request = RecordedRequest("POST", "/v1/chat/completions", {}, {"model": "m"})
    write_cassette(path, Cassette(nodeid, [Interaction(request, RecordedResponse(200), nodeid)]))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("x::y", "x__y"),
        ("tests/test_a/test_b.py::test_t", "tests/test_a_test_b.py::test_t"),
    ],
)
def test_node_ids_that_read_the_same_get_different_files(tmp_path: Path, first: str, second: str) -> None:
    assert cassette_path(tmp_path, first) == cassette_path(tmp_path, second)  # the readable names collide
    _write(own_cassette_path(tmp_path, first), first)
    mine = own_cassette_path(tmp_path, second)
    assert mine != own_cassette_path(tmp_path, first)
    assert mine.name.startswith(cassette_path(tmp_path, second).stem + "-")  # readable, plus a short hash
    _write(mine, second)
    assert own_cassette_path(tmp_path, first) == cassette_path(tmp_path, first)  # stable on later runs
    assert own_cassette_path(tmp_path, second) == mine
    assert cassette_owner(own_cassette_path(tmp_path, first)) == first
    assert cassette_owner(mine) == second


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with serve(StandIn()) as (_, base):
        yield base


@pytest.fixture
def record_args(live: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    monkeypatch.delenv("AIMLAPI_BASE_URL", raising=False)
    return [f"--contract-base-url={live}", "--contract-backoff=0.01", "-p", "no:cacheprovider"]


ASK = """
import httpx, pytest

def ask(prompt):
    body = {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 16}
    answer = httpx.post("https://api.aimlapi.com/v1/chat/completions", json=body,
                        headers={"authorization": "Bearer sk-dummy"})
    assert answer.status_code == 200
    return answer.json()
"""


def test_colliding_node_ids_keep_both_tests_interactions_on_re_record(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    pytester.mkpydir("tests")
    pytester.mkpydir("tests/test_a")
    (pytester.path / "tests" / "test_a" / "test_b.py").write_text(
        ASK + "\ndef test_t(chat_cassette):\n    ask('one')\n"
    )
    (pytester.path / "tests" / "test_a_test_b.py").write_text(
        ASK + "\ndef test_t(chat_cassette):\n    ask('two')\n"
    )
    for _ in range(2):  # record, then re-record: neither run may drop the other test's interactions
        pytester.runpytest("--contract-mode=record", *record_args).assert_outcomes(passed=2)
        files = sorted((pytester.path / "fixtures" / "cassettes").glob("*.yaml"))
        assert len(files) == 2, files
        prompts = sorted(
            load_cassette(f).interactions[0].request.body["messages"][0]["content"] for f in files
        )
        assert prompts == ["one", "two"]
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)  # and both replay


SHARED = (
    ASK
    + """
@pytest.mark.contract_cassette(name="shared")
@pytest.mark.parametrize("n", range(40))
def test_shared(chat_cassette, n):
    assert ask(f"question {n}")["choices"]
"""
)


def test_once_with_a_shared_cassette_passes_40_of_40_on_the_first_run_and_on_a_rerun(
    pytester: pytest.Pytester, record_args: list[str]
) -> None:
    pytester.makepyfile(test_shared=SHARED)
    pytester.runpytest("--contract-mode=once", *record_args).assert_outcomes(passed=40)
    cassette = load_cassette(pytester.path / "fixtures" / "cassettes" / "shared.yaml")
    assert len(cassette.interactions) == 40
    assert len({item.test or cassette.name for item in cassette.interactions}) == 40
    before = (pytester.path / "fixtures" / "cassettes" / "shared.yaml").read_text()
    pytester.runpytest("--contract-mode=once", *record_args).assert_outcomes(passed=40)
    assert (pytester.path / "fixtures" / "cassettes" / "shared.yaml").read_text() == before  # all replayed
