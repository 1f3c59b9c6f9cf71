"""Hostile files the kit reads or writes: alias bombs, $ref loops, truncated and impossible cassettes.

Each one is a usage error (exit 2) naming the file, found fast, never a
hang, a 3 GB expansion or an internal error (exit 3).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from contract_kit.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    ReplayHandler,
    atomic_write_text,
    dump_cassette,
    load_cassette,
    parse_cassette,
    write_cassette,
)
from contract_kit.cassettes.replay import MAX_REPLAY_DELAY
from contract_kit.cli.main import main
from contract_kit.contract import load_contract
from contract_kit.errors import CassetteError, SpecError
from contract_kit.mock import MockRequest

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "aimlapi-qwen3-vl-32b-thinking.json"

ALIAS_BOMB = "\n".join(
    [f"a: &a [{', '.join(['lol' * 25] * 9)}]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["openapi: 3.0.0"]
)


def test_the_alias_bomb_is_small() -> None:
    assert 1000 < len(ALIAS_BOMB.encode()) < 1300  # 9**9 = 387 million values once expanded


@pytest.mark.parametrize("command", ["lint", "spec", "check"])
def test_an_alias_bomb_spec_is_refused_fast_with_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    start = time.monotonic()
    assert main([command, "--spec", str(bomb)]) == 2
    assert time.monotonic() - start < 5
    err = capsys.readouterr().err
    assert str(bomb) in err and "alias" in err and "Traceback" not in err


def test_an_alias_bomb_overlay_is_refused(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text(SPEC.read_text())
    (tmp_path / "repairs.yaml").write_text(ALIAS_BOMB)
    start = time.monotonic()
    with pytest.raises(SpecError, match="alias") as info:
        load_contract(spec=str(tmp_path / "spec.json"))
    assert time.monotonic() - start < 5
    assert "repairs.yaml" in str(info.value)


def test_a_few_aliases_in_a_spec_are_still_fine(tmp_path: Path) -> None:
    from contract_kit._files import parse_yaml

    data = parse_yaml("base: &b {type: string}\nx: *b\ny: *b\n", "s.yaml")
    assert data["x"] == data["y"] == {"type": "string"}


def test_a_recursive_alias_is_refused() -> None:
    from contract_kit._files import parse_yaml

    with pytest.raises(SpecError, match="refers to itself"):
        parse_yaml("a: &a [1, *a]\n", "s.yaml")


def _cassette(*interactions: Interaction) -> Cassette:
    return Cassette("t", list(interactions))


def _interaction(content: str = "hi", elapsed: float = 0.0) -> Interaction:
    request = RecordedRequest(
        "POST", "/v1/chat/completions", {}, {"model": "m", "messages": [{"role": "user", "content": content}]}
    )
    response = RecordedResponse(200, {"content-type": "application/json"}, {"ok": True}, "compact")
    response.elapsed = elapsed
    return Interaction(request, response)


def test_aliases_in_a_cassette_are_refused_with_the_file_and_line(tmp_path: Path) -> None:
    text = dump_cassette(_cassette(_interaction()))
    text = text.replace("request:\n", "request: &r\n", 1) + "  - request: *r\n    response: {status: 200}\n"
    path = tmp_path / "aliased.yaml"
    path.write_text(text.replace("count: 1", "count: 2"))
    with pytest.raises(CassetteError, match="aliases") as info:
        load_cassette(path)
    assert str(path) in str(info.value) and "line" in str(info.value)


def test_an_alias_bomb_cassette_is_refused_fast_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB)
    start = time.monotonic()
    assert main(["drift", str(tmp_path)]) == 2
    assert time.monotonic() - start < 5
    assert "bomb.yaml" in capsys.readouterr().err


def test_a_ref_loop_is_a_usage_error_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(SPEC.read_text())
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["A"], schemas["B"] = {"$ref": "#/components/schemas/B"}, {"$ref": "#/components/schemas/A"}
    request = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]
    request["schema"]["properties"]["loop"] = {"$ref": "#/components/schemas/A"}
    spec = tmp_path / "loop.json"
    spec.write_text(json.dumps(document))
    assert main(["spec", "--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and "$ref loop" in err and "#/components/schemas/A" in err
    assert "internal error" not in err


def test_a_truncated_cassette_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    atomic_write_text(path, dump_cassette(_cassette(_interaction("one"), _interaction("two"))))
    text = path.read_text()
    assert len(load_cassette(path).interactions) == 2
    cut = text[: text.index("- request:", text.index("- request:") + 1)]  # the second interaction is gone
    path.write_text(cut)
    with pytest.raises(CassetteError, match="truncated") as info:
        load_cassette(path)
    assert str(path) in str(info.value)


def test_a_hand_written_cassette_needs_no_count() -> None:
    text = "version: 1\nname: t\ninteractions:\n  - request: {method: POST, path: /v1/x}\n    response: {status: 200}\n"
    assert len(parse_cassette(text).interactions) == 1


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "-1", "1e400"])
@pytest.mark.parametrize("field", ["elapsed", "at"])
def test_impossible_times_are_a_cassette_error_not_an_overflow(field: str, value: str) -> None:
    response = (
        f"{{status: 200, elapsed: {value}}}"
        if field == "elapsed"
        else f"{{status: 200, reads: [{{at: {value}, text: 'data: [DONE]\\n\\n'}}]}}"
    )
    text = f"version: 1\nname: t\ninteractions:\n  - request: {{method: POST, path: /v1/x}}\n    response: {response}\n"
    with pytest.raises(CassetteError, match=field):
        parse_cassette(text, "t.yaml")


def test_a_huge_recorded_delay_is_capped_in_a_timed_replay() -> None:
    handler = ReplayHandler(_cassette(_interaction(elapsed=1e9)), timing=1.0)
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    response = handler(MockRequest("POST", "https://x/v1/chat/completions", "/v1/chat/completions", {}, body))
    assert 0 < response.first_byte_delay <= MAX_REPLAY_DELAY


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_get_the_permissions_open_would_give(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        path = write_cassette(tmp_path / "c.yaml", _cassette(_interaction())).path
    finally:
        os.umask(old)
    assert path is not None
    assert path.stat().st_mode & 0o777 == mode
