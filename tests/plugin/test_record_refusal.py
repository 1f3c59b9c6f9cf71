"""Recording refuses bad evidence: a 401 or 403 is about the key, so it fails the test and writes nothing.

"Live" is the stand-in (``tests/standin.py``): with the wrong key it answers
401, and in its deny mode 401 or 403 whatever the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from standin import KEY, StandIn, serve

WRONG_KEY = "sk-wrong-5c1d9e2a7b3f4a60-NOT-THE-KEY"
TEST = """
import httpx

def test_summary(chat_cassette):
    reply = httpx.post("https://api.aimlapi.com/v1/chat/completions",
                       headers={"Authorization": "Bearer sk-dummy"},
                       json={"model": "alibaba/qwen3-vl-32b-thinking", "max_tokens": 20,
                             "messages": [{"role": "user", "content": "Hi"}]})
    reply.raise_for_status()
"""


def cassettes(pytester: pytest.Pytester) -> list[Path]:
    folder = pytester.path / "fixtures" / "cassettes"
    return sorted(folder.rglob("*.yaml")) if folder.exists() else []


def run_once(pytester: pytest.Pytester, base_url: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--contract-mode=once",
        f"--contract-base-url={base_url}",
        "--contract-retries=0",
    )


@pytest.mark.parametrize(
    ("deny", "status"), [(None, "401 Unauthorized"), (401, "401 Unauthorized"), (403, "403 Forbidden")]
)
def test_a_refused_key_fails_the_test_writes_no_cassette_and_once_records_later(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, deny: int | None, status: str
) -> None:
    pytester.makepyfile(test_summary=TEST)
    monkeypatch.setenv("AIMLAPI_API_KEY", WRONG_KEY if deny is None else KEY)
    with serve(StandIn(deny=deny)) as (_, base_url):
        refused = run_once(pytester, base_url)
    refused.assert_outcomes(failed=1)
    output = refused.stdout.str() + refused.stderr.str()
    refused.stdout.fnmatch_lines(
        [f"*KeyRefusedError: the live API answered {status} while recording, so it refused the API key*"]
    )
    assert "AIMLAPI_API_KEY" in output and "No cassette was written" in output
    assert WRONG_KEY not in output and KEY not in output and WRONG_KEY[-8:] not in output
    assert cassettes(pytester) == []

    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    with serve() as (_, base_url):
        run_once(pytester, base_url).assert_outcomes(passed=1)
    assert len(cassettes(pytester)) == 1
    assert "status: 200" in cassettes(pytester)[0].read_text()
