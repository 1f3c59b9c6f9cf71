"""The ``contract-kit`` command line, run as a user runs it: ``lint`` and ``spec``, exit codes, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contract_kit import _resources, load_contract
from contract_kit.cli import main

OPERATION = "#/paths/~1v1~1chat~1completions/post"  # lint locations are document-absolute JSON pointers
RESPONSE_200 = f"{OPERATION}/responses/200"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contract_kit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


# -- lint ----------------------------------------------------------------------------
def test_lint_reports_the_missing_description_and_the_missing_role() -> None:
    result = run("lint")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert f"  error   {RESPONSE_200}: 'description' is a required property" in lines
    assert (
        "          -> repaired by repairs.yaml action #0 ($.paths['/v1/chat/completions'].post.responses['200'])"
        in lines
    )
    assert (
        "  error   python_request.json $.messages[0]: 'role' is a required property (rule: required)" in lines
    )
    assert "javascript_request.json" not in result.stdout
    assert lines[-1] == "2 error(s), 4 warning(s), 0 info; 5 resolved by overlays. Exit 1."


@pytest.mark.parametrize("profile", ["observed", "documented"])
def test_lint_json_format(profile: str) -> None:
    result = run("lint", "--profile", profile, "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"] == profile
    assert data["exit_code"] == 1
    errors_and_warnings = {
        (f["code"], f["location"], f["resolved"])
        for f in data["findings"]
        if f["severity"] in ("error", "warning")
    }
    smells_resolved = profile == "observed"
    assert errors_and_warnings == {
        ("openapi-invalid", RESPONSE_200, True),
        ("example-schema", "python_request.json $.messages[0]", False),
        ("chunk-finish-reason-not-nullable", OPERATION, smells_resolved),
        ("message-content-not-nullable", OPERATION, smells_resolved),
        ("no-error-responses", OPERATION, smells_resolved),
        ("no-security-scheme", OPERATION, smells_resolved),
    }
    infos = [f for f in data["findings"] if f["severity"] == "info"]
    assert len(infos) == (5 if profile == "documented" else 0)
    assert all(f["location"].startswith("example_response.json ") for f in infos)


def test_console_script_is_installed() -> None:
    script = shutil.which("contract-kit", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run(
        [script, "lint", "--format", "json"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "findings" in json.loads(result.stdout)


def test_lint_clean_document_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "clean.json"
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "security": [{"key": []}],
        "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/v1/chat/completions": {
                "post": {"responses": {"200": {"description": "ok"}, "default": {"description": "error"}}}
            }
        },
    }
    spec.write_text(json.dumps(document), encoding="utf-8")
    assert main(["lint", "--spec", str(spec), "--profile", "documented"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "0 error(s), 0 warning(s), 0 info; 0 resolved by overlays. Exit 0."
    )


# -- spec --------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["documented", "observed"])
def test_spec_yaml_is_the_effective_document(profile: str) -> None:
    result = run("spec", "--profile", profile, "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == load_contract(profile).document


def test_spec_json_is_the_effective_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--profile", "documented", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == load_contract("documented").document
    assert main(["spec"]) == 0
    assert json.loads(capsys.readouterr().out) == load_contract("observed").document


def test_spec_output_reloads_as_a_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--profile", "documented", "--format", "yaml"]) == 0
    exported = tmp_path / "exported.yaml"
    exported.write_text(capsys.readouterr().out, encoding="utf-8")
    reloaded = load_contract("documented", exported)
    assert reloaded.request_schema == load_contract("documented").request_schema
    assert reloaded.skipped_actions == []


# -- errors: one line, exit 2, no traceback ------------------------------------------------
def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["lint", "spec"])
def test_bad_spec_path(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.json"
    line = _one_line_error(run(command, "--spec", str(missing)), str(missing), "not found")
    assert line.startswith(f"contract-kit {command}: error: ")


def test_malformed_spec_names_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.json"
    spec.write_text('{\n  "openapi": "3.0.0",\n  "paths": {,\n}\n', encoding="utf-8")
    _one_line_error(run("lint", "--spec", str(spec)), str(spec), "line 3")


@pytest.mark.parametrize(
    ("overlay", "profile"), [("repairs.yaml", "documented"), ("observed.yaml", "observed")]
)
def test_malformed_overlay_next_to_a_copied_spec(tmp_path: Path, overlay: str, profile: str) -> None:
    spec = tmp_path / _resources.DOCUMENT_NAME
    shutil.copy(_resources.default_document(), spec)
    shutil.copy(_resources.openapi_dir() / "repairs.yaml", tmp_path / "repairs.yaml")
    (tmp_path / overlay).write_text(
        "overlay: 1.0.0\ninfo: {title: broken, version: '1'}\nactions:\n  - target: $.info\n    update: {a: [b\n",
        encoding="utf-8",
    )
    line = _one_line_error(run("lint", "--spec", str(spec), "--profile", profile), str(tmp_path / overlay))
    assert " at line " in line


def test_unknown_profile_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["lint", "--profile", "bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "documented" in err and "observed" in err


def test_missing_examples_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--examples", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path / "none") in err[0]


def test_a_closed_pipe_is_not_a_traceback() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        # `spec` prints ~80 KB, more than a pipe buffer holds, so the writer really meets a closed pipe.
        f"{sys.executable} -m contract_kit spec | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == "{\n"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_spec_sse_style_32_describes_events_whose_data_is_a_chunk(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema_rs

    assert main(["spec", "--sse-style", "3.2"]) == 0
    exported = json.loads(capsys.readouterr().out)
    media = exported["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    event = media["text/event-stream"]["schema"]
    assert event["required"] == ["data"]
    content = event["properties"]["data"]["anyOf"][1]
    assert content["contentMediaType"] == "application/json"
    assert (
        content["contentSchema"]
        == load_contract("observed").document["paths"]["/v1/chat/completions"]["post"]["responses"]["200"][
            "content"
        ]["text/event-stream"]["schema"]
    )
    events = [{"data": '{"id": "x"}'}, {"data": "[DONE]", "event": "message"}]
    checker = jsonschema_rs.validator_for(
        {**event, "properties": {**event["properties"], "data": {"type": "string"}}}
    )
    assert all(checker.is_valid(e) for e in events) and not checker.is_valid({"id": "1"})
    # stop's bare {"nullable": true} branch stays as written: "any value" to the kit and to the tools
    assert {"nullable": True} in _branches(load_contract("observed").document)
    assert {"nullable": True} in _branches(exported)


def _branches(node: object) -> list[object]:
    """Every oneOf/anyOf branch anywhere in ``node``."""
    found: list[object] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("oneOf", "anyOf") and isinstance(value, list):
                found.extend(value)
            found.extend(_branches(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_branches(item))
    return found
