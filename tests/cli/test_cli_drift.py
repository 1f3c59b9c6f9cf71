"""``contract-kit drift``: the offline re-check of cassettes and the live probes (against the stand-in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from standin import KEY, StandIn, serve

from contract_kit.cassettes import load_cassette
from contract_kit.cli import main
from contract_kit.contract import load_overlay

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_cassettes_recheck_offline_with_known_deviations_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["drift", str(ROOT / "fixtures" / "cassettes")]) == 0
    out = capsys.readouterr().out
    assert "re-checked 1 interaction(s) in 1 cassette(s)" in out
    assert "contract drift: 0 new; 5 known (5 additive) in 1 checked response(s)" in out
    assert out.count("known additive undocumented-field  json   200") == 5


def test_live_probes_record_report_propose_and_exit_1_on_new_breaking_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    standin = StandIn(plant="type-change")  # every JSON answer's `created` becomes a string
    with serve(standin) as (_, base):
        code = main(
            [
                "drift",
                "--live",
                "--base-url",
                base,
                "--cassette-dir",
                str(tmp_path / "probes"),
                "--report",
                str(tmp_path / "report.json"),
                "--overlay",
                str(tmp_path / "proposed.yaml"),
                "--max-tokens",
                "48",
            ]
        )
    out = capsys.readouterr()
    assert code == 1, out.out
    names = sorted(p.name for p in (tmp_path / "probes").iterdir())
    assert names == sorted(
        f"probe-{n}.yaml"
        for n in [
            "plain",
            "stream",
            "stream-usage",
            "tools-required",
            "image",
            "json-format",
            "length",
            "invalid",
            # the error probes of drift.hypotheses (the oversized one only with --probe-large)
            "missing-nested",
            "wrong-type",
            "out-of-range",
            "outside-enum",
            "unknown-property",
            "unknown-model",
            "wrong-key",
            "no-key",
            "text-plain",
            # the edges of drift.edges: what the document allows that the live API may not
            "stop-object",
        ]
    )
    sent = [
        json.loads(json.dumps(load_cassette(tmp_path / "probes" / n).interactions[0].request.body))
        for n in names
    ]
    assert all(int((body or {}).get("max_tokens", 0)) <= 48 for body in sent)  # text-plain: raw
    assert load_cassette(tmp_path / "probes" / "probe-invalid.yaml").interactions[0].response.status == 400
    tools = load_cassette(tmp_path / "probes" / "probe-tools-required.yaml").interactions[0]
    assert tools.request.body["tool_choice"] == "required"
    report = json.loads((tmp_path / "report.json").read_text())
    new = {(f["kind"], f["severity"], f["path"]) for f in report["findings"] if not f["known"]}
    missed = {f["message"] for f in report["findings"] if f["rules"] == ["probe:tools-required"]}
    assert missed == set()  # reasoning leaves room for the tool call within 48 tokens
    assert tools.response.body["choices"][0]["finish_reason"] == "tool_calls"
    # this stand-in checks no request: its 200 to a broken request is another status than documented
    mismatched = {f["status"] for f in report["findings"] if f["kind"] == "status-mismatch"}
    assert mismatched == {"200", "400"}  # 400: text/plain where 415 is documented
    new.discard(("status-mismatch", "breaking", "$"))
    assert new == {("type-mismatch", "breaking", "$.created")}
    assert len(load_overlay(tmp_path / "proposed.yaml").actions) == 2
    assert "NEW   breaking type-mismatch       json   200    $.created" in out.out
    everything = out.out + out.err + "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert KEY not in everything

    assert main(["drift", str(tmp_path / "probes"), "--format", "json"]) == 1  # the same drift, offline
    offline = json.loads(capsys.readouterr().out)
    assert {(f["kind"], f["path"]) for f in offline["findings"] if not f["known"]} == {
        ("type-mismatch", "$.created"),
        ("status-mismatch", "$"),  # the probe cassettes are graded offline as live
    }


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["drift"], "give either a cassette folder"),
        (["drift", "nowhere-at-all"], "nowhere-at-all: no such cassette file or folder"),
        (["drift", "--live"], "needs an API key: export AIMLAPI_API_KEY="),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], words: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_malformed_cassette_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(
        "version: 1\nname: x\ninteractions:\n- request: {method: POST}\n  response: {}\n"
    )
    assert main(["drift", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bad.yaml'} at line 4: a request needs 'method'" in err
