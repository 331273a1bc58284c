// The policy an env's spaces call for: Box actions get the Gaussian MLP actor-critic.
#pragma once

#include <string>

#include "agents/policy.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::agents {

// `config` holds the architecture fields (unknown fields are errors naming `where`).
Policy make_policy(const envs::EnvSpec& spec, const json& config, const std::string& where);

}  // namespace tandem::agents
