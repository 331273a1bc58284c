#include "agents/policy.h"

#include <torch/torch.h>

namespace tandem::agents {

void copy_policy_state(const PolicyImpl& from, PolicyImpl& to) {
  torch::NoGradGuard no_grad;
  auto dst_p = to.named_parameters();
  for (const auto& item : from.named_parameters()) dst_p[item.key()].copy_(item.value());
  auto dst_b = to.named_buffers();
  for (const auto& item : from.named_buffers()) dst_b[item.key()].copy_(item.value());
}

std::shared_ptr<PolicyImpl> frozen_copy(const PolicyImpl& policy) {
  std::shared_ptr<PolicyImpl> copy = policy.clone_policy();
  for (auto& p : copy->parameters()) p.requires_grad_(false);
  return copy;
}

EvaluateResult evaluate_own_view(PolicyImpl& policy, const TrajectoryBatch& batch) {
  if (!batch.env_obs.defined()) return policy.evaluate(batch);
  TrajectoryBatch own = batch;
  const int64_t rows = batch.env_obs.size(0), steps = batch.env_obs.size(1);
  own.obs = policy.preprocess(batch.env_obs.reshape({rows * steps, -1}), /*update=*/false)
                .reshape({rows, steps, -1});  // [B, T, obs_dim]
  return policy.evaluate(own);
}

}  // namespace tandem::agents
