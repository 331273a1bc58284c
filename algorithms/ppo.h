// PPO's configuration and loss, exposed for tests; the algorithm itself lives in ppo.cc.
#pragma once

#include <string>

#include <torch/types.h>

#include "envs/config.h"

namespace tandem::algorithms {

// Defaults are the standard MuJoCo PPO settings (Schulman et al. 2017; Huang et al. 2022,
// "The 37 Implementation Details of PPO", as in CleanRL's ppo_continuous_action).
struct PpoConfig {
  int64_t num_envs = 1;
  int64_t steps_per_env = 2048;
  int64_t epochs = 10;
  int64_t minibatches = 32;
  double learning_rate = 3e-4;
  bool anneal_lr = true;
  double adam_eps = 1e-5;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  double clip = 0.2;
  bool clip_value_loss = true;
  double value_coef = 0.5;
  double entropy_coef = 0.0;
  double max_grad_norm = 0.5;
  double target_kl = 0.0;
  bool normalize_reward = true;
  double reward_clip = 10.0;
  std::string advantage_whitening = "batch";
  int64_t checkpoint_interval = 50;

  template <class V>
  void visit(V& v) {
    v.field("num_envs", num_envs, int64_t{1}, int64_t{4096}, "parallel envs in the rollout");
    v.field("steps_per_env", steps_per_env, int64_t{1}, int64_t{1} << 20,
            "rollout length per env per iteration");
    v.field("epochs", epochs, int64_t{1}, int64_t{1000}, "passes over each rollout");
    v.field("minibatches", minibatches, int64_t{1}, int64_t{1} << 20,
            "minibatches per epoch");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("anneal_lr", anneal_lr, "decay the step size linearly to 0 over the budget");
    v.field("adam_eps", adam_eps, 0.0, 1.0, "Adam epsilon");
    v.field("gamma", gamma, 0.0, 1.0, "discount factor");
    v.field("gae_lambda", gae_lambda, 0.0, 1.0, "GAE lambda");
    v.field("clip", clip, 0.0, 10.0, "ratio clip epsilon (also the value clip)");
    v.field("clip_value_loss", clip_value_loss, "clip the value update around the old value");
    v.field("value_coef", value_coef, 0.0, 1e3, "weight of the value loss");
    v.field("entropy_coef", entropy_coef, -1e3, 1e3, "weight of the entropy bonus");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
    v.field("target_kl", target_kl, 0.0, 1e3, "stop the epochs early above this KL (0: off)");
    v.field("normalize_reward", normalize_reward,
            "divide rewards by the running std of the discounted return");
    v.field("reward_clip", reward_clip, 0.0, 1e9, "clip scaled rewards to ±reward_clip");
    v.field("advantage_whitening", advantage_whitening, {"batch", "minibatch", "none"},
            "where advantages are whitened");
    v.field("checkpoint_interval", checkpoint_interval, int64_t{1}, int64_t{1} << 30,
            "iterations between checkpoints (one is always written at the end)");
  }
};

struct PpoLoss {
  torch::Tensor total;          // policy + value_coef·value − entropy_coef·entropy
  torch::Tensor policy;         // clipped surrogate
  torch::Tensor value;          // ½ (clipped) squared error
  torch::Tensor entropy;        // mean entropy
  torch::Tensor approx_kl;      // k3 estimator of KL(π_old ‖ π): mean (ρ − 1) − log ρ, never < 0
  torch::Tensor clip_fraction;  // share of steps with |ρ − 1| > clip
};

// All inputs [B, T] (or any common shape); means are over steps where mask is 1.
//   ρ = exp(log π − log π_old),  L_pg = mean max(−Â ρ, −Â clip(ρ, 1 ± ε))
//   L_vf = ½ mean max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²)
PpoLoss ppo_loss(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                 const torch::Tensor& advantages, const torch::Tensor& values,
                 const torch::Tensor& old_values, const torch::Tensor& returns,
                 const torch::Tensor& entropy, const torch::Tensor& mask,
                 const PpoConfig& config);

}  // namespace tandem::algorithms
