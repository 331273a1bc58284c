// What PPO, APA and AIHF's inner RL share: rollouts from a VectorEnv, the learner's reward
// (the env's, or a reward source's, minus an optional per-step KL penalty to the reference
// policy), GAE with a learned critic, whitened advantages, minibatch epochs of Adam with
// gradient-norm clipping and an annealed step size, checkpoints and metrics. A subclass supplies
// only its policy loss on a minibatch; the value loss is shared.
#pragma once

#include <torch/optim/adam.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/reward_source.h"

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize

namespace tandem::algorithms {

// Defaults are the standard MuJoCo PPO settings (Schulman et al. 2017; Huang et al. 2022,
// "The 37 Implementation Details of PPO", as in CleanRL's ppo_continuous_action).
struct OnPolicyConfig {
  int64_t num_envs = 1;
  int64_t steps_per_env = 2048;
  int64_t epochs = 10;
  int64_t minibatches = 32;
  double learning_rate = 3e-4;
  bool anneal_lr = true;
  double adam_eps = 1e-5;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  double value_coef = 0.5;
  bool clip_value_loss = true;
  double value_clip = 0.2;
  double max_grad_norm = 0.5;
  bool normalize_reward = true;
  double reward_clip = 10.0;
  double kl_coef = 0.0;
  std::string advantage_whitening = "batch";
  int64_t checkpoint_interval = 50;
  std::vector<int64_t> keep_checkpoints;
  std::string reward_model;

  template <class V>
  void visit(V& v) {
    v.field("num_envs", num_envs, int64_t{1}, int64_t{4096}, "parallel envs in the rollout");
    v.field("steps_per_env", steps_per_env, int64_t{1}, int64_t{1} << 20,
            "rollout length per env per iteration (whole-episode rollouts: the step cap)");
    v.field("epochs", epochs, int64_t{1}, int64_t{1000}, "passes over each rollout");
    v.field("minibatches", minibatches, int64_t{1}, int64_t{1} << 20, "minibatches per epoch");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("anneal_lr", anneal_lr, "decay the step size linearly to 0 over the budget");
    v.field("adam_eps", adam_eps, 0.0, 1.0, "Adam epsilon");
    v.field("gamma", gamma, 0.0, 1.0, "discount factor");
    v.field("gae_lambda", gae_lambda, 0.0, 1.0, "GAE lambda");
    v.field("value_coef", value_coef, 0.0, 1e3, "weight of the value loss");
    v.field("clip_value_loss", clip_value_loss, "clip the value update around the old value");
    v.field("value_clip", value_clip, 0.0, 1e6, "range of that clip");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
    v.field("normalize_reward", normalize_reward,
            "divide rewards by the running std of the discounted return");
    v.field("reward_clip", reward_clip, 0.0, 1e9, "clip scaled rewards to ±reward_clip");
    v.field("kl_coef", kl_coef, 0.0, 1e3,
            "per-step reward penalty kl_coef·(log π_old − log π_ref) toward the start policy");
    v.field("advantage_whitening", advantage_whitening, {"batch", "minibatch", "none"},
            "where advantages are whitened");
    v.field("checkpoint_interval", checkpoint_interval, int64_t{1}, int64_t{1} << 30,
            "iterations between checkpoints (one is always written at the end)");
    v.field("keep_checkpoints", keep_checkpoints, int64_t{0}, int64_t{1} << 50,
            "env steps N at which checkpoint-N.pt is kept too (the policy once N steps are "
            "reached; 0: the start policy)");
    v.field("reward_model", reward_model, std::vector<std::string>{},
            "folder of a finished reward_model run: learn from its reward, not the env's (RLHF)");
  }
};

// A policy loss on one minibatch, with named statistics averaged into the metrics
// ("losses/<name>").
struct PolicyLoss {
  torch::Tensor loss;
  std::vector<std::pair<std::string, torch::Tensor>> stats;
};

// 1 − Var(R − V) / Var(R) over the steps where mask is 1 (padding would add zeros to both).
double explained_variance(const torch::Tensor& values, const torch::Tensor& returns,
                          const torch::Tensor& mask);

// ½ mean (V − R)², or with the clip: ½ mean max((V − R)², (V_old + clip(V − V_old, ±c) − R)²).
torch::Tensor value_loss(const torch::Tensor& values, const torch::Tensor& old_values,
                         const torch::Tensor& returns, const torch::Tensor& mask, bool clip,
                         double clip_range);

class OnPolicyAlgorithm : public Algorithm {
 public:
  void train(RunContext& ctx) override;
  agents::Policy policy() const override { return policy_; }
  // Where the learner's reward comes from; default: the env's own reward.
  void set_reward_source(std::shared_ptr<RewardSource> source) { reward_source_ = source; }

 protected:
  // `name` labels metrics and errors; `base` must outlive this object (a subclass member).
  OnPolicyAlgorithm(std::string name, const OnPolicyConfig& base) : name_(name), base_(base) {}

  // The policy loss of a minibatch: ev is the current policy's evaluation of mb; mb carries
  // log_probs (π_old), ref_log_probs (π_ref, when needs_reference()), advantages, returns.
  virtual PolicyLoss policy_loss(const agents::EvaluateResult& ev,
                                 const agents::TrajectoryBatch& mb,
                                 const torch::Tensor& advantages) = 0;
  // Whether log π_ref of every rollout step is needed (beyond a KL penalty in the reward).
  virtual bool needs_reference() const { return false; }
  // What to turn when the loss or the gradients stop being finite (algorithms/divergence.h).
  virtual std::string divergence_knob() const {
    return "lower learning_rate or clip the gradients (max_grad_norm)";
  }
  // Called after each epoch with that epoch's mean statistics; true stops the update early.
  virtual bool stop_after_epoch(const json& epoch_stats) const { return false; }
  // Outer loops around the RL (AIHF's rounds): on_start once the policy and the reference
  // exist, before the first evaluation; before_iteration ahead of each rollout, its metrics
  // joining that iteration's line.
  virtual void on_start(RunContext& ctx) {}
  virtual json before_iteration(RunContext& ctx, int64_t env_steps) { return json::object(); }
  // What a subclass adds to a checkpoint at `checkpoint_path` (counters it returns, files beside
  // it), and takes back when a run resumes from it.
  virtual json checkpoint_state(const std::string& checkpoint_path) { return json::object(); }
  virtual void restore_state(const std::string& checkpoint_path, const json& counters) {}
  // Tensors a subclass keeps inside the checkpoint file itself, so they are written atomically
  // with it (AIHF's reward model and its optimizer); read back before restore_state().
  virtual void save_tensors(torch::serialize::OutputArchive& archive) {}
  virtual void load_tensors(torch::serialize::InputArchive& archive) {}
  agents::PolicyImpl& current_policy() { return *policy_; }
  const agents::Policy& reference() const { return reference_; }

 private:
  json update(const agents::TrajectoryBatch& batch, int64_t iteration);

  std::string name_;
  const OnPolicyConfig& base_;
  agents::Policy policy_;
  agents::Policy reference_;
  std::shared_ptr<RewardSource> reward_source_;
  std::unique_ptr<FlatParameters> flat_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace tandem::algorithms
