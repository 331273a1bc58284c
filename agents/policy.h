// The policy interface every algorithm uses, and nothing else of a policy:
//   act()      — one step of sampling, no gradient, state carried (the LM's KV cache);
//   evaluate() — per-step log-probs, entropy and values of stored trajectories in one pass
//                (teacher forcing for the LM).
// A policy is an actor-critic: it carries its own value head (or a separate critic network).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agents/trajectory_batch.h"

namespace tandem::agents {

// What a policy carries from one step to the next; empty for stateless policies.
struct PolicyState {
  std::vector<torch::Tensor> tensors;
};

struct ActResult {
  torch::Tensor action;    // [N, act_dim] float (Discrete: [N, 1] indices)
  torch::Tensor log_prob;  // [N]
  torch::Tensor value;     // [N]
  PolicyState state;
};

struct EvaluateResult {
  torch::Tensor log_prob;  // [B, T]
  torch::Tensor entropy;   // [B, T]
  torch::Tensor value;     // [B, T]
};

class PolicyImpl : public torch::nn::Module {
 public:
  virtual PolicyState initial_state(int64_t batch) const = 0;
  // obs: [N, obs_dim], already preprocessed.
  virtual ActResult act(const torch::Tensor& obs, const PolicyState& state,
                        bool deterministic = false) = 0;
  virtual EvaluateResult evaluate(const TrajectoryBatch& batch) = 0;
  // Rows of `state` whose env started a new episode (`rows`: [N] bool) back to their initial
  // state; stateless policies have nothing to reset.
  virtual PolicyState reset_state(const PolicyState& state, const torch::Tensor& rows) {
    return state;
  }
  // V(s) for [N, obs_dim] preprocessed observations (bootstrapping truncated episodes).
  virtual torch::Tensor value(const torch::Tensor& obs, const PolicyState& state) = 0;

  // Maps raw env observations to what act()/evaluate() see (e.g. running normalization);
  // `update` folds this batch into the statistics. Rollouts store the preprocessed
  // observations, so act() at collection time and evaluate() later see the same input.
  virtual torch::Tensor preprocess(const torch::Tensor& raw_obs, bool update) { return raw_obs; }

  // True when act() ignores `state`: steps of a rollout may then be shuffled independently.
  virtual bool stateless() const { return true; }

  // A deep copy with the same configuration, parameters and buffers (π_init, π_ref).
  virtual std::shared_ptr<PolicyImpl> clone_policy() const = 0;

  // Parameters of the value function only / of the policy only, for separate optimizers or
  // learning rates; their union is parameters().
  virtual std::vector<torch::Tensor> actor_parameters() const = 0;
  virtual std::vector<torch::Tensor> critic_parameters() const = 0;

  virtual std::string describe() const = 0;
};

using Policy = std::shared_ptr<PolicyImpl>;

// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_policy_state(const PolicyImpl& from, PolicyImpl& to);
// A copy of `policy` with gradients off: the frozen π_ref / π_init a learner anchors to.
std::shared_ptr<PolicyImpl> frozen_copy(const PolicyImpl& policy);
// `policy`'s evaluate() of `batch` with the observations preprocessed by `policy`'s own
// statistics (from batch.env_obs), not those stored in batch.obs: a frozen reference must see
// the learner's rollouts through its own frozen observation normalizer, not the learner's
// moving one. Without env_obs, plain evaluate().
EvaluateResult evaluate_own_view(PolicyImpl& policy, const TrajectoryBatch& batch);

}  // namespace tandem::agents
