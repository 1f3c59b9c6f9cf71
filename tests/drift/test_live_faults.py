"""Live faults in record mode: bounded retries with backoff, Retry-After honoured, then a clear error.

The client under test is the kit's ``LiveClient`` against the stand-in; its
``sleep`` is recorded instead of slept (one test sleeps for real), so the
waits are asserted exactly and the suite stays fast.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from standin import API, KEY, StandIn, chat_body, recorder, serve

from contract_kit.drift import max_tokens_guard
from contract_kit.drift.live import Exchange, LiveBudget, LiveClient, RetryPolicy, retry_after
from contract_kit.errors import CostGuardError, LiveAPIError
from contract_kit.mock.transports import routed
from contract_kit.redact import Secret

_ids = itertools.count()


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[StandIn, str]]:
    with serve() as pair:
        yield pair


def _client(
    base: str,
    *,
    retries: int = 2,
    timeout: float = 5.0,
    budget: LiveBudget | None = None,
    sleeps: list[float] | None = None,
) -> LiveClient:
    record = sleeps if sleeps is not None else []
    return LiveClient(
        base,
        Secret(KEY),
        policy=RetryPolicy(retries=retries, backoff=0.25, timeout=timeout),
        budget=budget or LiveBudget(100),
        sleep=record.append,
    )


def _send(client: LiveClient, fault: str, *, stream: bool = False) -> Exchange:
    prompt = f"fault:{fault} #{next(_ids)}"
    body = json.dumps(chat_body(prompt, stream=stream)).encode()
    return client.send("POST", "/chat/completions", {"content-type": "application/json"}, body)


@pytest.mark.parametrize(
    ("fault", "stream", "waits"),
    [
        ("429", False, [1.0]),  # Retry-After: 1
        ("429ms", False, [0.05]),  # retry-after-ms: 50
        ("500x2", False, [0.25, 0.5]),  # backoff doubles
        ("cutx1", True, [0.25]),  # the stream dropped mid-way, then came whole
    ],
)
def test_a_fault_is_retried_with_the_right_wait_and_then_succeeds(
    live: tuple[StandIn, str], fault: str, stream: bool, waits: list[float]
) -> None:
    _, base = live
    sleeps: list[float] = []
    exchange = _send(_client(base, sleeps=sleeps), fault, stream=stream)
    assert exchange.status == 200 and not exchange.cut
    assert exchange.attempts == len(waits) + 1
    assert sleeps == waits


def test_a_timeout_is_retried(live: tuple[StandIn, str]) -> None:
    _, base = live
    sleeps: list[float] = []
    start = time.perf_counter()
    exchange = _send(_client(base, timeout=0.3, sleeps=sleeps), "slow")
    assert exchange.status == 200 and exchange.attempts == 2 and sleeps == [0.25]
    assert time.perf_counter() - start < 1.4  # the slow first answer (1.5 s) was not waited for


@pytest.mark.parametrize(
    ("fault", "stream", "kind", "words"),
    [
        ("500x*", False, "status", "after 3 attempt(s): status 500"),
        ("cutx*", True, "cut", "the connection dropped after"),
        ("dropx*", False, "cut", "the connection dropped after 0 bytes"),
        ("slowx*", False, "timeout", "no answer within 0.3s"),
    ],
)
def test_a_fault_that_persists_ends_in_one_clear_error(
    live: tuple[StandIn, str], fault: str, stream: bool, kind: str, words: str
) -> None:
    standin, base = live
    sleeps: list[float] = []
    before = sum(standin.calls.values())
    with pytest.raises(LiveAPIError) as info:
        _send(_client(base, timeout=0.3, sleeps=sleeps), fault, stream=stream)
    message = str(info.value)
    assert words in message and "Nothing was recorded for this test" in message
    assert info.value.fault["kind"] == kind and info.value.fault["attempts"] == 3  # type: ignore[attr-defined]
    assert sleeps == [0.25, 0.5]
    assert sum(standin.calls.values()) - before == 3  # bounded: three attempts reached the server
    assert KEY not in message


def test_a_retry_after_longer_than_the_limit_stops_at_once(live: tuple[StandIn, str]) -> None:
    _, base = live
    sleeps: list[float] = []
    with pytest.raises(LiveAPIError, match="asked to retry after 3600s, longer than the 60s") as info:
        _send(_client(base, sleeps=sleeps), "429long")
    assert sleeps == [] and info.value.fault["attempts"] == 1  # type: ignore[attr-defined]


def test_retry_after_is_really_waited_for(live: tuple[StandIn, str]) -> None:
    _, base = live
    client = LiveClient(base, Secret(KEY), policy=RetryPolicy(retries=1, backoff=0.0))
    start = time.perf_counter()
    assert _send(client, "429").status == 200
    assert 1.0 <= time.perf_counter() - start < 2.5


def test_retry_after_parsing() -> None:
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "7"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


def test_every_attempt_counts_against_the_live_call_budget(live: tuple[StandIn, str]) -> None:
    _, base = live
    with pytest.raises(CostGuardError, match="allows 2 live calls per run"):
        _send(_client(base, budget=LiveBudget(2)), "500x*")


def test_the_budget_is_shared_across_processes_through_the_run_folder(tmp_path: Path) -> None:
    first, second = LiveBudget(3, tmp_path), LiveBudget(3, tmp_path)
    first.take()
    second.take()
    first.take()
    with pytest.raises(CostGuardError):
        second.take()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call-00000", "call-00001", "call-00002"]


def test_the_max_tokens_guard_refuses_before_anything_is_sent(live: tuple[StandIn, str]) -> None:
    import httpx

    standin, base = live
    handler = recorder(base)
    handler.guard = max_tokens_guard(16)
    body = chat_body("too many tokens please", max_tokens=17)
    with (
        routed(handler, [API]),
        pytest.raises(CostGuardError, match="max_tokens=17, above the cost guard of 16"),
    ):
        httpx.post(f"{API}/chat/completions", json=body)
    assert standin.calls["too many tokens please"] == 0
    assert isinstance(handler.errors[0], CostGuardError)
