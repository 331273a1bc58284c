// APA's configuration and loss, exposed for tests; the algorithm itself lives in apa.cc.
#pragma once

#include <torch/types.h>

#include "algorithms/on_policy.h"

namespace tandem::algorithms {

struct ApaConfig {
  OnPolicyConfig base;
  double adv_coeff = 10.0;
  double target_clip = 0.0;

  template <class V>
  void visit(V& v) {
    base.visit(v);
    v.field("adv_coeff", adv_coeff, 0.0, 1e6,
            "1/λ: the regression target is log π_init + adv_coeff·Â (official default 10)");
    v.field("target_clip", target_clip, 0.0, 1e6,
            "clip adv_coeff·Â, the target's deviation from log π_init, to ±this (0: off)");
  }
};

// L_APA = mean over valid steps of (log π − log π_init − clip(adv_coeff·Â))²  (all [B, T]).
torch::Tensor apa_loss(const torch::Tensor& log_prob, const torch::Tensor& init_log_prob,
                       const torch::Tensor& advantages, const torch::Tensor& mask, double adv_coeff,
                       double target_clip);

// APA's policy loss on a minibatch, with its statistics (entropy, approx KL to π_old, mean
// log π − log π_init): what `apa` and `aihf` (inner = apa) minimize.
PolicyLoss apa_policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages, double adv_coeff, double target_clip);

}  // namespace tandem::algorithms
