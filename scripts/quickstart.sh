#!/usr/bin/env bash
# The main job: set-up (packages, build), then the quickstart suite — text/sort and Hopper-v5,
# PPO / APA / DPO / AIHF, 2 seeds — to a finished report, whose path it prints last.
# Extra arguments go to `tandem run` (e.g. --jobs 4, --resume after an interruption).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/tandem run suites/quickstart.json "$@"
