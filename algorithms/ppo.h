// PPO's configuration and loss, exposed for tests; the algorithm itself lives in ppo.cc.
#pragma once

#include <torch/types.h>

#include <string>

#include "algorithms/on_policy.h"

namespace tandem::algorithms {

struct PpoConfig {
  OnPolicyConfig base;  // rollouts, GAE, optimizer: the standard MuJoCo PPO settings
  double clip = 0.2;
  double entropy_coef = 0.0;
  double target_kl = 0.0;

  template <class V>
  void visit(V& v) {
    base.visit(v);
    v.field("clip", clip, 0.0, 10.0, "ratio clip epsilon");
    v.field("entropy_coef", entropy_coef, -1e3, 1e3, "weight of the entropy bonus");
    v.field("target_kl", target_kl, 0.0, 1e3,
            "stop an update's epochs once an epoch's mean approx KL exceeds this (0: off)");
  }
};

struct PpoLoss {
  torch::Tensor total;    // policy + value_coef·value − entropy_coef·entropy
  torch::Tensor policy;   // clipped surrogate
  torch::Tensor value;    // ½ (clipped) squared error
  torch::Tensor entropy;  // mean entropy
  torch::Tensor approx_kl;  // k3 estimator of KL(π_old ‖ π): mean (ρ − 1) − log ρ, never < 0
  torch::Tensor clip_fraction;  // share of steps with |ρ − 1| > clip
};

// All inputs [B, T] (or any common shape); means are over steps where mask is 1.
//   ρ = exp(log π − log π_old),  L_pg = mean max(−Â ρ, −Â clip(ρ, 1 ± ε))
//   L_vf = ½ mean max((V − R)², (V_old + clip(V − V_old, ±value_clip) − R)²)
PpoLoss ppo_loss(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                 const torch::Tensor& advantages, const torch::Tensor& values,
                 const torch::Tensor& old_values, const torch::Tensor& returns,
                 const torch::Tensor& entropy, const torch::Tensor& mask, const PpoConfig& config);

// PPO's policy loss on a minibatch (clipped surrogate − entropy_coef·entropy; the shared update
// adds the value loss), with entropy, approx KL and clip fraction: what `ppo` and `aihf`
// (inner = ppo) minimize.
PolicyLoss ppo_policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages, const PpoConfig& config);

}  // namespace tandem::algorithms
