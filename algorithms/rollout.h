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

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize

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
  // Everything the next collect() reads — the counters, and with an auto-resetting VectorEnv
  // the episodes in flight: every env's simulator state, random stream and episode tracker, the
  // last observations and the policy's state — into a checkpoint, and back. A collector
  // restored into a VectorEnv of the same env and size continues exactly where the saved one
  // stood. Call save() between collect()s, after take_finished().
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);
  // Episodes finished since the last call, and the call clears the list.
  std::vector<envs::FinishedEpisode> take_finished();

 private:
  envs::VectorEnv& envs_;
  torch::Tensor raw_obs_;        // [N, obs_dim] current observation, as the env gave it
  torch::Tensor episode_start_;  // [N] bool: the current obs begins an episode
  agents::PolicyState state_;
  bool started_ = false;
  uint64_t seed_;
  int64_t rollouts_ = 0;
  int64_t env_steps_ = 0;
  std::vector<envs::FinishedEpisode> finished_;
};

// Divides rewards by a running standard deviation (mean not subtracted), then clips. Which
// statistic depends on where the reward sits:
//  - kDiscountedReturn (control): the std of the running discounted return over every step,
//    the usual scaling of dense per-step rewards;
//  - kEpisodeScore (text, whole-episode rollouts): the std of each episode's total reward, i.e.
//    of the sequence score on its last token (algorithms.md: "divided by a running standard
//    deviation of scores"). Over every step with γ = 1 the statistic would count the zeros
//    before the last token, so it would depend on completion length and on the reward model's
//    arbitrary offset.
class RewardScaler {
 public:
  enum class Statistic { kDiscountedReturn, kEpisodeScore };
  RewardScaler(double gamma, double clip, Statistic statistic = Statistic::kDiscountedReturn)
      : gamma_(gamma), clip_(clip), statistic_(statistic) {}
  // Scales batch.rewards in place, walking each env's steps in time order.
  void apply(agents::TrajectoryBatch& batch);
  double std() const;
  // The running statistics and each row's return so far, for checkpoints: a restored scaler
  // continues exactly where the saved one was.
  json state() const;
  void restore(const json& state);

 private:
  // one-sample update of the running mean and variance
  void observe(double x);

  double gamma_, clip_;
  Statistic statistic_;
  std::vector<double> running_return_;  // per env row
  double mean_ = 0, var_ = 1, count_ = 1e-4;
};

}  // namespace tandem::algorithms
