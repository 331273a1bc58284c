// Running mean and variance of observations (parallel-variance update), kept as module buffers
// so they are saved and restored with the policy's checkpoint.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

namespace tandem::agents {

class RunningNormalizerImpl : public torch::nn::Module {
 public:
  RunningNormalizerImpl(int64_t size, double clip);

  // Folds a [N, size] batch into the statistics.
  void update(const torch::Tensor& batch);
  // clip((x - mean) / sqrt(var + eps), ±clip), same shape as x ([..., size]).
  torch::Tensor normalize(const torch::Tensor& x) const;

  torch::Tensor mean() const { return mean_; }
  torch::Tensor var() const { return var_; }
  double count() const { return count_.item<double>(); }

 private:
  torch::Tensor mean_, var_, count_;  // float64 buffers
  double clip_;
};
TORCH_MODULE(RunningNormalizer);

}  // namespace tandem::agents
