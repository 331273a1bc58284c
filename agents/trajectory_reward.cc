#include "agents/trajectory_reward.h"

#include <torch/torch.h>

#include <sstream>

#include "agents/lm_policy.h"
#include "envs/error.h"

namespace tandem::agents {

LmTrajectoryRewardImpl::LmTrajectoryRewardImpl(const TransformerLmConfig& config, int64_t eot_id,
                                               Pooling pooling)
    : eot_id_(eot_id) {
  model_ = register_module("model", RewardModel(config, pooling));
}

torch::Tensor LmTrajectoryRewardImpl::step_rewards(const TrajectoryBatch& batch) {
  std::vector<int64_t> lengths, prompt_lengths;
  const std::vector<std::vector<int64_t>> sequences =
      episode_sequences(batch, eot_id_, &lengths, &prompt_lengths);
  PaddedTokens padded = left_pad(sequences, eot_id_);
  // the completion's own tokens: after EOT + prompt, before a closing end-of-text
  const int64_t width = padded.tokens.size(1);
  torch::Tensor completion = torch::zeros_like(padded.real);  // [B, S] bool
  for (size_t i = 0; i < sequences.size(); ++i) {
    const auto& seq = sequences[i];
    const int64_t size = static_cast<int64_t>(seq.size());
    const int64_t begin = width - size + 1 + prompt_lengths[i];
    const int64_t end = width - (seq.back() == eot_id_ ? 1 : 0);
    if (end > begin) completion[static_cast<int64_t>(i)].slice(0, begin, end).fill_(true);
  }
  torch::Tensor scores = model_->forward(padded.tokens, padded.real, completion);  // [B]
  // the score on each row's last valid step
  torch::Tensor last = torch::tensor(lengths, torch::kLong) - 1;  // [B]
  torch::Tensor at_last =
      torch::zeros({batch.size(), batch.horizon()}).scatter(1, last.unsqueeze(1), 1.0);
  return at_last * scores.unsqueeze(1);
}

std::string LmTrajectoryRewardImpl::describe() const {
  return std::string("transformer reward model (") +
         (model_->pooling() == Pooling::kLast ? "last-token" : "mean-pooled") + " score, " +
         std::to_string(model_->trunk()->num_parameters()) + " trunk parameters)";
}

MlpTrajectoryRewardImpl::MlpTrajectoryRewardImpl(int64_t obs_dim, int64_t act_dim,
                                                 const MlpRewardConfig& config)
    : obs_dim_(obs_dim), act_dim_(act_dim) {
  net_ = torch::nn::Sequential();
  int64_t in = obs_dim + act_dim;
  for (int64_t width : config.hidden) {
    net_->push_back(torch::nn::Linear(in, width));
    net_->push_back(torch::nn::Tanh());
    in = width;
  }
  net_->push_back(torch::nn::Linear(in, 1));
  register_module("net", net_);
}

torch::Tensor MlpTrajectoryRewardImpl::step_rewards(const TrajectoryBatch& batch) {
  TANDEM_CHECK(batch.env_obs.defined(), "a reward model reads env_obs, which this batch lacks");
  torch::Tensor x = torch::cat({batch.env_obs, batch.actions.to(torch::kFloat32)}, -1);  // [B,T,D]
  return net_->forward(x).squeeze(-1) * batch.mask;                                      // [B, T]
}

std::string MlpTrajectoryRewardImpl::describe() const {
  std::ostringstream os;
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  os << "mlp reward r(s, a) (" << obs_dim_ << " + " << act_dim_ << " inputs, " << n
     << " parameters)";
  return os.str();
}

TrajectoryReward make_trajectory_reward(const PolicyImpl& policy, int64_t obs_dim, int64_t act_dim,
                                        const json& mlp, const std::string& where,
                                        const std::string& pooling) {
  if (const auto* lm = dynamic_cast<const LmPolicyImpl*>(&policy)) {
    auto reward = std::make_shared<LmTrajectoryRewardImpl>(lm->config(), lm->eot_id(),
                                                           pooling_from_string(pooling, where));
    reward->model()->load_trunk(*lm->lm());
    return reward;
  }
  return std::make_shared<MlpTrajectoryRewardImpl>(obs_dim, act_dim,
                                                   config_from_json<MlpRewardConfig>(mlp, where));
}

}  // namespace tandem::agents
