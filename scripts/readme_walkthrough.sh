#!/usr/bin/env bash
# Tries the README as a new user would: every `build/tandem ...` command of its code blocks, in
# the README's order, in a fresh clone of this repository (its own results/ and a cold cache), and
# prints each command's exit status, wall time and last output line. Commands that stand for a
# user's own file (SUITE.json) are listed as skipped; `view` runs under xvfb-run for a few
# hundred frames; `sample ... < prompts.txt` reads a prompts file written here. The two set-up
# commands (scripts/quickstart.sh, scripts/test.sh) are not run: CI and the quickstart run them.
# Usage: scripts/readme_walkthrough.sh [WORKDIR=a fresh temp folder]. Needs build/ (setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ -x build/tandem ] || { echo "walkthrough: build first (scripts/setup.sh)" >&2; exit 1; }
work=${1:-$(mktemp -d -t tandem_walk_XXXXXX)}
git clone -q "$repo" "$work/clone" || exit 1
ln -s "$repo/build" "$work/clone/build"  # the clone's own build would be the same binaries
cd "$work/clone" || exit 1
printf 'sort: 3 1 2 =\nsort: 9 4 7 5 =\n' >prompts.txt

# every command line of the README's code blocks, continuation lines joined, in order
mapfile -t commands < <(python3 - README.md <<'PY'
import re, sys
lines, inside, out, cur = open(sys.argv[1]).read().splitlines(), False, [], ""
for line in lines:
    if line.startswith("```"):
        inside = not inside
        continue
    if not inside:
        continue
    if cur or line.startswith("build/tandem"):
        cur += re.sub(r"\s*\\$", " ", line.split("  #")[0].strip()) if line.endswith("\\") \
            else line.split("  #")[0].strip()
        if not line.endswith("\\"):
            out.append(cur.strip()); cur = ""
print("\n".join(out))
PY
)

failed=0
printf '%-4s %-6s %-8s %s\n' "rc" "secs" "" "command"
for c in "${commands[@]}"; do
  if [[ $c == *SUITE.json* ]]; then
    printf '%-4s %-6s %-8s %s\n' "-" "-" "skipped" "$c (SUITE.json stands for your own file)"
    continue
  fi
  run=$c
  [[ $c == "build/tandem view"* ]] && run="xvfb-run -a ${c} --max-frames 300"
  start=$(date +%s.%N)
  bash -c "$run" >"$work/out.txt" 2>&1
  rc=$?
  secs=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")
  last=$(grep -v '^\s*$' "$work/out.txt" | tail -1 | cut -c1-110)
  printf '%-4s %-6s %-8s %s\n' "$rc" "$secs" "" "$c"
  printf '     └ %s\n' "$last"
  cat "$work/out.txt" >>"$work/all_output.txt"
  ((rc == 0)) || failed=$((failed + 1))
done
echo "walkthrough: ${#commands[@]} commands, $failed failed; outputs in $work/all_output.txt"
exit $((failed > 0))
