#!/usr/bin/env bash
# The kit as a team installs it: build the wheel, install it NOT editable into a fresh
# venv, and from a folder outside the repo run the CLI, the README's shell commands and a
# small user project (tests/installed/user_project). Any failure fails CI.
#
# Called by .ci/run; runs on its own too: `.ci/installed_smoke.sh` (uses `python3`, or
# $PYTHON). pip's cache is reused, so the install costs about a minute.
# tests/clients/test_readme.py checks that every shell command of the README's main
# sections appears in this file, with `AIMLAPI_API_KEY=...` written as
# `AIMLAPI_API_KEY="$SMOKE_KEY"` and the serve port 4010 as `$PORT`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/contract-kit-smoke.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

step "building the wheel"
"$python" -m pip wheel "$repo" -w "$work/dist" --no-deps -q
wheel="$(ls "$work"/dist/contract_kit-*.whl)"

step "installing $(basename "$wheel") into a fresh venv (not editable)"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "${wheel}[openai]"
export PATH="$work/venv/bin:$PATH"
unset AIMLAPI_API_KEY AIMLAPI_BASE_URL
export SMOKE_KEY="sk-smoke-$RANDOM$RANDOM-not-a-real-key"

cd "$work"   # outside the repo from here on
location="$(python -c 'import contract_kit, os; print(os.path.dirname(contract_kit.__file__))')"
case "$location" in "$work/venv/"*) ;; *) fail "contract_kit imported from $location, not the wheel";; esac

step "contract-kit lint (the documented document's defects and the page's examples)"
status=0; contract-kit lint > lint.txt || status=$?   # contract-kit lint
cat lint.txt
[ "$status" -eq 1 ] || fail "lint exited $status; the bundled document has known defects, so 1 is expected"
grep -q "The page's examples: 1 finding" lint.txt || fail "lint did not check the page's examples"
grep -q "python_request.json" lint.txt || fail "lint did not report the page's Python sample"

step "contract-kit check (the README's main job, on the embedded mock)"
contract-kit check > check.txt || { cat check.txt; fail "contract-kit check exited non-zero"; }
cat check.txt
grep -q "ok: all 3 properties hold" check.txt || fail "check did not report all properties holding"

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 100); do
    if python -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null
    then return 0; fi
    sleep 0.1
  done
  fail "the mock on port $1 did not start"
}

step "the user project: its own document (another model), configured by pytest.ini"
cp -r "$repo/tests/installed/user_project" "$work/project"
sed 's#alibaba/qwen3-vl-32b-thinking#alibaba/qwen3-vl-8b-thinking#g' \
  "$repo/openapi/aimlapi-qwen3-vl-32b-thinking.json" > "$work/project/contract/aimlapi-qwen3-vl-8b-thinking.json"

# Stand-ins for the live API: the served mock of the bundled document, and of the team's.
PORT="$(free_port)"
# Only these keys are valid, as on the live API: the wrong-key probe of `drift --live` must get 401.
contract-kit serve --port "$PORT" --api-key "$SMOKE_KEY" --api-key sk-test 2> serve.log & pids+=("$!")
TEAM_PORT="$(free_port)"
contract-kit serve --port "$TEAM_PORT" --api-key "$SMOKE_KEY" --api-key sk-test \
  --spec "$work/project/contract/aimlapi-qwen3-vl-8b-thinking.json" \
  2> serve-team.log & pids+=("$!")
wait_ready "$PORT"
wait_ready "$TEAM_PORT"

step "README: the scenario header over curl"
curl -s http://127.0.0.1:$PORT/v1/chat/completions -H 'Authorization: Bearer sk-test' -H 'Content-Type: application/json' -H 'x-contract-scenario: {"scenario": "error", "status": 429, "retry_after": 2}' -d '{"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": "Hi"}]}' > curl.json
grep -q '"rate_limit' curl.json || fail "curl did not get the scripted 429: $(cat curl.json)"

step "README: record once against the stand-in, commit, replay"
cd "$work/project"
AIMLAPI_BASE_URL="http://127.0.0.1:$TEAM_PORT/v1" \
  AIMLAPI_API_KEY="$SMOKE_KEY" pytest --contract-mode=once tests/test_summary.py   # records what is missing
ls fixtures/cassettes/*.yaml > /dev/null || fail "recording wrote no cassette"
if grep -rq "$SMOKE_KEY" fixtures/cassettes; then fail "the key reached a cassette"; fi
export GIT_AUTHOR_NAME=smoke GIT_AUTHOR_EMAIL=smoke@localhost GIT_COMMITTER_NAME=smoke GIT_COMMITTER_EMAIL=smoke@localhost
git init -q .
git add fixtures/cassettes && git commit -m "Record summary cassette"
kill "${pids[1]}" && wait "${pids[1]}" 2>/dev/null || true   # the stand-in is gone: replay must not need it
pytest                                                                  # replay is the default

step "README: contract-kit drift, offline and live"
contract-kit drift fixtures/cassettes
cd "$work"
AIMLAPI_BASE_URL="http://127.0.0.1:$PORT/v1" \
  AIMLAPI_API_KEY="$SMOKE_KEY" contract-kit drift --live --report drift.json --overlay proposed-overlay.yaml
test -s drift.json || fail "drift --live wrote no report"
AIMLAPI_BASE_URL="http://127.0.0.1:$PORT/v1" AIMLAPI_API_KEY="$SMOKE_KEY" \
          contract-kit drift --live --max-tokens 64 --max-calls 30 \
            --cassette-dir drift-cassettes --report drift.json --overlay proposed-overlay.yaml
ls drift-cassettes/*.yaml > /dev/null || fail "drift --live recorded no probe cassette"
if grep -rq "$SMOKE_KEY" drift.json drift-cassettes; then fail "the key reached a drift file"; fi

step "the team's document and overlay on the CLI: its recorded cassette shows no new drift"
contract-kit drift "$work/project/fixtures/cassettes" --spec "$work/project/contract/aimlapi-qwen3-vl-8b-thinking.json" \
  --contract-overlay "$work/project/contract/team-overlay.yaml" --format json > team-drift.json
python -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not [f for f in r["findings"] if not f["known"]], r' \
  team-drift.json

echo "smoke: the installed kit works from outside the repo (${SECONDS}s)"
