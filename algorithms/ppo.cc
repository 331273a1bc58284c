// PPO — Proximal Policy Optimization (Schulman et al. 2017, arXiv 1707.06347).
//
//   ρ_t   = exp(log π_θ(a_t|s_t) − log π_old(a_t|s_t))
//   L_pg  = mean_t max(−Â_t ρ_t, −Â_t clip(ρ_t, 1 − ε, 1 + ε))
//   L_vf  = ½ mean_t max((V_θ(s_t) − R_t)², (V_old + clip(V_θ − V_old, ±ε_v) − R_t)²)
//   L     = L_pg + c_vf L_vf − c_ent H[π_θ]
//
// Rollouts, the learner's reward (env or reward model, minus kl_coef·(log π_old − log π_ref) per
// step for RLHF), GAE and the minibatch epochs are shared with APA (on_policy.h); this file is
// the clipped surrogate and its early stop on KL.
#include "algorithms/ppo.h"

#include <torch/torch.h>

#include "algorithms/gae.h"

namespace tandem::algorithms {

namespace {

// The policy's part of the loss: the clipped surrogate, with the approx KL and the clip fraction.
struct Surrogate {
  torch::Tensor loss, approx_kl, clip_fraction;
};

Surrogate clipped_surrogate(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                            const torch::Tensor& advantages, const torch::Tensor& mask,
                            double clip) {
  Surrogate s;
  torch::Tensor log_ratio = log_prob - old_log_prob;
  torch::Tensor ratio = torch::exp(log_ratio);
  torch::Tensor surrogate = -advantages * ratio;
  torch::Tensor clipped = -advantages * torch::clamp(ratio, 1 - clip, 1 + clip);
  s.loss = masked_mean(torch::max(surrogate, clipped), mask);

  torch::NoGradGuard no_grad;
  s.approx_kl = masked_mean((ratio - 1) - log_ratio, mask);
  s.clip_fraction = masked_mean(((ratio - 1).abs() > clip).to(torch::kFloat32), mask);
  return s;
}

}  // namespace

PpoLoss ppo_loss(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                 const torch::Tensor& advantages, const torch::Tensor& values,
                 const torch::Tensor& old_values, const torch::Tensor& returns,
                 const torch::Tensor& entropy, const torch::Tensor& mask, const PpoConfig& config) {
  PpoLoss l;
  Surrogate s = clipped_surrogate(log_prob, old_log_prob, advantages, mask, config.clip);
  l.policy = s.loss;
  l.value = value_loss(values, old_values, returns, mask, config.base.clip_value_loss,
                       config.base.value_clip);
  l.entropy = masked_mean(entropy, mask);
  l.total = l.policy + config.base.value_coef * l.value - config.entropy_coef * l.entropy;
  l.approx_kl = s.approx_kl;
  l.clip_fraction = s.clip_fraction;
  return l;
}

PolicyLoss ppo_policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages, const PpoConfig& config) {
  // the value loss is the shared update's (update_epochs.h)
  Surrogate s = clipped_surrogate(ev.log_prob, mb.log_probs, advantages, mb.mask, config.clip);
  torch::Tensor entropy = masked_mean(ev.entropy, mb.mask);
  return {s.loss - config.entropy_coef * entropy,
          {{"entropy", entropy.detach()},
           {"approx_kl", s.approx_kl},
           {"clip_fraction", s.clip_fraction}}};
}

namespace {

class Ppo : public OnPolicyAlgorithm {
 public:
  Ppo(const json& config, const std::string& where)
      : OnPolicyAlgorithm("ppo", config_.base),
        config_(config_from_json<PpoConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }

 protected:
  PolicyLoss policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                         const torch::Tensor& advantages) override {
    return ppo_policy_loss(ev, mb, advantages, config_);
  }

  bool stop_after_epoch(const json& epoch_stats) const override {
    return config_.target_kl > 0 && epoch_stats.value("losses/approx_kl", 0.0) > config_.target_kl;
  }

 private:
  PpoConfig config_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("ppo", Ppo);

}  // namespace tandem::algorithms
