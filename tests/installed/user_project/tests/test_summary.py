# The README's "Replay in CI" test, for this project's model: recorded once by the smoke
# (`AIMLAPI_API_KEY=... pytest --contract-mode=once tests/test_summary.py`), then replayed.
import openai

MODEL = "alibaba/qwen3-vl-8b-thinking"


def test_summary_keeps_the_reasoning_out(chat_cassette):
    client = openai.OpenAI(api_key="sk-dummy", base_url="https://api.aimlapi.com/v1", max_retries=0)
    reply = client.chat.completions.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Summarize: the sea is wide."}]
    )
    assert reply.choices[0].message.content
    assert reply.model == "qwen3-vl-8b-thinking"
