"""A team's own overlays: added on every command and in pytest, after the profile's, and where accepted drift goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from standin import EXACT, KEY, StandIn, serve

import contract_kit._resources as resources
from contract_kit.cli import main
from contract_kit.contract import load_contract

ROOT = Path(__file__).resolve().parents[2]
OVERLAY_HEAD = {"overlay": "1.0.0", "info": {"title": "team", "version": "1"}}


def team_overlay(path: Path, value: str) -> Path:
    path.write_text(
        yaml.safe_dump({**OVERLAY_HEAD, "actions": [{"target": "$.info", "update": {"x-team": value}}]}),
        encoding="utf-8",
    )
    return path


def test_load_contract_applies_the_teams_overlays_last_in_order(tmp_path: Path) -> None:
    first, second = team_overlay(tmp_path / "a.yaml", "first"), team_overlay(tmp_path / "b.yaml", "second")
    contract = load_contract("observed", overlays=[first, second])
    assert contract.document["info"]["x-team"] == "second"
    applied = [ref.path.name for ref in contract.files.overlays_for("observed")]
    assert applied == ["repairs.yaml", "observed.yaml", "a.yaml", "b.yaml"]
    assert "x-team" not in load_contract("observed").document["info"]


@pytest.mark.parametrize("flag", ["--overlay", "--contract-overlay"])
def test_spec_takes_the_teams_overlay(flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", flag, str(team_overlay(tmp_path / "team.yaml", "cli"))]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["x-team"] == "cli"


def test_a_missing_team_overlay_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", "--overlay", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def _probe(tmp_path: Path, *extra: str) -> dict[str, object]:
    """Live probes against a stand-in whose answers carry an undocumented field; the proposal it writes."""
    with serve(StandIn(plant="extra-field", errors=EXACT)) as (_, base):  # errors as documented
        live = ["drift", "--live", "--base-url", base, "--cassette-dir", str(tmp_path / "probes")]
        code = main([*live, "--overlay", str(tmp_path / "proposed.yaml"), *extra])
    assert code == 0  # additive drift warns
    proposal: dict[str, object] = yaml.safe_load((tmp_path / "proposed.yaml").read_text(encoding="utf-8"))
    return proposal


def test_accepting_drift_appends_to_the_teams_overlay_and_makes_it_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    team = team_overlay(tmp_path / "team.yaml", "ours")
    proposal = _probe(tmp_path, "--contract-overlay", str(team))
    meta = proposal["x-contract-kit"]
    assert isinstance(meta, dict)
    assert meta["accept-into"] == str(team) and meta["applies-after"] == str(team)
    capsys.readouterr()

    def new_findings() -> set[str]:
        assert (
            main(["drift", str(tmp_path / "probes"), "--contract-overlay", str(team), "--format", "json"])
            == 0
        )
        report = json.loads(capsys.readouterr().out)
        return {f["path"] for f in report["findings"] if not f["known"]}

    assert "$.choices[*].message.mood" in new_findings()
    accepted = yaml.safe_load(team.read_text(encoding="utf-8"))
    accepted["actions"] += proposal["actions"]  # type: ignore[operator]
    team.write_text(yaml.safe_dump(accepted), encoding="utf-8")
    assert "$.choices[*].message.mood" not in new_findings()  # reviewed: now known


def test_an_installed_kit_never_proposes_editing_its_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    monkeypatch.setattr(resources, "bundled_is_installed", lambda: True)
    meta = _probe(tmp_path)["x-contract-kit"]
    assert isinstance(meta, dict)
    assert meta["accept-into"].startswith("an overlay of your own")
    assert "--contract-overlay" in meta["accept-into"]


def test_pytest_reads_the_teams_overlays_from_ini_and_the_command_line_replaces_them(
    pytester: pytest.Pytester,
) -> None:
    team_overlay(pytester.path / "a.yaml", "first")
    team_overlay(pytester.path / "b.yaml", "second")
    team_overlay(pytester.path / "c.yaml", "cli")
    pytester.makeini("[pytest]\ncontract_overlays =\n    a.yaml\n    b.yaml\n")
    pytester.makepyfile(
        test_team="""
import os

def test_overlay(contract):
    assert contract.document["info"]["x-team"] == os.environ["EXPECTED"]
"""
    )
    pytester.syspathinsert()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPECTED", "second")
        pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
        patch.setenv("EXPECTED", "cli")
        pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--contract-overlay", "c.yaml"
        ).assert_outcomes(passed=1)
