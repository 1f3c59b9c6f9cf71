"""How a team tests its own code with contract-kit: copy this file into your test suite.

The code under test is a tiny "summarize" helper built on the official openai SDK.
Run it with:  pytest examples/
"""

from __future__ import annotations

import openai
import pytest
from hypothesis import given, settings

from contract_kit.strategies import chat_streams

MODEL = "alibaba/qwen3-vl-32b-thinking"


# --- the code under test ---------------------------------------------------------------------------
def summarize(client: openai.OpenAI, text: str) -> str:
    """Ask for a summary; on a rate limit, say so instead of crashing."""
    try:
        reply = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Summarize: {text}"}], max_tokens=400
        )
    except openai.RateLimitError:
        return "(busy, try again later)"
    return reply.choices[0].message.content or ""


def join_stream(chunks: list[dict]) -> str:
    """Our own SSE consumer's reassembly step."""
    return "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c["choices"])


# --- the tests -------------------------------------------------------------------------------------
@pytest.fixture
def client() -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url="https://api.aimlapi.com/v1", max_retries=0)


def test_summarize_returns_the_models_answer(chat_mock, client):
    chat_mock.reply("The sea is wide.")
    assert summarize(client, "a long text about the sea") == "The sea is wide."
    assert chat_mock.last_call.body["messages"][0]["content"].startswith("Summarize:")


def test_summarize_survives_a_rate_limit(chat_mock, client):
    chat_mock.error(429, retry_after=1)
    assert summarize(client, "anything") == "(busy, try again later)"


def test_what_we_send_honours_the_contract(chat_mock, client, contract):
    summarize(client, "check my request")
    contract.assert_request(chat_mock.last_call.body)


@settings(max_examples=50, deadline=None)
@given(chat_streams(profile="observed"))
def test_our_stream_reassembly_matches_the_contracts(stream):
    assert join_stream(stream.chunks) == stream.content
