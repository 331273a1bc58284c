#include "algorithms/preference_losses.h"

#include <torch/torch.h>

namespace tandem::algorithms {

torch::Tensor source_mean(const torch::Tensor& x, const torch::Tensor& demonstration,
                          const SourceWeights& weights) {
  if (!demonstration.defined()) return weights.w_p == 1.0 ? x.mean() : weights.w_p * x.mean();
  TORCH_CHECK(demonstration.sizes() == x.sizes(), "source_mean: one source flag per pair");
  // each present source's mean, weighted; an absent one adds nothing
  torch::Tensor total;
  for (const auto& [is_demo, w] : {std::pair{false, weights.w_p}, std::pair{true, weights.w_d}}) {
    torch::Tensor mine = x.masked_select(demonstration == is_demo);
    if (mine.numel() == 0) continue;
    torch::Tensor term = w == 1.0 ? mine.mean() : w * mine.mean();
    total = total.defined() ? total + term : term;
  }
  return total.defined() ? total : x.sum() * 0.0;  // no pairs: 0, still a graph node
}

DpoLoss dpo_loss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                 const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected, double beta,
                 const torch::Tensor& demonstration, const SourceWeights& weights) {
  DpoLoss l;
  torch::Tensor chosen = beta * (policy_chosen - ref_chosen);
  torch::Tensor rejected = beta * (policy_rejected - ref_rejected);
  // −log σ(z) = softplus(−z), stable for large |z|
  l.loss = source_mean(torch::softplus(-(chosen - rejected)), demonstration, weights);
  l.chosen_reward = chosen.detach();
  l.rejected_reward = rejected.detach();
  l.margin = (chosen - rejected).detach();
  l.accuracy = (l.margin > 0).to(torch::kFloat32).mean();
  return l;
}

torch::Tensor bradley_terry_loss(const torch::Tensor& chosen_score,
                                 const torch::Tensor& rejected_score,
                                 const torch::Tensor& demonstration, const SourceWeights& weights) {
  return source_mean(torch::softplus(-(chosen_score - rejected_score)), demonstration, weights);
}

torch::Tensor sft_loss(const torch::Tensor& log_prob, const torch::Tensor& mask) {
  return -(log_prob * mask).sum() / mask.sum().clamp_min(1.0);
}

}  // namespace tandem::algorithms
