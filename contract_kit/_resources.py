"""Where the bundled contract files live, installed or in a checkout.

The repo keeps them at ``openapi/`` and ``fixtures/examples/``; a wheel ships
the same files under ``contract_kit/bundled/`` (pyproject's package-dir
mapping). A checkout is preferred so that edits to ``openapi/`` take effect at
once.

Installed, the folders are found from ``importlib.resources.files`` of the
*regular* package ``contract_kit``, never of ``contract_kit.bundled.*``
themselves: those have no ``__init__.py`` (the repo's top-level folders are
data, not code), so Python treats them as namespace packages and hands back a
``MultiplexedPath`` whose ``str()`` is not a file name (Python 3.10-3.13). A
regular package's ``files()`` is a plain ``pathlib.Path`` whenever the package
sits on disk, which is how pip installs every wheel; an install that is
not on disk (a zip on ``sys.path``) gets the folder copied once to a
temporary directory, since the loaders need real files side by side.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from contract_kit.errors import SpecError

_PACKAGE = "contract_kit"
_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent

DOCUMENT_NAME = "aimlapi-qwen3-vl-32b-thinking.json"
REPAIRS_NAME = "repairs.yaml"
OBSERVED_NAME = "observed.yaml"


def _in_checkout(repo_relative: str) -> Path | None:
    """The repo folder when running from a source checkout (pyproject beside the package)."""
    folder = _REPO_ROOT / repo_relative
    if (_REPO_ROOT / "pyproject.toml").is_file() and folder.is_dir():
        return folder
    return None


def _installed(name: str) -> Path:
    """``contract_kit/bundled/<name>`` as a real folder."""
    folder = resources.files(_PACKAGE) / "bundled" / name
    if isinstance(folder, Path):
        return folder
    return _materialized(folder, name)


def _materialized(folder: Traversable, name: str) -> Path:
    """Copy a non-file-system resource folder (zip import) to a temporary folder for this process."""
    target = Path(tempfile.mkdtemp(prefix=f"contract-kit-{name}-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    for entry in folder.iterdir():
        if entry.is_file():
            (target / entry.name).write_bytes(entry.read_bytes())
    return target


def _bundled(name: str, repo_relative: str, must_contain: str) -> Path:
    folder = _in_checkout(repo_relative) or _installed(name)
    if not (folder / must_contain).is_file():
        raise SpecError(
            f"the bundled {must_contain} is missing from the installed package; reinstall contract-kit "
            "(pip install --force-reinstall contract-kit) or pass --contract-spec / --spec",
            source=str(folder),
        )
    return folder


@cache
def openapi_dir() -> Path:
    """The folder holding the documented document and its overlays."""
    return _bundled("openapi", "openapi", DOCUMENT_NAME)


@cache
def examples_dir() -> Path:
    """The folder holding the vendor page's own request and response examples."""
    return _bundled("examples", "fixtures/examples", "example_response.json")


def bundled_is_installed() -> bool:
    """True when the bundled files sit inside the installed package (not a checkout): never edit them."""
    return _in_checkout("openapi") is None


def default_document() -> Path:
    return openapi_dir() / DOCUMENT_NAME
