// Checkpoints: policy (parameters and buffers, observation statistics included), optimizer
// state, counters, and torch's RNG state, in one file written to a temporary name and renamed.
#pragma once

#include <torch/optim/optimizer.h>

#include <functional>
#include <string>

#include "agents/policy.h"
#include "envs/config.h"

namespace tandem::algorithms {

// What an algorithm adds beyond the policy, optimizer and counters (the rollout collector's
// episodes in flight), in a sub-archive "run_state" of its own.
using RunStateWriter = std::function<void(torch::serialize::OutputArchive&)>;
using RunStateReader = std::function<void(torch::serialize::InputArchive&)>;

void save_checkpoint(const std::string& path, const agents::PolicyImpl& policy,
                     const torch::optim::Optimizer* optimizer, const json& counters,
                     const RunStateWriter& run_state = {});

// Restores what save_checkpoint wrote into `policy` (and `optimizer`, when given) and returns
// the counters. The values are copied into the policy's existing tensors, so views of them
// (FlatParameters) stay valid. Also restores torch's RNG state when `restore_rng`.
json load_checkpoint(const std::string& path, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, bool restore_rng,
                     const RunStateReader& run_state = {});

}  // namespace tandem::algorithms
