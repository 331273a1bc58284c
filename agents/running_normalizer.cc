#include "agents/running_normalizer.h"

#include <torch/torch.h>

namespace tandem::agents {

RunningNormalizerImpl::RunningNormalizerImpl(int64_t size, double clip) : clip_(clip) {
  mean_ = register_buffer("mean", torch::zeros({size}, torch::kFloat64));
  var_ = register_buffer("var", torch::ones({size}, torch::kFloat64));
  // a tiny prior count, so the first update is not a division by zero
  count_ = register_buffer("count", torch::full({1}, 1e-4, torch::kFloat64));
}

void RunningNormalizerImpl::update(const torch::Tensor& batch) {
  // plain loops: with one env per step the batch is tiny, and torch's per-op overhead would
  // dominate the rollout
  torch::Tensor x = batch.detach().to(torch::kFloat64).contiguous();
  const int64_t n = x.size(0), d = x.size(1);
  const double* xs = x.data_ptr<double>();
  double* mean = mean_.data_ptr<double>();
  double* var = var_.data_ptr<double>();
  double& count = *count_.data_ptr<double>();
  const double total = count + n;
  for (int64_t j = 0; j < d; ++j) {
    double bmean = 0, bvar = 0;
    for (int64_t i = 0; i < n; ++i) bmean += xs[i * d + j];
    bmean /= n;
    for (int64_t i = 0; i < n; ++i) bvar += (xs[i * d + j] - bmean) * (xs[i * d + j] - bmean);
    bvar /= n;
    const double delta = bmean - mean[j];
    const double m2 = var[j] * count + bvar * n + delta * delta * count * n / total;
    mean[j] += delta * n / total;
    var[j] = m2 / total;
  }
  count = total;
}

torch::Tensor RunningNormalizerImpl::state() const { return torch::cat({count_, mean_, var_}); }

void RunningNormalizerImpl::merge_updates(const torch::Tensor& base, const torch::Tensor& updated) {
  const int64_t d = mean_.size(0);
  TORCH_CHECK(base.numel() == 1 + 2 * d && updated.size(1) == 1 + 2 * d,
              "normalizer states of another size");
  const torch::Tensor b = base.to(torch::kFloat64).contiguous();
  const torch::Tensor u = updated.to(torch::kFloat64).contiguous();
  const double* bs = b.data_ptr<double>();
  const double c0 = bs[0];
  double* mean = mean_.data_ptr<double>();
  double* var = var_.data_ptr<double>();
  double& count = *count_.data_ptr<double>();
  count = c0;
  for (int64_t j = 0; j < d; ++j) {
    mean[j] = bs[1 + j];
    var[j] = bs[1 + d + j];
  }
  for (int64_t r = 0; r < u.size(0); ++r) {
    const double* us = u.data_ptr<double>() + r * (1 + 2 * d);
    const double n = us[0] - c0;  // what this rank added
    if (n <= 0) continue;
    const double total = count + n;
    for (int64_t j = 0; j < d; ++j) {
      // the added batch's own mean and variance, from the base and the updated statistics
      const double m0 = bs[1 + j], v0 = bs[1 + d + j];
      const double bmean = (us[0] * us[1 + j] - c0 * m0) / n;
      const double gap = bmean - m0;
      const double bvar =
          std::max(0.0, (us[0] * us[1 + d + j] - c0 * v0 - gap * gap * c0 * n / us[0]) / n);
      // folded in as update() folds a batch
      const double delta = bmean - mean[j];
      const double m2 = var[j] * count + bvar * n + delta * delta * count * n / total;
      mean[j] += delta * n / total;
      var[j] = m2 / total;
    }
    count = total;
  }
}

torch::Tensor RunningNormalizerImpl::normalize(const torch::Tensor& x) const {
  torch::Tensor in = x.to(torch::kFloat32).contiguous();
  torch::Tensor out = torch::empty_like(in);
  const int64_t d = mean_.size(0), rows = in.numel() / d;
  const float* xs = in.data_ptr<float>();
  float* ys = out.data_ptr<float>();
  const double* mean = mean_.data_ptr<double>();
  const double* var = var_.data_ptr<double>();
  std::vector<double> inv_std(d);
  for (int64_t j = 0; j < d; ++j) inv_std[j] = 1.0 / std::sqrt(var[j] + 1e-8);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      double y = (xs[i * d + j] - mean[j]) * inv_std[j];
      ys[i * d + j] = static_cast<float>(std::clamp(y, -clip_, clip_));
    }
  }
  return out;
}

}  // namespace tandem::agents
