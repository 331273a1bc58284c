#include "algorithms/gae.h"

#include <torch/torch.h>

namespace tandem::algorithms {

void compute_gae(agents::TrajectoryBatch& batch, double gamma, double lambda) {
  // a backward scan over T steps on raw floats: T small ops per column would cost more
  torch::Tensor r = batch.rewards.to(torch::kFloat32).contiguous();
  torch::Tensor v = batch.values.to(torch::kFloat32).contiguous();
  torch::Tensor nv = batch.next_values.to(torch::kFloat32).contiguous();
  torch::Tensor end = batch.episode_end.to(torch::kBool).contiguous();
  torch::Tensor mask = batch.mask.to(torch::kFloat32).contiguous();
  torch::Tensor adv = torch::zeros_like(r);
  const int64_t rows = r.size(0), steps = r.size(1);
  const float* rs = r.data_ptr<float>();
  const float* vs = v.data_ptr<float>();
  const float* nvs = nv.data_ptr<float>();
  const bool* ends = end.data_ptr<bool>();
  const float* ms = mask.data_ptr<float>();
  float* as = adv.data_ptr<float>();
  for (int64_t i = 0; i < rows; ++i) {
    double next_adv = 0;
    for (int64_t t = steps - 1; t >= 0; --t) {
      const int64_t k = i * steps + t;
      if (ms[k] == 0) {
        next_adv = 0;
        continue;
      }
      const double delta = rs[k] + gamma * nvs[k] - vs[k];
      const double carry = ends[k] ? 0.0 : gamma * lambda * next_adv;
      next_adv = delta + carry;
      as[k] = static_cast<float>(next_adv);
    }
  }
  batch.advantages = adv;
  batch.returns = (adv + v) * mask;
}

torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask) {
  return (x * mask).sum() / mask.sum().clamp_min(1.0);
}

torch::Tensor whiten(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor mean = masked_mean(x, mask);
  torch::Tensor centered = (x - mean) * mask;
  torch::Tensor var = (centered * centered).sum() / (mask.sum() - 1).clamp_min(1.0);
  return centered * torch::rsqrt(var + 1e-8);
}

}  // namespace tandem::algorithms
