"""Repo-level pytest configuration for contract-kit's own test suite.

The kit's plugin is loaded through its ``pytest11`` entry point (the package
is installed editable), exactly as users get it. Hypothesis gets a CI profile
with a bounded example count and no deadline (shared CI machines are noisy);
``--hypothesis-profile`` or ``HYPOTHESIS_PROFILE`` choose another.
"""

from __future__ import annotations

import os

import jsonpath_rfc9535  # noqa: F401 - see below (its iregexp_check is a PyO3 module)
import jsonschema_rs  # noqa: F401 - see below
import orjson  # noqa: F401 - see below
import yaml  # noqa: F401 - see below
from hypothesis import HealthCheck, settings

# pytester's in-process runs drop the modules a run imported. Compiled
# extensions cannot be re-initialised: a re-imported ``yaml`` would mix old and
# new classes ("could not determine a constructor for the tag None"), and a
# PyO3 module (jsonschema_rs, orjson) refuses a second initialisation. Importing
# them here keeps one copy of each for the whole session.

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", deadline=None, max_examples=2_000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
