#!/usr/bin/env bash
# The test command: installs what it needs, type-checks, lints (ESLint and Prettier, zero warnings), then runs every jest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npm run --silent lint
npx jest --runInBand "$@"
