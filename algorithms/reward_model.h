// Reward learning by Bradley–Terry on preference pairs, for text and control alike:
//   L_RM = − mean log σ(R(y_w) − R(y_l)),  R(y) = masked sum of step_rewards (agents/trajectory_reward.h)
// and the learned reward as a learner's reward source (RLHF = `reward_model`, then `ppo` or
// `apa` with "reward_model": "<that run's folder>").
//
// Budget: --steps counts preference pairs processed (one pass over 1 000 pairs = 1 000 steps).
// Evaluation: the starting policy is evaluated as every run is (so reports line up), and every
// evaluation also reports held-out pair accuracy beside the best accuracy the label noise
// allows (feedback.h: preference_accuracy_ceiling).
//
// A finished run's folder holds reward_model.pt (weights) and reward_model.json (architecture,
// held-out accuracy, ceiling, the preference files used).
#pragma once

#include <memory>
#include <string>

#include "agents/policy.h"
#include "agents/trajectory_reward.h"
#include "algorithms/reward_source.h"
#include "envs/env.h"

namespace tandem::algorithms {

// Scores a rollout with a learned reward: rewards = step_rewards(batch), no gradients.
class LearnedRewardSource : public RewardSource {
 public:
  explicit LearnedRewardSource(agents::TrajectoryReward reward) : reward_(std::move(reward)) {}
  void relabel(agents::TrajectoryBatch& batch) override;
  std::string name() const override { return "learned reward model"; }

 private:
  agents::TrajectoryReward reward_;
};

// The reward model a finished `reward_model` run left in `run_dir`, shaped for `policy` (the
// run's starting policy architecture). Throws tandem::Error naming the missing file.
agents::TrajectoryReward load_reward_model(const std::string& run_dir,
                                           const agents::PolicyImpl& policy,
                                           const envs::EnvSpec& spec);

}  // namespace tandem::algorithms
