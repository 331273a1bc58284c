#include "algorithms/preference_losses.h"

#include <torch/torch.h>

namespace tandem::algorithms {
namespace {

// Σ w x / Σ w, with w = 1 when undefined
torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& weights) {
  if (!weights.defined()) return x.mean();
  return (x * weights).sum() / weights.sum().clamp_min(1e-12);
}

}  // namespace

DpoLoss dpo_loss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                 const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected, double beta,
                 const torch::Tensor& weights) {
  DpoLoss l;
  torch::Tensor chosen = beta * (policy_chosen - ref_chosen);
  torch::Tensor rejected = beta * (policy_rejected - ref_rejected);
  // −log σ(z) = softplus(−z), stable for large |z|
  l.loss = weighted_mean(torch::softplus(-(chosen - rejected)), weights);
  l.chosen_reward = chosen.detach();
  l.rejected_reward = rejected.detach();
  l.margin = (chosen - rejected).detach();
  l.accuracy = (l.margin > 0).to(torch::kFloat32).mean();
  return l;
}

torch::Tensor bradley_terry_loss(const torch::Tensor& chosen_score,
                                 const torch::Tensor& rejected_score,
                                 const torch::Tensor& weights) {
  return weighted_mean(torch::softplus(-(chosen_score - rejected_score)), weights);
}

torch::Tensor sft_loss(const torch::Tensor& log_prob, const torch::Tensor& mask) {
  return -(log_prob * mask).sum() / mask.sum().clamp_min(1.0);
}

}  // namespace tandem::algorithms
