#!/usr/bin/env bash
# The AddressSanitizer + UndefinedBehaviorSanitizer build (preset "asan": clang) and the whole
# test suite under it. Every sanitizer report goes to a file under build-asan/sanitizer-logs;
# the script ends with the count and fails on any (and on any failed test). Run it after a
# change to memory handling, parsers, the binary state formats, or before a release: it takes
# far longer than scripts/test.sh (a second full build, ~2-3x slower tests).
# Usage: scripts/test-sanitizers.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null  # the packages (and the release build the cache builders share)
command -v clang++ >/dev/null || {
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-dev
}
start=$(date +%s)
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc 2>/dev/null || echo 2)"

# a cache of its own: entries made by the release build (gcc) need not replay bit for bit in this
# one (clang), and the feedback files' replay check refuses them (measured: an InvertedPendulum
# preference episode ended one step early)
export TANDEM_CACHE_DIR=$PWD/build-asan/cache
logs=$PWD/build-asan/sanitizer-logs
rm -rf "$logs" && mkdir -p "$logs"
# Leaks: only third-party ones are suppressed (scripts/sanitizers/lsan.supp). UB aborts (the
# build has -fno-sanitize-recover=undefined), so a report also fails its test.
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1"
# libraries stay mapped until exit, so a leak inside one names it (scripts/sanitizers/keep_libraries.c)
cc -shared -fPIC -O2 -o build-asan/keep_libraries.so scripts/sanitizers/keep_libraries.c
export LD_PRELOAD=$PWD/build-asan/keep_libraries.so
status=0
(cd build-asan && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@") || status=$?
reports=$(find "$logs" -type f | wc -l)
echo "sanitizers: ctest status $status, reports: $reports, $(( $(date +%s) - start )) s"
if [ "$reports" -gt 0 ]; then
  echo "reports (first lines of each):"
  for f in "$logs"/*; do echo "--- $f"; grep -m 3 -E "ERROR|runtime error|SUMMARY" "$f" || head -3 "$f"; done
  exit 1
fi
exit "$status"
