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
