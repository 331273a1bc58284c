// Rollout collection and its reward handling, shared by every on-policy algorithm (PPO, APA,
// AIHF's inner RL): steps a VectorEnv with the policy for T steps per env and returns the
// [N, T] TrajectoryBatch with log-probs, values, next-state values and episode ends filled in.
#pragma once

#include <cstdint>
#include <vector>

#include "agents/policy.h"
#include "envs/config.h"
#include "envs/space.h"
#include "envs/vector_env.h"

namespace tandem::algorithms {

// Box actions are clipped to finite bounds before they reach the env (the policy's log-prob
// stays that of the unclipped sample); Discrete actions pass as they are.
torch::Tensor clip_to_space(const torch::Tensor& actions, const envs::Space& space);

class RolloutCollector {
 public:
  RolloutCollector(envs::VectorEnv& envs, uint64_t seed);

  // With an auto-resetting VectorEnv: T steps in each of the N envs, [N, T], env and policy
  // state carried across calls (episodes run on over rollout boundaries). Without auto-reset:
  // N fresh episodes, one per row, until all have ended or T steps passed; steps after a row's
  // end have mask 0 and the batch is cut to the longest episode. Stateful policies (the LM)
  // need the second: their evaluate() reads each row as one episode from its start.
  agents::TrajectoryBatch collect(agents::PolicyImpl& policy, int64_t steps_per_env);

  int64_t env_steps() const { return env_steps_; }
  int64_t rollouts() const { return rollouts_; }
  // Continue a run from a checkpoint taken after `rollouts` rollouts and `env_steps` steps: the
  // counters move on from there and the next collect() starts fresh episodes, seeded from the
  // run's seed and `rollouts` (episodes in flight at the checkpoint are not restored).
  void resume(int64_t rollouts, int64_t env_steps);
  // Episodes finished since the last call, and the call clears the list.
  std::vector<envs::FinishedEpisode> take_finished();

 private:
  envs::VectorEnv& envs_;
  torch::Tensor raw_obs_;            // [N, obs_dim] current observation, as the env gave it
  torch::Tensor episode_start_;      // [N] bool: the current obs begins an episode
  agents::PolicyState state_;
  bool started_ = false;
  uint64_t seed_;
  int64_t rollouts_ = 0;
  int64_t env_steps_ = 0;
  std::vector<envs::FinishedEpisode> finished_;
};

// Divides rewards by the running standard deviation of the discounted return (mean not
// subtracted), then clips: the usual scaling for control, and the RM-score scaling for text.
class RewardScaler {
 public:
  RewardScaler(double gamma, double clip) : gamma_(gamma), clip_(clip) {}
  // Scales batch.rewards in place, walking each env's steps in time order.
  void apply(agents::TrajectoryBatch& batch);
  double std() const;
  // The running statistics, for checkpoints; restore() starts every row's return afresh (a
  // resumed run starts new episodes).
  json state() const;
  void restore(const json& state);

 private:
  double gamma_, clip_;
  std::vector<double> running_return_;  // per env row
  double mean_ = 0, var_ = 1, count_ = 1e-4;
};

}  // namespace tandem::algorithms
