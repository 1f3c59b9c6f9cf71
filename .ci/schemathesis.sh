#!/usr/bin/env bash
# Schemathesis --checks all against `contract-kit serve --api-key sk-test`, on the exported
# `observed` and `documented` specs (OpenAPI 3.2-style event streams), bounded to about a minute each.
# Expects the project installed in the active environment; installs Schemathesis if missing.
# SCHEMATHESIS_EXAMPLES (default 20) sets --max-examples; SCHEMATHESIS_SEED (default: none, Schemathesis
# draws one and prints it) sets --seed, to reproduce or to run a larger sweep seed by seed;
# SCHEMATHESIS_PROFILES (default "observed documented") picks the profiles.
# Exit 0 only when both runs find no failure.
set -uo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-20}"
SEED_ARGS=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && SEED_ARGS=(--seed "$SCHEMATHESIS_SEED")
KEY="sk-test"

python -c "import schemathesis" 2>/dev/null || pip install -q 'schemathesis>=4.32' || exit 1
workdir="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done; rm -rf "$workdir"; }
trap cleanup EXIT

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_profile() {  # $1 = profile; extra arguments go to `st run`
  local profile="$1"; shift
  local port; port="$(free_port)"
  contract-kit spec --profile "$profile" --sse-style 3.2 > "$workdir/$profile.json" || return 1
  contract-kit serve --profile "$profile" --port "$port" --api-key "$KEY" --quiet &
  pids+=("$!")
  for _ in $(seq 100); do
    python -c "import httpx; httpx.get('http://127.0.0.1:$port/_contract/calls', timeout=0.5)" 2>/dev/null && break
    sleep 0.2
  done
  echo "CI: schemathesis --checks all on the '$profile' spec ($EXAMPLES examples${SCHEMATHESIS_SEED:+, seed $SCHEMATHESIS_SEED})"
  # The hooks tell Schemathesis the cross-field rules a schema cannot express (see the module).
  PYTHONPATH=.ci SCHEMATHESIS_HOOKS=schemathesis_hooks st run "$workdir/$profile.json" \
    --url "http://127.0.0.1:$port" --header "Authorization: Bearer $KEY" \
    --checks all --max-examples "$EXAMPLES" --request-timeout 10 --no-color ${SEED_ARGS[@]+"${SEED_ARGS[@]}"} "$@"
}

PROFILES="${SCHEMATHESIS_PROFILES:-observed documented}"
status=0
if [[ " $PROFILES " == *" observed "* ]]; then run_profile observed || status=1; fi
# The vendor's document declares no error status at all (only 200), so every 4xx the API and the mock
# send, including those Schemathesis's own negative checks demand, is "undocumented" (ST103): a defect of
# the document that the `observed` profile repairs. Every other check runs.
if [[ " $PROFILES " == *" documented "* ]]; then
  run_profile documented --exclude-checks status_code_conformance || status=1
fi
exit "$status"
