#!/usr/bin/env bash
# The main job: set-up (packages, build), then the quickstart protocol suite — text/sort and
# InvertedPendulum-v5; RLHF with PPO, RLHF with APA, DPO and AIHF learning from one feedback set
# per task, beside the start and oracle references; 5 seeds — to a finished report, whose path it
# prints last.
# Extra arguments go to `tandem run` (e.g. --jobs 4, --resume after an interruption).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/tandem run suites/quickstart.json "$@"
