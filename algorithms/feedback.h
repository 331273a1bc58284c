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

// Demonstrations: for each of `demonstrations` episode starts, the best (by gold return) of
// `best_of` episodes of a demonstrator: an expert run's policy (a finished run folder), or the
// learner's own starting policy (best-of-n, the text recipe). Stored as JSON lines
// {"version": 1, "kind": "demonstration", "episode": EPISODE}.
struct DemonstrationConfig {
  int64_t demonstrations = 100;
  int64_t best_of = 1;
  std::string expert;
  bool expert_deterministic = true;
  int64_t demo_seed = 0;

  template <class V>
  void visit(V& v) {
    v.field("demonstrations", demonstrations, int64_t{1}, int64_t{10000000},
            "demonstration episodes");
    v.field("best_of", best_of, int64_t{1}, int64_t{1024},
            "episodes sampled per start; the one with the highest gold return is kept");
    v.field("expert", expert, std::vector<std::string>{},
            "folder of a finished run whose policy demonstrates; empty: the starting policy");
    v.field("expert_deterministic", expert_deterministic,
            "an expert acts with its mean action / most likely token (the start policy samples)");
    v.field("demo_seed", demo_seed, int64_t{0}, int64_t{1} << 53, "seeds the episode starts");
  }
};

struct DemonstrationData {
  std::vector<Episode> episodes;
  double gold_return_mean = 0;  // the demonstrator's mean gold return
  std::string path;
};

// The run's demonstrations, from the feedback cache (made and cached under flock first).
DemonstrationData demonstration_data(const std::string& env_id, const json& env_options,
                                     const json& policy_config, agents::PolicyImpl& start,
                                     const EnvFactory& make_env, const DemonstrationConfig& config,
                                     bool progress);
void save_demonstrations(const std::string& path, const std::vector<Episode>& episodes);
std::vector<Episode> load_demonstrations(const std::string& path, const EnvFactory& make_env);

// The preference data of an offline learner (reward_model, dpo, aihf): its fields sit in the
// algorithm's config.
struct PreferenceFeedbackConfig {
  int64_t pairs = 1000;
  double temperature = 1.0;
  double flip_fraction = 0.0;
  int64_t heldout_pairs = 500;
  int64_t feedback_seed = 0;
  std::string dataset;

  template <class V>
  void visit(V& v) {
    v.field("pairs", pairs, int64_t{1}, int64_t{10000000},
            "training pairs, sampled from the starting policy (ignored with dataset)");
    v.field("temperature", temperature, 1e-6, 1e6,
            "label noise: P(a ≻ b) = σ((gold_a − gold_b) / temperature)");
    v.field("flip_fraction", flip_fraction, 0.0, 1.0, "fraction of labels flipped on purpose");
    v.field("heldout_pairs", heldout_pairs, int64_t{1}, int64_t{1000000},
            "held-out pairs from the evaluation episode starts (text: eval prompts)");
    v.field("feedback_seed", feedback_seed, int64_t{0}, int64_t{1} << 53,
            "seeds the sampled pairs and labels (the run's seed does not: runs share data)");
    v.field("dataset", dataset, std::vector<std::string>{},
            "a preference file (feedback.h format); empty: generate and cache");
  }
};

struct PreferenceData {
  std::vector<PreferencePair> train, heldout;
  double heldout_ceiling = 0;  // preference_accuracy_ceiling of the held-out pairs
  std::string train_path, heldout_path;
};

// Training pairs (config.dataset, or sampled from `start` and cached) and held-out pairs
// (sampled from `start` on the evaluation episode starts), for the run's env and policy config.
PreferenceData preference_data(const std::string& env_id, const json& env_options,
                               const json& policy_config, agents::PolicyImpl& start,
                               const EnvFactory& make_env, const PreferenceFeedbackConfig& config,
                               bool progress);

// The minibatch schedule of an offline learner: shuffled pair (or episode) indices, epoch after
// epoch, until `total` items are processed (--steps counts items for offline algorithms).
class ItemBatches {
 public:
  ItemBatches(int64_t items, int64_t batch_size, int64_t total, int64_t eval_interval);
  // The next minibatch's indices; false once the budget is spent.
  bool next(std::vector<int64_t>* rows);
  int64_t processed() const { return processed_; }
  double epoch() const { return static_cast<double>(processed_) / items_; }
  // True once each time an evaluation interval is crossed, and after the last minibatch.
  bool report_due();

 private:
  int64_t items_, batch_size_, total_, eval_interval_;
  int64_t processed_ = 0, position_ = 0, next_report_;
  std::vector<int64_t> order_;
};

// Padded batch of episodes, one per row: env_obs, obs (= policy.preprocess(env_obs) without
// updating its statistics, or env_obs without a policy), actions, mask, episode_start.
agents::TrajectoryBatch episodes_batch(const std::vector<const Episode*>& episodes,
                                       agents::PolicyImpl* policy);

}  // namespace tandem::algorithms
