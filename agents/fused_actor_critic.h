// The Gaussian actor-critic's two hot paths with the per-op overhead taken out. For the small
// MLPs of control tasks (64-64 on minibatches of 64) LibTorch's dispatch and autograd
// bookkeeping, not the arithmetic, are most of an update:
//   - log_prob_and_value(): log π(a|s) and V(s) of a minibatch as ONE autograd node whose
//     backward is written out (addmm, tanh_backward), where autograd would record ~30 nodes for
//     the two MLPs and the Gaussian log-density;
//   - act_one(): one observation's action, log-prob and value by plain loops over the weights,
//     for the rollout's batch of 1 where even one torch op per layer costs more than the math.
// Both compute what the module forward computes (tests/agents/fused_actor_critic_test.cc checks
// values and gradients against autograd).
#pragma once

#include <torch/types.h>

#include <utility>
#include <vector>

namespace tandem::agents {

// The layers of a tanh MLP as nn::Sequential lists its parameters: weight [out, in], bias [out],
// layer after layer; tanh after every layer but the last.
using MlpParameters = std::vector<torch::Tensor>;

// obs [N, obs_dim], actions [N, act_dim] (no gradient flows to either) ->
//   log_prob [N] = Σ_j log N(a_j; μ_j(s), exp(log_std_j)),  value [N] = V(s).
std::pair<torch::Tensor, torch::Tensor> log_prob_and_value(const torch::Tensor& obs,
                                                           const torch::Tensor& actions,
                                                           const MlpParameters& actor,
                                                           const torch::Tensor& log_std,
                                                           const MlpParameters& critic);

struct ActOne {
  std::vector<float> mean;  // [act_dim]
  float value = 0;
};

// The actor's mean and the critic's value for one observation (obs_dim floats), no autograd.
ActOne act_one(const float* obs, const MlpParameters& actor, const MlpParameters& critic);

}  // namespace tandem::agents
