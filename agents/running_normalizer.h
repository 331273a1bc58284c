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

  // The statistics as one float64 row: count, mean..., var...
  torch::Tensor state() const;
  // Data-parallel ranks start an iteration with the same statistics (`base`, a state() row) and
  // each folds in its own rollout; `updated` holds their states, one row per rank. This sets the
  // statistics to `base` with every rank's new observations folded in, rank by rank: what one
  // normalizer fed all the ranks' batches would hold (to rounding), the same on every rank.
  void merge_updates(const torch::Tensor& base, const torch::Tensor& updated);

  torch::Tensor mean() const { return mean_; }
  torch::Tensor var() const { return var_; }
  double count() const { return count_.item<double>(); }

 private:
  torch::Tensor mean_, var_, count_;  // float64 buffers
  double clip_;
};
TORCH_MODULE(RunningNormalizer);

}  // namespace tandem::agents
