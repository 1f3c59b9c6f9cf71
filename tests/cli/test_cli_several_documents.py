"""``--spec <folder>`` with two model pages of the seed's vendor: check, lint, spec, serve and drift.

``serve`` is driven by the openai SDK over real HTTP, and each answer is checked with
openapi-core against its own page's effective document.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import openai
import pytest
from standin import chat_body, record, serve
from test_cli_serve import serving
from two_pages import (
    B_MAX_TOKENS,
    MODEL_A,
    MODEL_B,
    PAGE_A,
    PAGE_B,
    chat,
    oracle,
    oracle_check,
    oracle_request,
    write_two_pages,
)

from contract_kit.cassettes import Cassette, write_cassette
from contract_kit.cli import check as check_command
from contract_kit.cli import main


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_pages(tmp_path_factory.mktemp("pages"))


def test_check_runs_per_document_and_exits_0(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--spec", str(folder), "--examples", "4", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"contract-kit check: document {PAGE_A}, profile observed" in out
    assert f"contract-kit check: document {PAGE_B}, profile observed" in out
    assert out.count("ok: all 3 properties hold") == 2
    assert out.rstrip().endswith("contract-kit check: 2 documents, ok")


def test_check_fails_naming_the_document_whose_suite_fails(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every document is checked even after one fails; the exit status is 1 and the failing one is named.

    (The suite's own failures are tested in test_check_cli.py; here B's suite is made to fail.)"""
    checked: list[str] = []

    def suite_of(args: Any, contract: Any, documents: Any, seed: int) -> bool:
        checked.append(contract.files.document.name)
        return contract.files.document.name != PAGE_B

    monkeypatch.setattr(check_command, "_check_document", suite_of)
    assert main(["check", "--spec", str(folder / PAGE_B), "--spec", str(folder / PAGE_A)]) == 1
    assert checked == [PAGE_B, PAGE_A]
    assert capsys.readouterr().out.rstrip().endswith(f"contract-kit check: 2 documents, FAILED: {PAGE_B}")


def test_lint_names_the_document_on_every_line(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["lint", "--spec", str(folder / PAGE_A), "--spec", str(folder / PAGE_B), "--scope", "operation"]
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert code in (0, 1)
    assert {line.split(": ", 1)[0] for line in lines} == {PAGE_A, PAGE_B}
    assert main(["lint", "--spec", str(folder), "--format", "json", "--scope", "operation"]) == code
    reports = json.loads(capsys.readouterr().out)
    assert [Path(r["document"]).name for r in reports] == [PAGE_A, PAGE_B]


def test_spec_prints_each_effective_document_by_name(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    joined = os.pathsep.join([str(folder / PAGE_A), str(folder / PAGE_B)])
    assert main(["spec", "--spec", joined]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert list(documents) == [PAGE_A, PAGE_B]
    schemas = [
        d["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for d in documents.values()
    ]
    assert [s["properties"]["model"]["enum"] for s in schemas] == [[MODEL_A], [MODEL_B]]
    assert main(["spec", "--spec", str(folder / PAGE_A)]) == 0  # one document: the document itself
    assert json.loads(capsys.readouterr().out)["openapi"]


def test_serve_answers_the_openai_sdk_for_both_models_each_by_its_own_document(folder: Path) -> None:
    oracles = {MODEL_A: oracle(folder / PAGE_A), MODEL_B: oracle(folder / PAGE_B)}
    with serving("--spec", str(folder)) as (url, process):
        client = openai.OpenAI(api_key="sk-test", base_url=url + "/v1", max_retries=0)
        for model in (MODEL_A, MODEL_B):
            body = chat(model, max_tokens=64)
            answer = client.chat.completions.create(**body)
            oracles[model].validate_request(oracle_request(body))
            oracle_check(oracles[model], body, 200, answer.model_dump(exclude_unset=True))
            chunks = list(client.chat.completions.create(**body, stream=True))
            assert chunks and any(c.choices and c.choices[0].finish_reason for c in chunks)
        big = B_MAX_TOKENS + 1
        assert client.chat.completions.create(**chat(MODEL_A, max_tokens=big)).choices
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(**chat(MODEL_B, max_tokens=big))
        assert refused.value.status_code == 400 and "max_tokens" in str(refused.value)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(**chat("nobody/else"))
        assert [m.id for m in client.models.list()] == [MODEL_A, MODEL_B]
        process.send_signal(2)
        _, err = process.communicate(timeout=10)
    assert f"2 documents: {PAGE_A}, {PAGE_B}" in err


def test_drift_names_the_document_of_each_finding(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One planted deviation answered for each model: each finding names its model's document."""
    with serve() as (_, base):
        planted = record(base, chat_body("plant:extra-field hello"))
    as_b = dataclasses.replace(
        planted, request=dataclasses.replace(planted.request, body={**planted.request.body, "model": MODEL_B})
    )
    write_cassette(tmp_path / "cassettes" / "two.yaml", Cassette("two", [planted, as_b]))
    report = tmp_path / "drift.json"
    summary, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
    outputs = ["--report", str(report), "--summary", str(summary), "--junit", str(junit)]
    code = main(["drift", str(tmp_path / "cassettes"), "--spec", str(folder), *outputs])
    out = capsys.readouterr().out
    assert code == 0, out  # an additive finding
    assert f"document: {PAGE_A}" in out and f"document: {PAGE_B}" in out
    mood = [f for f in json.loads(report.read_text())["findings"] if f["path"] == "$.choices[*].message.mood"]
    assert sorted(f["document"] for f in mood) == [PAGE_A, PAGE_B]
    mood_rows = [line for line in summary.read_text().splitlines() if "message.mood" in line]
    assert sorted(row.rstrip(" |").rsplit("| ", 1)[-1] for row in mood_rows) == [PAGE_A, PAGE_B]
    assert f"in {PAGE_B}" in junit.read_text()
