#!/usr/bin/env bash
# Fault soak: SIGKILLs at random moments of a suite (suites/smoke.json) and of a single training
# run, each followed by a resume, then checks that nothing was lost, recomputed or changed:
#   - every run of the killed suite finishes, with metrics equal to an uninterrupted suite's
#     (timings aside) and the same report tables;
#   - a run whose `done` existed at some kill keeps that very `done` (never recomputed);
#   - the killed single run ends with the metrics of an uninterrupted one.
# Usage: scripts/soak.sh [KILLS=20] [WORKDIR=a fresh temp folder]. Needs build/tandem and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
work=${2:-$(mktemp -d -t tandem_soak_XXXXXX)}
tandem=$PWD/build/tandem
[ -x "$tandem" ] || { echo "soak: build first (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$work"
echo "soak: $kills kills of a suite and $kills of a single run, in $work"

# kills the process group started by setsid (the runner and its workers, or one train)
run_and_kill() {  # seconds, command...
  local wait=$1; shift
  setsid "$@" >>"$work/killed.log" 2>&1 &
  local pid=$!
  sleep "$wait"
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
random_wait() { python3 -c "import random; print(round(random.uniform(0.3, $1), 2))"; }

# --- the suite ---------------------------------------------------------------------------------
"$tandem" run suites/smoke.json --jobs 2 --results "$work/reference" >"$work/reference.log" 2>&1
start=$(date +%s)
for ((k = 1; k <= kills; k++)); do
  run_and_kill "$(random_wait 6)" "$tandem" run suites/smoke.json --jobs 2 --resume \
    --results "$work/killed"
  # every `done` seen now must survive unchanged to the end
  # (its content holds the run's wall time: a recomputed run writes another)
  find "$work/killed/smoke" -name done -exec md5sum {} + 2>/dev/null >>"$work/done_seen.txt" || true
  printf '\r  suite kill %d/%d' "$k" "$kills"
done
echo
"$tandem" run suites/smoke.json --jobs 2 --resume --results "$work/killed" >"$work/final.log" 2>&1

# --- a single run --------------------------------------------------------------------------------
train=(train --env InvertedPendulum-v5 --algo ppo --steps 16384 --eval-interval 2048
       --eval-episodes 3 --quiet --set steps_per_env=512 --set checkpoint_interval=1)
"$tandem" "${train[@]}" --out "$work/train_reference" >/dev/null
for ((k = 1; k <= kills; k++)); do
  if [ -f "$work/train_killed/done" ]; then break; fi
  resume=(); [ -d "$work/train_killed" ] && resume=(--resume)
  run_and_kill "$(random_wait 3)" "$tandem" "${train[@]}" --out "$work/train_killed" "${resume[@]}"
  printf '\r  train kill %d/%d' "$k" "$kills"
done
echo
[ -f "$work/train_killed/done" ] || "$tandem" "${train[@]}" --out "$work/train_killed" --resume >/dev/null

python3 - "$work" "$(( $(date +%s) - start ))" <<'PY'
import json, os, re, sys
work, seconds = sys.argv[1], sys.argv[2]
def metrics(path):
    out = []
    for line in open(path):
        j = json.loads(line)
        out.append({k: v for k, v in j.items() if "seconds" not in k and "per_second" not in k and k != "charts/sps"})
    return out
def tables(report):
    # every table but the setup's, which holds wall times
    out, setup = [], False
    for l in open(report):
        if l.startswith("## "): setup = l.startswith("## Setup")
        if l.startswith("|") and not setup: out.append(l)
    return out
problems = []
ref, got = os.path.join(work, "reference/smoke"), os.path.join(work, "killed/smoke")
runs = 0
for root, dirs, files in os.walk(ref):
    if "done" not in files: continue
    runs += 1
    other = root.replace(ref, got, 1)
    if not os.path.exists(os.path.join(other, "done")):
        problems.append("lost: " + other); continue
    if metrics(os.path.join(root, "metrics.jsonl")) != metrics(os.path.join(other, "metrics.jsonl")):
        problems.append("metrics differ: " + other)
seen = {}
seen_file = os.path.join(work, "done_seen.txt")
for line in (open(seen_file) if os.path.exists(seen_file) else []):
    digest, path = line.split(maxsplit=1)
    seen.setdefault(path.strip(), set()).add(digest)
import hashlib
def digest(p):
    return hashlib.md5(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None
recomputed = [p for p, s in seen.items() if len(s) > 1 or digest(p) not in s]
problems += ["recomputed: " + p for p in recomputed]
if tables(os.path.join(ref, "report.md")) != tables(os.path.join(got, "report.md")):
    problems.append("report tables differ")
if metrics(os.path.join(work, "train_reference/metrics.jsonl")) != metrics(os.path.join(work, "train_killed/metrics.jsonl")):
    problems.append("the killed single run's metrics differ from the uninterrupted one's")
print(f"soak: suite runs {runs}, lost {sum(p.startswith('lost') for p in problems)}, "
      f"recomputed {len(recomputed)}, report changed {int('report tables differ' in problems)}, "
      f"single run {'equal' if not any('single run' in p for p in problems) else 'DIFFERENT'}; "
      f"{seconds} s")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
PY
