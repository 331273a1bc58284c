#!/usr/bin/env bash
# Set-up (packages, build), a private Slurm on localhost for the `slurm` tests (stopped at the
# end), then the whole GoogleTest suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
scripts/setup.sh

slurm_state=$(mktemp -d -t tandem_slurm_XXXXXX)
if started=$(scripts/slurm_local.sh start "$slurm_state" 2>"$slurm_state.err"); then
  eval "$started"  # export SLURM_CONF=...
  # an absolute path: the trap runs after the `cd build` below
  trap '"$repo/scripts/slurm_local.sh" stop "$slurm_state" >/dev/null 2>&1 || true' EXIT
else
  # the slurm tests say why they skip; everything else runs
  export TANDEM_SLURM_UNAVAILABLE="scripts/slurm_local.sh could not start Slurm: $(tail -c 600 "$slurm_state.err")"
  echo "tandem: $TANDEM_SLURM_UNAVAILABLE" >&2
fi

cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
