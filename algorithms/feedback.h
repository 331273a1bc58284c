// Synthetic feedback: episodes and Bradley–Terry preference pairs made from a gold signal (the
// env's own return: a text task's gold reward, a control env's true return), stored as JSON
// lines, and turned into TrajectoryBatches for the learners. Learners see the labels, never the
// gold returns (they are kept in the file for evaluation and the accuracy ceiling).
//
// File format (one JSON object per line, "version": 1):
//   {"version": 1, "kind": "preference", "p_chosen": p, "flipped": false,
//    "chosen": EPISODE, "rejected": EPISODE}
//   EPISODE = {"context": env.context(), "actions": [[...], ...], "gold_return": g,
//              "summary": env.describe_episode()}
// An episode is replayed on load: the env restarts from its context and takes the actions, which
// gives the observations back (and checks the gold return, so a file made by another version of
// the env is refused, naming the line).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "agents/trajectory_batch.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::algorithms {

struct Episode {
  json context;               // env.context() at its start
  torch::Tensor env_obs;      // [T, obs_dim]
  torch::Tensor actions;      // [T, act_dim]
  double gold_return = 0;     // the env's own return
  json summary;               // env.describe_episode() at its end
};

struct PreferencePair {
  Episode chosen, rejected;
  double p_chosen = 1;   // the Bradley–Terry probability the label was drawn with
  bool flipped = false;  // the label was flipped on purpose (flip_fraction)
};

struct PreferenceConfig {
  int64_t pairs = 1000;
  double temperature = 1.0;
  double flip_fraction = 0.0;
  std::string prompts = "train";
  int64_t seed = 0;

  template <class V>
  void visit(V& v) {
    v.field("pairs", pairs, int64_t{1}, int64_t{10000000}, "preference pairs");
    v.field("temperature", temperature, 1e-6, 1e6,
            "P(a ≻ b) = σ((g_a − g_b) / temperature) on gold returns: the label-noise knob");
    v.field("flip_fraction", flip_fraction, 0.0, 1.0, "fraction of labels flipped afterwards");
    v.field("prompts", prompts, {"train", "eval"},
            "which episode starts (text: prompt split) the pairs come from");
    v.field("seed", seed, int64_t{0}, int64_t{1} << 53, "episode starts, sampling and labels");
  }
};

using EnvFactory = std::function<std::unique_ptr<envs::Env>()>;

// Two episodes of `policy` (sampled) from each of config.pairs episode starts, labelled by
// Bradley–Terry on their gold returns. `progress`: a progress line on stderr.
std::vector<PreferencePair> make_preference_pairs(agents::PolicyImpl& policy,
                                                  const EnvFactory& make_env,
                                                  const PreferenceConfig& config, bool progress);

void save_preferences(const std::string& path, const std::vector<PreferencePair>& pairs);
// Throws tandem::Error naming the file and line on a malformed line, an unknown version, or an
// episode that does not replay to its recorded gold return.
std::vector<PreferencePair> load_preferences(const std::string& path, const EnvFactory& make_env);

// The pairs for (env, starting policy, config) from the feedback cache, made (with `policy`)
// and cached under flock first when missing. `key` names the env and policy configuration.
std::string cached_preferences(const std::string& key, agents::PolicyImpl& policy,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress);

// The best accuracy any reward can reach on labels drawn this way: the mean over pairs of
// max(p, 1 − p) with p = σ((g_chosen − g_rejected) / temperature), flips accounted for.
double preference_accuracy_ceiling(const std::vector<PreferencePair>& pairs, double temperature,
                                   double flip_fraction);

// Padded batch of episodes, one per row: env_obs, obs (= policy.preprocess(env_obs) without
// updating its statistics, or env_obs without a policy), actions, mask, episode_start.
agents::TrajectoryBatch episodes_batch(const std::vector<const Episode*>& episodes,
                                       agents::PolicyImpl* policy);

}  // namespace tandem::algorithms
