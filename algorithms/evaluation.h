// Episodes run to their end, one per env copy, stepped together: evaluation (a policy acting
// deterministically by default, with frozen observation statistics, on env copies seeded apart
// from training's, scored by the env's own return) and feedback sampling share the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "agents/policy.h"
#include "agents/trajectory_batch.h"
#include "envs/env.h"

namespace tandem::algorithms {

// Episodes of several envs, one row each.
struct EpisodeSet {
  // obs (as the policy saw them), env_obs, actions (as the env got them: clipped to a Box
  // space, so an episode replays exactly), mask, episode_start
  agents::TrajectoryBatch batch;
  std::vector<double> returns;  // the env's own (gold) return
  std::vector<int64_t> lengths;
  std::vector<json> contexts;   // env.context() at each episode's start
  std::vector<json> summaries;  // env.describe_episode() at each episode's end
};

// Steps every env (already reset; first_obs[k] its observation) with `policy` until all
// episodes have ended. No gradients; the policy's observation statistics are not updated.
// threads > 1 steps the envs on that many threads (the same episodes: each env is its own).
EpisodeSet run_episodes(agents::PolicyImpl& policy, std::vector<std::unique_ptr<envs::Env>>& envs,
                        const std::vector<std::vector<float>>& first_obs, bool deterministic,
                        int threads = 1);

struct EvalStats {
  double return_mean = 0, return_std = 0, return_min = 0, return_max = 0;
  double length_mean = 0;
  std::vector<double> returns;
  // The episodes themselves — what a reference policy or a reward model scores afterwards.
  agents::TrajectoryBatch episodes;
  std::vector<json> summaries;  // env.describe_episode() at each episode's end
  // Discrete actions: distinct consecutive action pairs / all pairs, over all episodes (the
  // diversity of generated text, "distinct-2"); NaN for Box actions.
  double distinct_2 = 0;
};

// distinct-2 of action sequences (each a list of discrete actions); NaN when no sequence has
// two actions.
double distinct_bigrams(const std::vector<std::vector<int64_t>>& sequences);

// Runs `episodes` episodes, one per env copy, stepped together; env k is seeded `seed + k`.
EvalStats evaluate_policy(agents::PolicyImpl& policy,
                          const std::function<std::unique_ptr<envs::Env>()>& make_env,
                          int64_t episodes, uint64_t seed, bool deterministic = true,
                          int threads = 1);

}  // namespace tandem::algorithms
