// Learned rewards of whole trajectories, behind one interface for text and control:
//   step_rewards(batch) -> [B, T], zero on invalid steps; a trajectory's score is the masked sum.
// | text    | LmTrajectoryReward: RewardModel (lm_heads.h) on a trunk started from the policy's |
// |         | (the base model), read at the last token or mean-pooled over the completion's own |
// |         | tokens (not the prompt, not the closing end-of-text); the score sits on the last  |
// |         | step                                                                              |
// | control | MlpTrajectoryReward: r_φ(s, a), an MLP on the env's observation and the action,    |
// |         | per step (Christiano et al. 2017: a segment's score is the sum over its steps)     |
// The MLP reads env_obs (the env's observations), never a policy's normalized view of them; the
// text model reads the token contexts in obs (the LM policy sees the env's observations as they
// are).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include <memory>
#include <string>
#include <vector>

#include "agents/lm_heads.h"
#include "agents/policy.h"
#include "agents/trajectory_batch.h"
#include "envs/config.h"

namespace tandem::agents {

class TrajectoryRewardImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor step_rewards(const TrajectoryBatch& batch) = 0;
  virtual std::string describe() const = 0;
};
using TrajectoryReward = std::shared_ptr<TrajectoryRewardImpl>;

class LmTrajectoryRewardImpl : public TrajectoryRewardImpl {
 public:
  LmTrajectoryRewardImpl(const TransformerLmConfig& config, int64_t eot_id, Pooling pooling);
  torch::Tensor step_rewards(const TrajectoryBatch& batch) override;
  std::string describe() const override;
  RewardModel model() const { return model_; }

 private:
  int64_t eot_id_;
  RewardModel model_{nullptr};
};

struct MlpRewardConfig {
  std::vector<int64_t> hidden = {64, 64};

  template <class V>
  void visit(V& v) {
    v.field("hidden", hidden, int64_t{1}, int64_t{65536}, "hidden layer widths of r(s, a)");
  }
};

class MlpTrajectoryRewardImpl : public TrajectoryRewardImpl {
 public:
  MlpTrajectoryRewardImpl(int64_t obs_dim, int64_t act_dim, const MlpRewardConfig& config);
  torch::Tensor step_rewards(const TrajectoryBatch& batch) override;
  std::string describe() const override;

 private:
  torch::nn::Sequential net_{nullptr};
  int64_t obs_dim_, act_dim_;
};

// The reward model that fits `policy`: for the LM policy, a RewardModel on the same
// architecture with its trunk copied from the policy's (so a fresh RM starts from the base
// model); for a Gaussian policy, an MLP r(s, a) with `mlp` (fields of MlpRewardConfig;
// unknown fields are errors naming `where`).
// `pooling` ("last" / "mean") is the text model's: the score read at the last token, or on the
// mean hidden state of the completion's tokens (an empty completion: the head's bias alone).
TrajectoryReward make_trajectory_reward(const PolicyImpl& policy, int64_t obs_dim, int64_t act_dim,
                                        const json& mlp, const std::string& where,
                                        const std::string& pooling = "last");

}  // namespace tandem::agents
