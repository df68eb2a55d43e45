#!/usr/bin/env bash
# The main job on the local lab: installs what it needs, then `npm run lab -- <args>` (default: up).
#   bash scripts/lab.sh              build the lab and run the program's steps on it
#   bash scripts/lab.sh failover     the failure scenarios, with figures
#   bash scripts/lab.sh down         remove the lab (caches stay)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx ts-node --transpile-only lab/cli.ts "$@"
