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

}  // namespace tandem::agents
