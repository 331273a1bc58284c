// The losses of learning from preferences and demonstrations, on per-trajectory log-likelihoods
// log π(y|x) = masked sum of per-step log-probs (TrajectoryBatch::masked_sum), so they are the
// same for a token sequence and a control segment:
//   DPO  (Rafailov et al. 2023):  − mean log σ(β [h(y_w) − h(y_l)]),  h = log π − log π_ref
//   BT reward learning:           − mean w · log σ(r(y_w) − r(y_l))
//   SFT / BC:                     − mean log π(y^E | x)  (per valid step)
#pragma once

#include <torch/types.h>

namespace tandem::algorithms {

struct DpoLoss {
  torch::Tensor loss;            // scalar
  torch::Tensor chosen_reward;   // [P] implicit rewards β h(y_w) (log them: "chosen going down")
  torch::Tensor rejected_reward; // [P] β h(y_l)
  torch::Tensor margin;          // [P] chosen − rejected
  torch::Tensor accuracy;        // scalar, share of pairs with margin > 0
};

// All [P] sequence log-likelihoods; `weights` [P] (undefined: all 1) weigh pairs in the mean.
DpoLoss dpo_loss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                 const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected, double beta,
                 const torch::Tensor& weights = {});

// Weighted Bradley–Terry loss on reward scores [P]: − Σ w log σ(r_w − r_l) / Σ w.
torch::Tensor bradley_terry_loss(const torch::Tensor& chosen_score,
                                 const torch::Tensor& rejected_score,
                                 const torch::Tensor& weights = {});

// Negative log-likelihood per valid step: − Σ mask·log π / Σ mask, log_prob and mask [B, T].
torch::Tensor sft_loss(const torch::Tensor& log_prob, const torch::Tensor& mask);

}  // namespace tandem::algorithms
