"""Bad input to the kit (issue 6, item 3): a malformed spec, overlay or cassette file.

The CLI answers with one line naming the file and exit code 2; the plugin with
a pytest usage error. Never a traceback, whatever the file holds: a YAML
syntax error, a value PyYAML's constructors reject with a plain ``ValueError``
(``!!int x``, the impossible date ``2001-13-45``), or nesting deep enough to
exhaust the recursion limit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contract_kit import _resources
from contract_kit.cli import main

DEEP_JSON = "[" * 100_000 + "]" * 100_000
SPECS = {
    "yaml-syntax.yaml": "openapi: 3.0.0\npaths: [\n",
    "yaml-bad-int-tag.yaml": "openapi: 3.0.0\ninfo: {title: t, version: !!int x}\npaths: {}\n",
    "yaml-bad-bool-tag.yaml": "openapi: 3.0.0\ninfo: {title: t, version: '1', x-flag: !!bool maybe}\npaths: {}\n",
    "json-too-deep.json": DEEP_JSON,
    "not-utf8.yaml": "openapi: 3.0.0\ninfo: {title: caf\udce9}\n",
}
OVERLAYS = {
    "yaml syntax": "overlay: 1.0.0\ninfo: {title: broken, version: '1'}\nactions:\n  - target: $.info\n    update: {a: [b\n",
    "impossible date": "overlay: 1.0.0\ninfo: {title: broken, version: 2001-13-45}\nactions: []\n",
    "bad float tag": "overlay: 1.0.0\ninfo: {title: broken, version: !!float x}\nactions: []\n",
}
CASSETTES = {
    "yaml syntax": "version: 1\ninteractions: [\n",
    "explicit bad timestamp": "version: 1\nname: !!timestamp 2001-13-45\ninteractions: []\n",
    "bad bool tag": "version: 1\nname: !!bool maybe\ninteractions: []\n",
    "elapsed not a number": (
        "version: 1\ninteractions:\n- request: {method: POST, path: /v1/chat/completions}\n"
        "  response: {status: 200, elapsed: soon}\n"
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def _copied_spec_with_overlay(folder: Path, overlay: str) -> Path:
    """The bundled document and its repairs, next to a broken ``observed.yaml``."""
    spec = folder / _resources.DOCUMENT_NAME
    shutil.copy(_resources.default_document(), spec)
    shutil.copy(_resources.openapi_dir() / "repairs.yaml", folder / "repairs.yaml")
    _write(folder / "observed.yaml", overlay)
    return spec


def _one_error_line(code: int, err: str, command: str, path: Path) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"contract-kit {command}: error: ") and str(path) in lines[0], lines[0]


# --- the CLI ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cli_malformed_spec_is_one_line_and_exit_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _write(tmp_path / name, SPECS[name])
    code = main(["lint", "--spec", str(spec)])
    _one_error_line(code, capsys.readouterr().err, "lint", spec)


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_cli_malformed_overlay_is_one_line_and_exit_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _copied_spec_with_overlay(tmp_path, OVERLAYS[name])
    code = main(["lint", "--spec", str(spec), "--profile", "observed"])
    _one_error_line(code, capsys.readouterr().err, "lint", tmp_path / "observed.yaml")


@pytest.mark.parametrize("name", sorted(CASSETTES))
def test_cli_serve_with_a_malformed_cassette_is_one_line_and_exit_2(name: str, tmp_path: Path) -> None:
    """In a child process with a timeout: if the cassette wrongly loaded, ``serve`` would serve forever."""
    cassette = _write(tmp_path / "broken.yaml", CASSETTES[name])
    code = "import sys; from contract_kit.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "serve", "--port", "0", "--cassette-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    _one_error_line(result.returncode, result.stderr, "serve", cassette)


# --- the plugin -------------------------------------------------------------------------------


def _assert_usage_error(result: pytest.RunResult, path: Path) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    result.stderr.fnmatch_lines([f"ERROR: contract-kit: {path}*"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_plugin_malformed_spec_is_a_usage_error(name: str, pytester: pytest.Pytester, tmp_path: Path) -> None:
    spec = _write(tmp_path / name, SPECS[name])
    pytester.makepyfile("def test_x(contract):\n    pass\n")
    _assert_usage_error(pytester.runpytest("-p", "no:cacheprovider", "--contract-spec", str(spec)), spec)


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_plugin_malformed_overlay_is_a_usage_error(
    name: str, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    spec = _copied_spec_with_overlay(tmp_path, OVERLAYS[name])
    pytester.makepyfile("def test_x(contract):\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--contract-spec", str(spec), "--contract-profile", "observed"
    )
    _assert_usage_error(result, tmp_path / "observed.yaml")
