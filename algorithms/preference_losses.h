// The losses of learning from preferences and demonstrations, on per-trajectory log-likelihoods
// log π(y|x) = masked sum of per-step log-probs (TrajectoryBatch::masked_sum), so they are the
// same for a token sequence and a control segment:
//   DPO  (Rafailov et al. 2023):  − mean log σ(β [h(y_w) − h(y_l)]),  h = log π − log π_ref
//   BT reward learning:           − mean log σ(r(y_w) − r(y_l))
//   SFT / BC:                     − mean log π(y^E | x)  (per valid step)
// AIHF (Li et al. 2024) applies the first two to two sources at once, demonstration pairs
// y^E ≻ y' and preference pairs y_w ≻ y_l, as its objective does: w_D E_D[ℓ] + w_P E_P[ℓ], a
// mean per source, then weighted (source_mean).
#pragma once

#include <torch/types.h>

namespace tandem::algorithms {

// The weights of AIHF's two sources; the defaults make the plain mean of one source.
struct SourceWeights {
  double w_d = 1.0;  // of the demonstration pairs' mean
  double w_p = 1.0;  // of the preference pairs' mean
};

// Per-pair losses x [P] of a minibatch →
//   w_D · mean_{demonstration pairs} x + w_P · mean_{preference pairs} x,
// `demonstration` [P] bool telling them apart (undefined: all are preference pairs). A source
// with no pair in the minibatch adds 0. Not Σ w x / Σ w over the union: that gives the
// demonstrations the share |D| / (|D| + |P|) of the loss whatever the weights (10 demonstrations
// beside 500 preference pairs: 2 %). One source with weight 1 is exactly x.mean().
torch::Tensor source_mean(const torch::Tensor& x, const torch::Tensor& demonstration,
                          const SourceWeights& weights);

struct DpoLoss {
  torch::Tensor loss;            // scalar
  torch::Tensor chosen_reward;   // [P] implicit rewards β h(y_w) (log them: "chosen going down")
  torch::Tensor rejected_reward; // [P] β h(y_l)
  torch::Tensor margin;          // [P] chosen − rejected
  torch::Tensor accuracy;        // scalar, share of pairs with margin > 0
};

// All [P] sequence log-likelihoods; the loss is the source_mean of the per-pair losses
// (`demonstration` undefined, default weights: the plain mean, DPO's).
DpoLoss dpo_loss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                 const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected, double beta,
                 const torch::Tensor& demonstration = {}, const SourceWeights& weights = {});

// Bradley–Terry loss on reward scores [P]: the source_mean of − log σ(r_w − r_l) (by default
// the plain mean, the reward model's).
torch::Tensor bradley_terry_loss(const torch::Tensor& chosen_score,
                                 const torch::Tensor& rejected_score,
                                 const torch::Tensor& demonstration = {},
                                 const SourceWeights& weights = {});

// Negative log-likelihood per valid step: − Σ mask·log π / Σ mask, log_prob and mask [B, T].
torch::Tensor sft_loss(const torch::Tensor& log_prob, const torch::Tensor& mask);

}  // namespace tandem::algorithms
