#!/usr/bin/env bash
# The main job, for now: set-up, then PPO on Hopper-v5 for a short budget (200k env steps,
# ~1 minute on 2 cores), printing the evaluation return. Extra arguments go to `tandem train`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/tandem train --env Hopper-v5 --algo ppo --seed 1 --steps 200000 "$@"
