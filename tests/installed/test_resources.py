"""The bundled contract is found as an installed wheel lays it out, on every supported Python.

The wheel maps the repo's ``openapi/`` and ``fixtures/examples/`` into
``contract_kit/bundled/`` (pyproject's package-dir); those folders have no
``__init__.py``. These tests rebuild that layout from pyproject's own mapping
in a temporary site folder (no pyproject beside it, so the checkout shortcut
is off) and read the default document from a fresh interpreter: from a plain
folder, as pip installs, and from a zip on ``sys.path``. The wheel itself is
built, installed and used from outside the repo by ``.ci/installed_smoke.sh``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+: the test reads pyproject.toml

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]

PROBE = """
import json, sys
from contract_kit import _resources
document = _resources.default_document()
assert str(_resources.openapi_dir()).startswith(sys.argv[1]), _resources.openapi_dir()
assert json.loads(document.read_text(encoding="utf-8"))["openapi"].startswith("3.")
assert (_resources.openapi_dir() / _resources.OBSERVED_NAME).is_file()
assert (_resources.examples_dir() / "python_request.json").is_file()
print("ok", document.name)
"""


def _interpreters() -> list[str]:
    """This interpreter plus every other supported CPython found under pyenv (3.10-3.13)."""
    found = [sys.executable]
    for version in ("3.10", "3.11", "3.12", "3.13"):
        found += [str(p / "bin" / "python") for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*"))]
    return [p for p in dict.fromkeys(found) if Path(p).exists()]


def _site(tmp_path: Path) -> Path:
    """contract_kit as the wheel installs it: the package, plus each mapped data package."""
    site = tmp_path / "site-packages"
    shutil.copytree(
        REPO / "contract_kit", site / "contract_kit", ignore=shutil.ignore_patterns("__pycache__")
    )
    for package, folder in SETUPTOOLS["package-dir"].items():
        target = site.joinpath(*package.split("."))
        patterns = SETUPTOOLS["package-data"][package]
        target.mkdir(parents=True)
        for pattern in patterns:
            for path in (REPO / folder).glob(pattern):
                shutil.copy2(path, target / path.name)
    return site


def _probe(
    python: str, path_entry: Path, cwd: Path, expected_prefix: str
) -> subprocess.CompletedProcess[str]:
    """Run PROBE in a fresh isolated interpreter with ``path_entry`` first on sys.path."""
    code = f"import sys; sys.path.insert(0, {str(path_entry)!r}); exec({PROBE!r})"
    return subprocess.run(
        [python, "-I", "-c", code, expected_prefix],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("python", _interpreters())
def test_the_installed_layout_reads_the_bundled_document(python: str, tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _probe(python, site, tmp_path, str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok aimlapi-qwen3-vl-32b-thinking.json"


def test_a_zipped_install_reads_the_bundled_document_from_a_temporary_copy(tmp_path: Path) -> None:
    site = _site(tmp_path)
    archive = tmp_path / "kit.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in site.rglob("*"):
            if path.is_file():
                zf.write(path, path.relative_to(site).as_posix())
    result = _probe(sys.executable, archive, tmp_path, tempfile.gettempdir())
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_a_missing_bundled_file_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "contract_kit" / "bundled" / "openapi" / "aimlapi-qwen3-vl-32b-thinking.json").unlink()
    result = _probe(sys.executable, site, tmp_path, str(site))
    assert result.returncode != 0
    assert "bundled/openapi" in result.stderr and "reinstall contract-kit" in result.stderr


def test_every_subpackage_of_the_kit_is_listed_for_the_wheel() -> None:
    """pyproject lists packages explicitly (for the data mapping); a new subpackage must be added there."""
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "contract_kit").rglob("__init__.py")
    }
    listed = set(SETUPTOOLS["packages"])
    assert on_disk <= listed, (
        f"add to [tool.setuptools] packages in pyproject.toml: {sorted(on_disk - listed)}"
    )
    assert set(SETUPTOOLS["package-dir"]) <= listed
