"""Issue 12: hypotheses probed, planted deviations found, baseline, and the report forms (JUnit, HTML, Markdown)."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from standin import DEVIANT, DEVIATIONS, EXACT, KEY, StandIn, serve

from contract_kit.cli import main
from contract_kit.contract import load_contract
from contract_kit.drift import (
    BaselineEntry,
    DriftChecker,
    Finding,
    apply_baseline,
    edge_probes,
    error_probes,
    hypotheses_of,
)

HERE = Path(__file__).resolve().parent
VERDICTS = {"confirmed", "refuted", "not probed"}


def _live(tmp: Path, errors: frozenset[str], monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, str]:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    args = ["--report", str(tmp / "r.json"), "--html", str(tmp / "r.html"), "--junit", str(tmp / "j.xml")]
    args += ["--summary", str(tmp / "s.md"), "--write-baseline", str(tmp / "b.yaml"), *extra]
    live = ["drift", "--live", "--cassette-dir", str(tmp / "c"), "--max-tokens", "1024", "--backoff", "0.01"]
    large = ["--probe-large", "--probe-large-bytes", str(2 << 20)]
    with serve(StandIn(errors=errors, max_body=1 << 20)) as (_, base):
        code = main([*live, "--base-url", base, *large, *args])
    return code, ""


@pytest.fixture(scope="module")
def deviant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    tmp = tmp_path_factory.mktemp("deviant")
    with pytest.MonkeyPatch.context() as mp:
        code, _ = _live(tmp, DEVIANT, mp)
    return tmp, code, ""


def _report(tmp: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp / "r.json").read_text())
    return data


def test_deviant_standin_every_planted_deviation_is_reported(deviant: tuple[Path, int, str]) -> None:
    tmp, code, _ = deviant
    assert code == 1
    new = {
        (f["kind"], f["severity"], f["where"], f["path"], f["status"])
        for f in _report(tmp)["findings"]
        if not f["known"]
    }
    for name, expected in DEVIATIONS.items():
        assert expected in new, (name, sorted(new))


def test_deviant_standin_every_hypothesis_gets_a_verdict(deviant: tuple[Path, int, str]) -> None:
    tmp, _, _ = deviant
    verdicts = {h["id"]: h for h in _report(tmp)["hypotheses"]}
    wanted = {h.id for h in hypotheses_of(DriftChecker.for_spec())}
    assert set(verdicts) == wanted
    assert {"status-400", "status-401", "status-404", "status-413", "status-415", "status-429"} <= wanted
    assert all(v["verdict"] in VERDICTS for v in verdicts.values())
    assert verdicts["status-400"]["verdict"] == "refuted"
    assert "probe wrong-type: 422" in verdicts["status-400"]["seen_instead"]
    assert verdicts["error-body"]["verdict"] == "refuted"
    assert verdicts["retry-after"]["verdict"] == "refuted"
    assert verdicts["status-401"]["verdict"] == "confirmed"
    assert verdicts["status-5XX"]["verdict"] == "not probed"


def test_exact_standin_gives_no_new_findings_and_confirms_the_hypotheses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _live(tmp_path, EXACT, monkeypatch)
    out = capsys.readouterr().out
    report = _report(tmp_path)
    assert [f for f in report["findings"] if not f["known"]] == [], out
    assert code == 0
    verdicts = {h["id"]: h["verdict"] for h in report["hypotheses"]}
    assert verdicts.pop("status-5XX") == "not probed"
    assert set(verdicts.values()) == {"confirmed"}, verdicts


def test_the_key_is_in_no_written_file_and_no_output(
    deviant: tuple[Path, int, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, _, _ = deviant
    written = [p for p in tmp.rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".json", ".html", ".xml", ".md", ".yaml"}
    for path in written:
        assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path
    _live(tmp_path, DEVIANT, monkeypatch)
    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err
    assert KEY[-12:] not in captured.out + captured.err


def test_deviant_standin_refusing_stop_objects_refutes_the_edge_hypothesis(
    deviant: tuple[Path, int, str],
) -> None:
    """Issue 15: ``stop: {}`` is allowed by the document; a live API that refuses it is drift, not a mock rule."""
    tmp, _, _ = deviant
    report = _report(tmp)
    verdict = next(h for h in report["hypotheses"] if h["id"] == "stop-any-value")
    assert verdict["verdict"] == "refuted" and verdict["seen_instead"] == ["probe stop-object: status 400"]
    mismatch = [f for f in report["findings"] if f["kind"] == "status-mismatch" and f["status"] == "400"]
    assert mismatch and "narrower than the document" in mismatch[0]["message"]
    assert (tmp / "c" / "probe-stop-object.yaml").is_file()


def test_edge_probes_expect_what_the_effective_contract_says(tmp_path: Path) -> None:
    [probe] = edge_probes(DriftChecker.for_spec())
    assert probe.name == "stop-object" and json.loads(probe.body)["stop"] == {} and probe.expect == (200,)
    narrowing = tmp_path / "narrow-stop.yaml"
    narrowing.write_text(
        "overlay: 1.0.0\ninfo: {title: narrow stop, version: '1'}\nactions:\n"
        "- target: $.paths['/v1/chat/completions'].post.requestBody.content['application/json']"
        ".schema.properties.stop.anyOf[2]\n"
        "  remove: true\n",
        encoding="utf-8",
    )
    [narrowed] = edge_probes(DriftChecker.for_spec(None, [narrowing]))
    assert narrowed.expect == (400,)


def test_each_error_probe_breaks_exactly_one_documented_rule() -> None:
    documented = load_contract("documented")
    schema_probes = [p for p in error_probes() if p.expect == (400,)]
    assert len(schema_probes) == 5
    rules = []
    for probe in schema_probes:
        found = documented.validate_request(json.loads(probe.body))
        assert len(found) == 1, (probe.name, found)
        rules.append(found[0].rule)
    assert sorted(rules) == sorted(["required", "type", "maximum", "enum", "additionalProperties"])
    sized = [json.loads(p.body) for p in error_probes(large_bytes=10) if p.name != "text-plain"]
    assert all(int(body["max_tokens"]) <= 16 for body in sized)


def test_junit_is_valid_against_the_common_junit_schema(deviant: tuple[Path, int, str]) -> None:
    xmlschema = pytest.importorskip("xmlschema")  # a test dependency (pyproject [test])
    tmp, _, _ = deviant
    schema = xmlschema.XMLSchema(str(HERE / "junit.xsd"))
    schema.validate(str(tmp / "j.xml"))
    tree = schema.to_dict(str(tmp / "j.xml"))
    cases = tree["testcase"]
    assert len(cases) == int(tree["@tests"]) >= 18
    failed = {c["@name"] for c in cases if "failure" in c}
    assert {"probe wrong-type", "probe json-format", "probe tools-required", "probe stream"} <= failed
    assert "probe unknown-model" not in failed
    assert int(tree["@failures"]) == len(failed)


def test_markdown_summary_lists_new_findings_and_verdicts(deviant: tuple[Path, int, str]) -> None:
    tmp, _, _ = deviant
    text = (tmp / "s.md").read_text()
    assert text.startswith("## Contract drift")
    assert "| breaking | status-mismatch | status | 422 | `$` | [400] | 422 |" in text
    assert "**refuted**" in text and "**not probed**" in text


def _finding(kind: str = "stream-framing", path: str = "$", where: str = "stream") -> Finding:
    return Finding(kind, "breaking", path, where)


def test_baseline_silences_exactly_what_it_matches_and_an_expired_entry_does_not() -> None:
    today = datetime.date(2026, 12, 1)
    framing, usage, semantic = _finding(), _finding(path="$.usage"), _finding("semantic", "$.x", "json")
    entries = [
        BaselineEntry("stream-framing", "$", "stream", "vendor drops [DONE]", expires=today),
        BaselineEntry("semantic", "$.x", "json", "lives with it", expires=today - datetime.timedelta(days=1)),
    ]
    result = apply_baseline([framing, usage, semantic], entries, today)
    assert (framing.known, framing.baseline) == (True, "vendor drops [DONE]")
    assert not usage.known and not semantic.known
    assert result.matched == 1 and [e.kind for e in result.expired] == ["semantic"]


def test_written_baseline_accepts_the_run_offline_and_expires(
    deviant: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, _, _ = deviant
    proposed = (tmp / "b.yaml").read_text()
    assert "reason: 'TODO: say why the team accepts this finding'" in proposed
    with pytest.MonkeyPatch.context() as mp:
        code, _ = _live(tmp_path / "accepted", DEVIANT, mp, "--baseline", str(tmp / "b.yaml"))
    assert code == 0
    assert [f for f in _report(tmp_path / "accepted")["findings"] if not f["known"]] == []
    assert "contract drift: 0 new" in capsys.readouterr().out
    expired = tmp_path / "expired.yaml"
    expired.write_text(proposed.replace("expires: '20", "expires: '19"))
    with pytest.MonkeyPatch.context() as mp:
        code, _ = _live(tmp_path / "expired", DEVIANT, mp, "--baseline", str(expired))
    assert code == 1
    assert "EXPIRED" in capsys.readouterr().out


def test_drift_diff_prints_what_appeared_and_disappeared(
    deviant: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, _, _ = deviant
    old = json.loads((tmp / "r.json").read_text())
    gone = old["findings"].pop(0)
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert main(["drift", "diff", str(tmp_path / "old.json"), str(tmp / "r.json")]) == 1
    out = capsys.readouterr().out
    assert "1 finding(s) appeared since the last run" in out and gone["kind"] in out
    assert main(["drift", "diff", str(tmp / "r.json"), str(tmp / "r.json")]) == 0


@pytest.mark.parametrize("make", ["empty", "unreadable"])
def test_an_empty_or_unreadable_cassette_folder_exits_2(
    make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    if make == "unreadable":
        (folder / "a.yaml").write_text("{")
    assert main(["drift", str(folder)]) == 2
    assert "cassette" in capsys.readouterr().err


def test_terminal_table_is_at_most_100_columns_and_keeps_json_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    with serve(StandIn(plant="type-change")) as (_, base):
        main(["drift", "--live", "--base-url", base, "--cassette-dir", str(tmp_path), "--max-tokens", "1024"])
    out = capsys.readouterr().out
    table = out[out.index("contract drift:") :]
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "seen: " in out and " json" in out and " error" in out
    row = next(line for line in out.splitlines() if "type-mismatch" in line and "$.created" in line)
    block = out.split(row + "\n", 1)[1].splitlines()
    assert block[0].strip() in ('expected: "integer"', 'expected: "number"')
    assert block[1].strip().startswith('observed: "17')  # the string keeps its quotes


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
_MEASURE = """<script>
const over = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 1280.5);
document.body.setAttribute('data-width', document.documentElement.scrollWidth);
document.body.setAttribute('data-overflow', over.length);
document.body.setAttribute('data-findings', document.querySelectorAll('section.finding').length);
</script></body>"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1280,2000",
    ]
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (.ci/run installs it: apt-get install chromium)"
)
def test_html_report_renders_in_headless_chromium(deviant: tuple[Path, int, str], tmp_path: Path) -> None:
    tmp, _, _ = deviant
    page = (tmp / "r.html").read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page  # nothing to fetch
    report = _report(tmp)
    for finding in report["findings"]:
        key = "|".join(str(finding[k]) for k in ("kind", "where", "status", "path"))
        assert f'data-key="{key}"'.replace('"$', '"$') in page.replace("&quot;", '"'), key
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", _MEASURE))
    dom = _chromium(tmp_path, "--dump-dom", measured.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-findings="{len(report["findings"])}"' in dom.stdout
    assert 'data-overflow="0"' in dom.stdout
    assert 'data-width="1280"' in dom.stdout or 'data-width="1265"' in dom.stdout
    artifacts = Path(os.environ.get("CONTRACT_KIT_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "drift-report.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", (tmp / "r.html").as_uri())
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]


def test_proposals_use_every_sample_types_merged_nullability_and_repeated_enums() -> None:
    from contract_kit.drift import DriftCollector, propose
    from contract_kit.validation import Violation

    collector = DriftCollector()
    for value in (3, 3.5, None, 4):
        violation = Violation(
            "$.choices[0].message.mood",
            "additionalProperties",
            "x",
            "response",
            None,
            value,
            kind="undocumented",
        )
        collector.add(classify_one(violation))
    for value in ("sunny", "rainy", "sunny", "rainy"):
        violation = Violation(
            "$.choices[0].message.sky",
            "additionalProperties",
            "x",
            "response",
            None,
            value,
            kind="undocumented",
        )
        collector.add(classify_one(violation))
    by_path = {f.path: f for f in collector.sorted()}
    assert by_path["$.choices[*].message.mood"].hint == {"type": "number", "nullable": True}
    assert by_path["$.choices[*].message.sky"].hint == {"type": "string", "enum": ["rainy", "sunny"]}
    overlay = propose(collector.sorted(), load_contract("observed"), responses=8)
    assert overlay is not None
    mood = next(a for a in overlay["actions"] if "mood" in json.dumps(a["update"]))
    assert mood["x-contract-kit-samples"] == 4
    assert mood["update"] == {"mood": {"type": "number", "nullable": True}}
    assert 3.5 in mood["x-contract-kit-examples"]
    once = DriftCollector()
    once.add(
        classify_one(
            Violation("$.x", "additionalProperties", "x", "response", None, "only-once", kind="undocumented")
        )
    )
    assert once.sorted()[0].hint == {"type": "string"}  # one value is no enum


def classify_one(violation: Any) -> list[Finding]:
    from contract_kit.drift import classify

    return classify(violation)


README = HERE.parents[1] / "README.md"


def test_readme_nightly_workflow_uses_baseline_diff_and_summary_with_real_options() -> None:
    import shlex

    import yaml

    from contract_kit.cli.main import build_parser

    text = README.read_text()
    block = text.split("# .github/workflows/drift.yml\n", 1)[1].split("```", 1)[0]
    workflow = yaml.safe_load(block)
    runs = [step.get("run", "") for step in workflow["jobs"]["drift"]["steps"]]
    probe = next(r for r in runs if "drift --live" in r)
    assert "--baseline drift-baseline.yaml" in probe and '--summary "$GITHUB_STEP_SUMMARY"' in probe
    assert any("contract-kit drift diff last-night/drift.json drift.json" in r for r in runs)
    argv = shlex.split(probe.replace("\\\n", " ").replace('"$GITHUB_STEP_SUMMARY"', "summary.md"))
    args = build_parser().parse_args(argv[1:])  # every option the README uses exists
    assert args.baseline == "drift-baseline.yaml" and args.junit == "drift-junit.xml"


def test_readme_severity_table_is_the_code_table() -> None:
    from contract_kit.drift import SEVERITY_RULES

    text = README.read_text()
    for _, severity, kind in SEVERITY_RULES:
        assert f"| {severity} | `{kind}` |" in text


def test_offline_recheck_of_probe_cassettes_grades_them_as_live(
    deviant: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, _, _ = deviant
    assert main(["drift", str(tmp / "c"), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    new = {(f["kind"], f["status"]) for f in report["findings"] if not f["known"]}
    assert ("status-mismatch", "422") in new and ("undocumented-status", "422") not in new
    verdicts = {h["id"]: h["verdict"] for h in report["hypotheses"]}
    assert verdicts["status-400"] == "refuted" and verdicts["status-401"] == "confirmed"
    assert verdicts["retry-after"] == "not probed"  # the retried 429 is in no cassette
