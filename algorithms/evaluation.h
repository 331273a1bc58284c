// Evaluation episodes: a policy acting (deterministically by default) with frozen observation
// statistics, on its own env copies seeded apart from training's, scored by the env's own return.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "agents/policy.h"
#include "envs/env.h"

namespace tandem::algorithms {

struct EvalStats {
  double return_mean = 0, return_std = 0, return_min = 0, return_max = 0;
  double length_mean = 0;
  std::vector<double> returns;
};

// Runs `episodes` episodes, one per env copy, stepped together; env k is seeded `seed + k`.
EvalStats evaluate_policy(agents::PolicyImpl& policy,
                          const std::function<std::unique_ptr<envs::Env>()>& make_env,
                          int64_t episodes, uint64_t seed, bool deterministic = true);

}  // namespace tandem::algorithms
