// Reward learning by Bradley–Terry on preference pairs, for text and control alike:
//   L_RM = − mean log σ(R(y_w) − R(y_l)),  R(y) = masked sum of step_rewards
//   (agents/trajectory_reward.h)
// and the learned reward as a learner's reward source (RLHF = `reward_model`, then `ppo` or
// `apa` with "reward_model": "<that run's folder>").
//
// Budget: --steps counts preference pairs processed (one pass over 1 000 pairs = 1 000 steps).
// Evaluation: the starting policy is evaluated as every run is (so reports line up), and every
// evaluation also reports held-out pair accuracy beside the best accuracy the label noise
// allows (feedback.h: preference_accuracy_ceiling).
//
// A finished run's folder holds reward_model.pt (weights) and reward_model.json (architecture,
// held-out accuracy, ceiling, the preference files used).
#pragma once

#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "agents/trajectory_reward.h"
#include "algorithms/preference_losses.h"
#include "algorithms/reward_source.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::algorithms {

struct PreferencePair;

// How a reward model is shaped and trained: `reward_model` reads these fields under their own
// names, `aihf` (which also has a policy optimizer) with an "rm_" prefix.
struct RewardTrainingSettings {
  int64_t batch_size = 32;
  double learning_rate = 1e-4;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  std::vector<int64_t> hidden = {64, 64};
  std::string pooling = "last";

  template <class V>
  void visit(V& v, bool prefixed) {
    v.field(prefixed ? "rm_pooling" : "pooling", pooling, {"last", "mean"},
            "text: score the last token's hidden state, or the mean over all tokens");
    v.field(prefixed ? "rm_batch_size" : "batch_size", batch_size, int64_t{1}, int64_t{65536},
            "pairs per reward-model gradient step");
    v.field(prefixed ? "rm_learning_rate" : "learning_rate", learning_rate, 0.0, 1.0,
            "reward model's AdamW step size");
    v.field(prefixed ? "rm_weight_decay" : "weight_decay", weight_decay, 0.0, 10.0,
            "reward model's AdamW weight decay");
    v.field(prefixed ? "rm_max_grad_norm" : "max_grad_norm", max_grad_norm, 0.0, 1e9,
            "reward model's global gradient-norm clip (0: off)");
    v.field(prefixed ? "rm_hidden" : "hidden", hidden, int64_t{1}, int64_t{65536},
            "control: hidden widths of r(s, a)");
  }
};

// A new reward model for `policy`'s task: the text RM on the policy's LM, or an MLP r(s, a).
agents::TrajectoryReward make_reward_model(const agents::PolicyImpl& policy,
                                           const envs::EnvSpec& spec,
                                           const RewardTrainingSettings& settings);

// Bradley–Terry training of a reward model: per minibatch, ℓ_i = − log σ(R(y_w,i) − R(y_l,i)) and
//   L = w_D · mean_{demonstration pairs} ℓ + w_P · mean_{preference pairs} ℓ
// (preference_losses.h: source_mean; AIHF's two sources). Without demonstration pairs and with
// w_P = 1 it is the plain mean, reward_model's. AdamW with gradient-norm clipping.
class RewardTrainer {
 public:
  RewardTrainer(agents::TrajectoryReward reward, const RewardTrainingSettings& settings);

  struct Step {
    double loss = 0;
    int64_t right = 0;  // pairs with R(y_w) > R(y_l)
  };
  // One gradient step on pairs[rows]; `demonstration` [rows.size()] bool marks AIHF's
  // demonstration pairs among them (undefined: none, SourceBatches::demonstration_mask).
  Step step(const std::vector<const PreferencePair*>& pairs, const std::vector<int64_t>& rows,
            const torch::Tensor& demonstration = {}, const SourceWeights& weights = {});
  // Share of pairs ranked right; a tie counts ½ (as in preference_accuracy_ceiling).
  double accuracy(const std::vector<PreferencePair>& pairs);
  const agents::TrajectoryReward& reward() const { return reward_; }
  // The reward's weights and the optimizer's moments, into a run's checkpoint and back: a
  // resumed AIHF run refits its reward exactly as the uninterrupted one would.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  agents::TrajectoryReward reward_;
  RewardTrainingSettings settings_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_ = 0;  // gradient steps taken, for a divergence's diagnosis
};

// The weights alone, written atomically / read back into a reward of the same shape.
void save_reward_model_weights(const std::string& path, const agents::TrajectoryReward& reward);
void load_reward_model_weights(const std::string& path, const agents::TrajectoryReward& reward);

// reward_model.pt and reward_model.json (settings, `info`) in `dir`, both written atomically;
// load_reward_model reads them back.
void save_reward_model(const std::string& dir, const agents::TrajectoryReward& reward,
                       const RewardTrainingSettings& settings, json info);

// Scores a rollout with a learned reward: rewards = step_rewards(batch), no gradients.
class LearnedRewardSource : public RewardSource {
 public:
  explicit LearnedRewardSource(agents::TrajectoryReward reward) : reward_(std::move(reward)) {}
  void relabel(agents::TrajectoryBatch& batch) override;
  std::string name() const override { return "learned reward model"; }

 private:
  agents::TrajectoryReward reward_;
};

// The reward model a finished `reward_model` run left in `run_dir`, shaped for `policy` (the
// run's starting policy architecture). Throws tandem::Error naming the missing file.
agents::TrajectoryReward load_reward_model(const std::string& run_dir,
                                           const agents::PolicyImpl& policy,
                                           const envs::EnvSpec& spec);

}  // namespace tandem::algorithms
