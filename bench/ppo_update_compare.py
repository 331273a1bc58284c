#!/usr/bin/python3
"""One PPO minibatch step on Hopper's shapes in tandem, in a plain LibTorch loop and in Python
torch, run back to back on one thread; prints each one's time and tandem's speed-up.

The Python loop is the same math as bench/ppo_update_bench.cc's plain loop: two 64-64 tanh MLPs
(actor and critic), a state-independent log-std, the Gaussian log-prob, the clipped surrogate,
the clipped value loss, the approx-KL and clip-fraction statistics, backward, clip_grad_norm_
to 0.5 and Adam; a rollout of 2048 steps, 10 epochs of 32 minibatches of 64.

Usage: /usr/bin/python3 bench/ppo_update_compare.py [--bench build/bench/ppo_update_bench]
           [--rounds 3] [--repeats 5]
Needs Debian's python3-torch (the same 1.13 as the LibTorch tandem links): run it with Debian's
/usr/bin/python3, not another Python on the PATH. Sets OPENBLAS_NUM_THREADS=1 for all three.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

OBS, ACT, STEPS, EPOCHS, MINIBATCHES = 11, 3, 2048, 10, 32


def python_update_us(repeats):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(1)

    def mlp(out, gain):
        net = nn.Sequential(nn.Linear(OBS, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                            nn.Linear(64, out))
        for i, layer in enumerate(net):
            if isinstance(layer, nn.Linear):
                nn.init.orthogonal_(layer.weight, gain if i == 4 else math.sqrt(2))
                nn.init.zeros_(layer.bias)
        return net

    actor, critic = mlp(ACT, 0.01), mlp(1, 1.0)
    log_std = nn.Parameter(torch.zeros(ACT))
    params = list(actor.parameters()) + list(critic.parameters()) + [log_std]
    adam = torch.optim.Adam(params, lr=3e-4, eps=1e-5)
    clip, log_sqrt_2pi = 0.2, 0.5 * math.log(2 * math.pi)

    def log_prob(mean, a):
        z = (a - mean) / log_std.exp()
        return (-0.5 * z.pow(2) - log_std - log_sqrt_2pi).sum(-1)

    obs, actions = torch.randn(STEPS, OBS), torch.randn(STEPS, ACT) * 0.5
    with torch.no_grad():
        old_logp = log_prob(actor(obs), actions)
        old_values = critic(obs).squeeze(-1)
    advantages = torch.randn(STEPS)
    returns = advantages + old_values
    mb = STEPS // MINIBATCHES

    def update():
        steps = 0
        for _ in range(EPOCHS):
            order = torch.randperm(STEPS)
            for start in range(0, STEPS, mb):
                idx = order[start:start + mb]
                o, a, adv, ret, v_old = obs[idx], actions[idx], advantages[idx], returns[idx], old_values[idx]
                logratio = log_prob(actor(o), a) - old_logp[idx]
                ratio = logratio.exp()
                pg = torch.max(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip)).mean()
                v = critic(o).squeeze(-1)
                v_clipped = v_old + (v - v_old).clamp(-clip, clip)
                vl = 0.5 * torch.max((v - ret).pow(2), (v_clipped - ret).pow(2)).mean()
                entropy = (log_std + log_sqrt_2pi + 0.5).sum()
                loss = pg - 0.0 * entropy + 0.5 * vl
                with torch.no_grad():
                    ((ratio - 1) - logratio).mean().item()
                    ((ratio - 1).abs() > clip).float().mean().item()
                adam.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, 0.5)
                adam.step()
                steps += 1
        return steps

    update()
    us = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        steps = update()
        us.append((time.perf_counter() - t0) * 1e6 / steps)
    return statistics.median(us)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--bench", default=os.path.join(here, "..", "build", "bench", "ppo_update_bench"),
                        help="the C++ bench (default: build/bench/ppo_update_bench)")
    parser.add_argument("--rounds", type=int, default=3, help="back-to-back rounds of all three")
    parser.add_argument("--repeats", type=int, default=5, help="timed updates per measurement")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench}: not built (cmake --build build --target ppo_update_bench)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    results = {"tandem": [], "plain": [], "python": [], "act": []}
    for r in range(args.rounds):
        out = subprocess.run([args.bench, "--repeats", str(args.repeats)], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            row = json.loads(line)
            results[row["impl"]].append(row["us_per_step"])
        results["python"].append(python_update_us(args.repeats))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} µs" for k, v in results.items()),
              flush=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    print("\nPPO minibatch step, Hopper shapes (64 × obs 11, act 3, 64-64 MLPs), one thread; "
          f"median of {args.rounds} rounds × {args.repeats} updates")
    print(f"| implementation | µs per minibatch step | tandem's speed-up |")
    print(f"|---|---:|---:|")
    for k in ("tandem", "plain", "python"):
        print(f"| {k} | {med[k]:.1f} | {med[k] / med['tandem']:.2f}× |")
    print(f"\npolicy act at batch 1 (with the normalizer update): {med['act']:.1f} µs")
    print(json.dumps({"tandem_us": med["tandem"], "plain_us": med["plain"], "python_us": med["python"],
                      "act_us": med["act"], "vs_python": med["python"] / med["tandem"],
                      "vs_plain": med["plain"] / med["tandem"]}))


if __name__ == "__main__":
    main()
