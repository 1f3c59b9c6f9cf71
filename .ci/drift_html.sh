#!/usr/bin/env bash
# CI step for the drift HTML report: install headless Chromium, then run the test that renders the
# report in it (tests/drift/test_drift_nightly.py::test_html_report_renders_in_headless_chromium).
# The screenshot is kept under .ci/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q chromium
fi
mkdir -p .ci/artifacts
CONTRACT_KIT_ARTIFACTS=.ci/artifacts python -m pytest -q -p no:xdist tests/drift/test_drift_nightly.py -k chromium
