// Gaussian MLP actor-critic for Box actions: separate actor and critic MLPs (tanh hidden
// layers, orthogonal init), a state-independent log-std, optional running observation
// normalization saved with the checkpoint.
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include <vector>

#include "agents/policy.h"
#include "agents/running_normalizer.h"
#include "envs/config.h"

namespace tandem::agents {

struct GaussianMlpConfig {
  std::vector<int64_t> hidden = {64, 64};
  double log_std_init = 0.0;
  bool normalize_obs = true;
  double obs_clip = 10.0;

  template <class V>
  void visit(V& v) {
    v.field("hidden", hidden, int64_t{1}, int64_t{65536}, "hidden layer widths (actor and critic)");
    v.field("log_std_init", log_std_init, -20.0, 5.0, "initial log std of every action dim");
    v.field("normalize_obs", normalize_obs, "running mean/var observation normalization");
    v.field("obs_clip", obs_clip, 1e-3, 1e9, "normalized observations are clipped to ±obs_clip");
  }
};

class GaussianMlpImpl : public PolicyImpl {
 public:
  GaussianMlpImpl(int64_t obs_dim, int64_t act_dim, GaussianMlpConfig config);

  PolicyState initial_state(int64_t batch) const override { return {}; }
  ActResult act(const torch::Tensor& obs, const PolicyState& state,
                bool deterministic = false) override;
  EvaluateResult evaluate(const TrajectoryBatch& batch) override;
  torch::Tensor value(const torch::Tensor& obs, const PolicyState& state) override;
  torch::Tensor preprocess(const torch::Tensor& raw_obs, bool update) override;
  std::shared_ptr<PolicyImpl> clone_policy() const override;
  std::vector<torch::Tensor> actor_parameters() const override;
  std::vector<torch::Tensor> critic_parameters() const override;
  std::string describe() const override;

  // Log-density of `actions` under N(mean, exp(log_std)), summed over action dims: [...].
  torch::Tensor log_prob(const torch::Tensor& mean, const torch::Tensor& actions) const;
  torch::Tensor action_mean(const torch::Tensor& obs) { return actor_->forward(obs); }
  torch::Tensor log_std() const { return log_std_; }

 private:
  ActResult act_single(const torch::Tensor& obs, bool deterministic);

  int64_t obs_dim_, act_dim_;
  GaussianMlpConfig config_;
  torch::nn::Sequential actor_{nullptr}, critic_{nullptr};
  torch::Tensor log_std_;  // [act_dim]
  std::vector<torch::Tensor> actor_params_, critic_params_;
  RunningNormalizer normalizer_{nullptr};
};

}  // namespace tandem::agents
