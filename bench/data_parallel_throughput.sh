#!/usr/bin/env bash
# Throughput of one training run on 1 and on 2 data-parallel processes (tandem train --nproc),
# back to back on this machine: text/sort PPO and Hopper-v5 PPO; then what one gradient
# all-reduce costs on two processes (build/bench/allreduce_latency), which explains the ratios. Each process runs one torch
# thread; the rate is env steps over the run's wall time (charts/steps_per_second of its last
# metrics line: rollouts, updates and the evaluations at the start and the end).
#   bench/data_parallel_throughput.sh [HOPPER_STEPS] [SORT_STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
hopper_steps=${1:-32768}
sort_steps=${2:-12000}
tandem=build/tandem
out=$(mktemp -d /tmp/tandem_dp_bench.XXXXXX)
trap 'rm -rf "$out"' EXIT

rate() {  # env, steps, nproc -> steps per second
  local env=$1 steps=$2 nproc=$3 dir="$out/$(echo "$1" | tr / _)_$3"
  "$tandem" train --env "$env" --algo ppo --steps "$steps" --eval-interval "$steps" \
    --eval-episodes 2 --threads 1 --nproc "$nproc" --quiet --out "$dir" >/dev/null
  tail -n 1 "$dir/metrics.jsonl" | /usr/bin/python3 -c \
    'import json,sys; print("%.1f" % json.loads(sys.stdin.read())["charts/steps_per_second"])'
}

printf "%-12s %8s %14s %14s %7s\n" env steps "1 process/s" "2 processes/s" ratio
for spec in "text/sort $sort_steps" "Hopper-v5 $hopper_steps"; do
  set -- $spec
  one=$(rate "$1" "$2" 1)
  two=$(rate "$1" "$2" 2)
  printf "%-12s %8s %14s %14s %6.2fx\n" "$1" "$2" "$one" "$two" \
    "$(/usr/bin/python3 -c "print($two / $one)")"
done
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port build/bench/allreduce_latency &
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port build/bench/allreduce_latency
wait
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
