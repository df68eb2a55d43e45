#!/usr/bin/env bash
# The test command: installs what it needs, type-checks, lints (ESLint and Prettier, zero warnings), then runs every jest suite
# (or, given jest arguments, just what they pick, one suite at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npm run --silent lint
if [ "$#" -gt 0 ]; then
  exec npx jest --runInBand "$@"
fi
# The suites that build lab hosts share one lab and run one after another, with the one that times
# netem's delays (jitter); the others need no lab and run beside them on the second core, their
# output held until they end.
readonly LAB_SUITES='tests/(lab|labDay2|labExamples|jitter)\.test\.ts$'
unit_log=$(mktemp)
trap 'rm -f "$unit_log"' EXIT
npx jest --runInBand --testPathIgnorePatterns "$LAB_SUITES" >"$unit_log" 2>&1 &
unit=$!
lab_status=0
npx jest --runInBand --testPathPatterns "$LAB_SUITES" || lab_status=$?
unit_status=0
wait "$unit" || unit_status=$?
echo "---- the suites that need no lab (run beside the lab's) ----"
cat "$unit_log"
if [ "$lab_status" -ne 0 ] || [ "$unit_status" -ne 0 ]; then
  echo "FAILED: the lab suites exited $lab_status, the others $unit_status" >&2
  exit 1
fi
