"""Where the bundled contract files live, installed or in a checkout.

The repo keeps them at ``openapi/`` and ``fixtures/examples/``; a wheel ships
the same files as ``contract_kit.bundled.*`` (see pyproject's package-dir).
A checkout is preferred so that edits to ``openapi/`` take effect at once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent

DOCUMENT_NAME = "aimlapi-qwen3-vl-32b-thinking.json"
REPAIRS_NAME = "repairs.yaml"
OBSERVED_NAME = "observed.yaml"


def _bundled(package: str, repo_relative: str) -> Path:
    in_checkout = _REPO_ROOT / repo_relative
    if in_checkout.is_dir():
        return in_checkout
    return Path(str(resources.files(package)))


@cache
def openapi_dir() -> Path:
    """The folder holding the documented document and its overlays."""
    return _bundled("contract_kit.bundled.openapi", "openapi")


@cache
def examples_dir() -> Path:
    """The folder holding the vendor page's own request and response examples."""
    return _bundled("contract_kit.bundled.examples", "fixtures/examples")


def default_document() -> Path:
    return openapi_dir() / DOCUMENT_NAME
