#include "agents/trajectory_batch.h"

#include <torch/torch.h>

namespace tandem::agents {
namespace {

template <typename Fn>
TrajectoryBatch map_fields(const TrajectoryBatch& b, Fn fn) {
  auto f = [&](const torch::Tensor& t) { return t.defined() ? fn(t) : t; };
  TrajectoryBatch out;
  out.obs = f(b.obs);
  out.actions = f(b.actions);
  out.mask = f(b.mask);
  out.episode_start = f(b.episode_start);
  out.env_obs = f(b.env_obs);
  out.rewards = f(b.rewards);
  out.log_probs = f(b.log_probs);
  out.ref_log_probs = f(b.ref_log_probs);
  out.values = f(b.values);
  out.next_values = f(b.next_values);
  out.episode_end = f(b.episode_end);
  out.advantages = f(b.advantages);
  out.returns = f(b.returns);
  return out;
}

}  // namespace

TrajectoryBatch TrajectoryBatch::select_rows(const torch::Tensor& index) const {
  return map_fields(*this, [&](const torch::Tensor& t) { return t.index_select(0, index); });
}

TrajectoryBatch TrajectoryBatch::slice_rows(int64_t start, int64_t end) const {
  return map_fields(*this, [&](const torch::Tensor& t) { return t.slice(0, start, end); });
}

TrajectoryBatch TrajectoryBatch::flatten_steps() const {
  const int64_t steps = size() * horizon();
  TrajectoryBatch out = map_fields(*this, [&](const torch::Tensor& t) {
    std::vector<int64_t> shape{steps, 1};
    for (int64_t d = 2; d < t.dim(); ++d) shape.push_back(t.size(d));
    return t.reshape(shape);
  });
  // each step now starts its own trajectory
  out.episode_start = torch::ones({steps, 1}, torch::kBool);
  return out;
}

torch::Tensor TrajectoryBatch::masked_sum(const torch::Tensor& per_step) const {
  return (per_step * mask).sum(1);
}

}  // namespace tandem::agents
