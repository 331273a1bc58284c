#!/usr/bin/env python3
"""PPO training time against the simulator's own floor, measured in one run.

1. times a bare mj_step loop with the env's frame skip (env_bench's BM_BareMjStep/<model>),
   before and after the training: the simulation floor of N env steps is N / the faster rate;
2. trains `tandem train --env ENV --algo ppo --steps N` and times it;
3. prints the ratio, and where the training time went: rollouts and updates (from the run's
   charts/rollout_seconds and charts/update_seconds, per iteration), and the rest (evaluations,
   checkpoints). Evaluations simulate too: their env steps are counted from the metrics.

Usage: python3 bench/ppo_vs_simulator.py [--env Hopper-v5] [--steps 1000000] [--seed 1]
       [--threads 1] [--build build] [--tandem build/tandem] [--set KEY=VALUE ...]
The goal (issue 13): training ≤ 1.5× the floor of its N training steps.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def bare_step_rate(build, env):
    model = env.split("-")[0]  # env_bench names the bare loop after the model: BM_BareMjStep/Hopper
    out = subprocess.run(
        [os.path.join(build, "bench", "env_bench"), f"--benchmark_filter=BM_BareMjStep/{model}$",
         "--benchmark_format=json", "--benchmark_min_time=3"],
        check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)["benchmarks"] if out.strip() else []
    if not rows:
        sys.exit(f"env_bench has no BM_BareMjStep/{model} (see env_bench --benchmark_list_tests)")
    return rows[0]["items_per_second"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="Hopper-v5")
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
    p.add_argument("--tandem", help="the tandem executable (default: BUILD/tandem)")
    p.add_argument("--set", action="append", default=[], help="passed to tandem train --set")
    args = p.parse_args()

    # the bare loop is timed before and after the training, and the faster of the two is the
    # floor: a machine whose speed drifts (shared cores, turbo) never flatters the ratio
    rate_before = bare_step_rate(args.build, args.env)
    print(f"bare mj_step loop ({args.env}, its frame skip): {rate_before:,.0f} env steps/s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        cmd = [args.tandem or os.path.join(args.build, "tandem"), "train", "--env", args.env, "--algo", "ppo",
               "--seed", str(args.seed), "--steps", str(args.steps), "--threads", str(args.threads),
               "--quiet", "--out", out]
        for s in args.set:
            cmd += ["--set", s]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        lines = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl"))]
    rate_after = bare_step_rate(args.build, args.env)
    rate = max(rate_before, rate_after)
    floor = args.steps / rate
    print(f"bare mj_step loop again: {rate_after:,.0f} env steps/s -> floor of {args.steps:,} steps: "
          f"{floor:.1f} s")

    iterations = [l for l in lines if "charts/rollout_seconds" in l]
    per_rollout = sum(l["charts/rollout_seconds"] for l in iterations) / len(iterations)
    per_update = sum(l["charts/update_seconds"] for l in iterations) / len(iterations)
    n_iter = lines[-1]["charts/gradient_steps"] // max(1, lines[-1]["losses/updates"])
    rollout, update = per_rollout * n_iter, per_update * n_iter
    evals = [l for l in lines if "eval/return_mean" in l]
    eval_steps = sum(l["eval/episodes"] * l["eval/length_mean"] * (2 if "eval/sampled_return_mean" in l else 1)
                     for l in evals)
    final = sum(l["eval/return_mean"] for l in evals[-3:]) / len(evals[-3:])
    print(f"tandem train: {wall:.1f} s wall, {wall / floor:.2f}x the floor "
          f"(threads {args.threads}, final return, mean of the last 3 evaluations: {final:.0f})")
    print(f"  rollouts ~{rollout:.1f} s ({rollout / floor:.2f}x the floor), updates ~{update:.1f} s, "
          f"the rest (evaluations: {len(evals)} x {evals[-1]['eval/episodes']} episodes, "
          f"{eval_steps:,.0f} env steps; checkpoints) ~{wall - rollout - update:.1f} s")
    print(json.dumps({"env": args.env, "steps": args.steps, "threads": args.threads,
                      "bare_steps_per_second": rate, "floor_seconds": floor, "wall_seconds": wall,
                      "ratio": wall / floor, "rollout_seconds": rollout, "update_seconds": update,
                      "eval_env_steps": eval_steps, "final_return": final}))


if __name__ == "__main__":
    main()
