#!/usr/bin/env bash
# Reproduces issue 16's defects through the command line against a given tandem binary, so an old
# build can be compared with this one: each case prints "present" (the defect shows) or "fixed".
#   scripts/defect_repro.sh [TANDEM_BINARY]      (default build/tandem; defect 2 needs root)
# Cases: 1 resume after the last checkpoint but before `done`; 2 a full disk during a checkpoint
# save; 4 divergence with rc 0 (APA, huge adv_coeff); 5 a checkpoint of another architecture;
# 6 deeply nested JSON; 7 a checkpoint temp file left by a kill. (3, the damaged metrics in a
# report, and 8-9, test isolation and the sanitizer build, are checked by the test suite.)
set -uo pipefail
tandem=$(realpath "${1:-build/tandem}")
work=$(mktemp -d /tmp/tandem_defects.XXXXXX)
trap 'umount "$work/small" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
base=("$tandem" train --env InvertedPendulum-v5 --eval-episodes 2 --quiet)
train=("${base[@]}" --algo ppo)
say() { printf "defect %s: %-8s %s\n" "$1" "$2" "$3"; }

# 1: a finished run whose `done` is missing (killed between its last checkpoint and `done`)
"${train[@]}" --steps 2048 --out d1 >/dev/null 2>&1
rm -f d1/done
out=$("${train[@]}" --steps 2048 --out d1 --resume 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -f d1/done ]; then say 1 fixed "--resume finishes it (rc 0)"
else say 1 present "rc $rc: $(echo "$out" | grep -m1 -o 'check failed.*' | cut -c1-90)"; fi

# 2: the disk fills while the checkpoint is written
if [ "$(id -u)" -eq 0 ] && mkdir small && mount -t tmpfs -o size=16k tmpfs small 2>/dev/null; then
  out=$("${train[@]}" --steps 2048 --out small/run 2>&1); rc=$?
  if [ $rc -eq 1 ] && echo "$out" | grep -qi "disk full\|no space"; then
    say 2 fixed "rc 1: $(echo "$out" | grep -m1 -i 'disk full\|no space' | cut -c1-90)"
  else say 2 present "rc $rc: $(echo "$out" | tail -n 1 | cut -c1-90)"; fi
  umount small
else
  say 2 skipped "needs root to mount a small tmpfs"
fi

# 4: APA with a huge adv_coeff and step size: the KL to the start policy overflows
out=$("${base[@]}" --algo apa --steps 8192 --eval-interval 2048 --set adv_coeff=1e6 --set learning_rate=0.1 --out d4 2>&1)
rc=$?
nulls=$(grep -c null d4/metrics.jsonl 2>/dev/null || true)
if [ $rc -ne 0 ] && echo "$out" | grep -q "diverged"; then
  say 4 fixed "rc $rc: $(echo "$out" | grep -m1 -o 'metrics:.*\|apa:.*' | cut -c1-90)"
else say 4 present "rc $rc, ${nulls:-0} metrics lines with null"; fi

# 5: a checkpoint read with another architecture (config.json says 32-32, the weights are 64-64)
"${train[@]}" --steps 2048 --out d5 >/dev/null 2>&1
/usr/bin/python3 - d5/config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["policy"]["hidden"] = [32, 32]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
out=$("$tandem" eval --checkpoint d5/checkpoint.pt --episodes 2 2>&1); rc=$?
if [ $rc -ne 0 ] && [ ${#out} -lt 1000 ] && echo "$out" | grep -q "d5/"; then
  say 5 fixed "rc $rc, ${#out} chars: $(echo "$out" | head -n 1 | cut -c1-90)"
else say 5 present "rc $rc, ${#out} chars: $(echo "$out" | head -n 1 | cut -c1-90)"; fi

# 6: a --config nested 200 000 levels deep
/usr/bin/python3 -c 'print("{\"algorithm\": " + "[" * 200000 + "]" * 200000 + "}")' > deep.json
out=$("${train[@]}" --steps 2048 --config deep.json --out d6 2>&1); rc=$?
if [ $rc -eq 1 ]; then say 6 fixed "rc 1: $(echo "$out" | head -n 1 | cut -c1-90)"
else say 6 present "rc $rc (a crash: 139 is SIGSEGV)"; fi

# 7: a checkpoint temp file left by a kill during a save, then --resume
"${train[@]}" --steps 65536 --set checkpoint_interval=1 --out d7 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -f d7/checkpoint.pt ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid
cp d7/checkpoint.pt d7/checkpoint.pt.tmp.4242
"${train[@]}" --steps 65536 --set checkpoint_interval=1 --out d7 --resume >/dev/null 2>&1
if [ ! -e d7/checkpoint.pt.tmp.4242 ]; then say 7 fixed "--resume cleared checkpoint.pt.tmp.4242"
else say 7 present "checkpoint.pt.tmp.4242 is still there after --resume"; fi
