// The cached expert: PPO trained on an env's own (true) reward, once per env, policy
// architecture and budget, into the cache folder — the policies of known quality that synthetic
// feedback on control is made from (algorithms.md; feedback.h):
//   - preference segments from a mix of its snapshots (random, early, mid, late);
//   - demonstrations: full episodes of its final policy ("expert": "auto");
//   - advantage labels of preference segments: its final policy's critic (label "advantage",
//     segment_labels.h);
//   - the common start of offline learners (DPO, SFT, AIHF-DPO) on control: a weak snapshot,
//     "policy.start_from": "expert:early" — the same start for every algorithm of a comparison.
//
// Folder: <cache>/experts/<env>-<hash of env, policy, budget and PPO config>/
//   expert.json          {"version": 1, "env": {"id", "options"}, "policy": {...},
//                         "algorithm": {"name": "ppo", "config": {...}}, "steps": N, "seed": 1,
//                         "train_seconds": t, "snapshots": [{"name", "fraction", "env_steps",
//                         "return_mean", "return_std", "dir"}, ...]}   (written last: the marker)
//   random/ early/ mid/ late/   run-like folders (config.json + checkpoint.pt) that
//                         "start_from", "expert" and `tandem eval --checkpoint` read
//   train/               the PPO run itself (config.json, metrics.jsonl, checkpoints)
// Snapshots: random = the initial policy (0 steps), early = 10 %, mid = 30 %, late = 100 % of
// the budget (the first PPO iteration at or past each). Returns are the env's own, over 10
// evaluation episodes (deterministic where the env recommends it).
//
// Budget: the env's recommended "expert_training": {"steps": N} (EnvSpec::recommended; e.g.
// Hopper-v5 300k, InvertedPendulum-v5 small enough for tests), or a field (expert_steps).
//
// Names, resolved here and nowhere else: "expert:SNAPSHOT" or "expert:SNAPSHOT@STEPS" (a
// budget other than the env's); demonstrations' "auto" is "expert:late". Names mean the expert
// of the env with its default options: a run with env options names a run folder instead.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agents/policy.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::algorithms {

struct ExpertSnapshot {
  std::string name;                        // random, early, mid, late
  double fraction = 0;                     // where in the budget it was taken
  std::string dir;                         // run-like folder: config.json + checkpoint.pt
  int64_t env_steps = 0;                   // training steps behind it
  double return_mean = 0, return_std = 0;  // the env's own return, evaluation starts
};

struct ExpertRun {
  std::string dir;
  int64_t steps = 0;         // the training budget
  double train_seconds = 0;  // wall time of its training (when it was trained)
  std::vector<ExpertSnapshot> snapshots;
  // Throws tandem::Error listing the snapshot names.
  const ExpertSnapshot& snapshot(const std::string& name) const;
};

// (name, fraction of the budget) of every snapshot, in training order.
const std::vector<std::pair<std::string, double>>& expert_snapshots();

// The env's recommended expert budget (1M env steps where it recommends none).
int64_t recommended_expert_steps(const envs::EnvSpec& spec);

// The expert of (env, options, policy architecture, budget): read from the cache, or trained
// first (under a file lock, so concurrent processes train it once; with a progress bar when
// `progress`). `policy_config` loses any "start_from"; `steps` 0 is the env's recommended
// budget. Training does not move the caller's torch random stream or thread settings.
ExpertRun cached_expert(const std::string& env_id, const json& env_options,
                        const json& policy_config, int64_t steps, bool progress);

// Experts this process has trained (not read from the cache): for tests.
int64_t expert_trainings();

// True for "expert:..." names.
bool is_expert_name(const std::string& value);
// The folder of the snapshot a name stands for (training the expert on first use). `steps` is
// the budget when the name gives none (0: the env's). Throws tandem::Error naming `where` for a
// malformed name, an unknown snapshot, or env options other than the defaults.
std::string resolve_expert_name(const std::string& name, const std::string& env_id,
                                const json& env_options, const json& policy_config, int64_t steps,
                                bool progress, const std::string& where);

// A finished run's policy: config.json's policy config (same env id, checked), checkpoint.pt's
// weights.
agents::Policy load_run_policy(const std::string& dir, const envs::Env& env);

}  // namespace tandem::algorithms
