// Checkpoints: policy (parameters and buffers, observation statistics included), optimizer
// state, counters, and torch's RNG state, in one file written to a temporary name and renamed.
#pragma once

#include <string>

#include <torch/optim/optimizer.h>

#include "agents/policy.h"
#include "envs/config.h"

namespace tandem::algorithms {

void save_checkpoint(const std::string& path, const agents::PolicyImpl& policy,
                     const torch::optim::Optimizer* optimizer, const json& counters);

// Restores what save_checkpoint wrote into `policy` (and `optimizer`, when given) and returns
// the counters. Also restores torch's RNG state when `restore_rng`.
json load_checkpoint(const std::string& path, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, bool restore_rng);

}  // namespace tandem::algorithms
