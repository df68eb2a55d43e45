#!/usr/bin/env bash
# The test command: installs what it needs, type-checks, then runs every jest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npx jest --runInBand "$@"
