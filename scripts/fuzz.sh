#!/usr/bin/env bash
# Fuzzes every parser of user files for SECONDS each (libFuzzer, in the sanitizer build):
# fuzz_run_config (--config/--set), fuzz_suite (suite files), fuzz_feedback (pairs and
# demonstrations), fuzz_run_folder (config.json, metrics.jsonl, done, as `report` reads them),
# fuzz_side_files (reward_model.json, a checkpoint's config.json), fuzz_env_state (the binary
# env state in checkpoints). Seeds: what each target writes itself plus the shipped files; the
# corpus grows in build-asan/fuzz-corpus/TARGET and crashes land in build-asan/fuzz-crashes.
# Prints executions, wall time and crashes per target; fails if any target crashed.
# Usage: scripts/fuzz.sh [SECONDS=60] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(run_config suite feedback run_folder side_files env_state)
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number" >&2; exit 2; }
if [ ! -x build-asan/fuzz/fuzz_suite ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(nproc 2>/dev/null || echo 2)"
fi
export ASAN_OPTIONS="detect_leaks=0"  # leaks are scripts/test-sanitizers.sh's part
export UBSAN_OPTIONS="print_stacktrace=1"
export TANDEM_CACHE_DIR=${TANDEM_CACHE_DIR:-$PWD/.cache/tandem}
crashed=0
printf '%-22s %12s %8s %8s\n' target executions seconds crashes
for t in "${targets[@]}"; do
  bin=build-asan/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  corpus=build-asan/fuzz-corpus/$t crashes=build-asan/fuzz-crashes/$t
  mkdir -p "$corpus" "$crashes"
  TANDEM_FUZZ_SEEDS=$corpus "$bin" >/dev/null 2>&1
  log=build-asan/fuzz-$t.log
  begin=$(date +%s)
  rc=0
  "$bin" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  runs=$(grep -m1 -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" || echo "?")
  found=$(find "$crashes" -type f | wc -l)
  printf '%-22s %12s %8s %8s\n' "$t" "$runs" "$(( $(date +%s) - begin ))" "$found"
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    crashed=1
    grep -m 5 -E "ERROR|runtime error|fuzz:|SUMMARY" "$log" | sed 's/^/    /' || true
  fi
done
exit "$crashed"
