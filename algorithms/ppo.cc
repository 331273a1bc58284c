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

PpoLoss ppo_loss(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                 const torch::Tensor& advantages, const torch::Tensor& values,
                 const torch::Tensor& old_values, const torch::Tensor& returns,
                 const torch::Tensor& entropy, const torch::Tensor& mask, const PpoConfig& config) {
  PpoLoss l;
  torch::Tensor log_ratio = log_prob - old_log_prob;
  torch::Tensor ratio = torch::exp(log_ratio);
  torch::Tensor surrogate = -advantages * ratio;
  torch::Tensor clipped = -advantages * torch::clamp(ratio, 1 - config.clip, 1 + config.clip);
  l.policy = masked_mean(torch::max(surrogate, clipped), mask);
  l.value = value_loss(values, old_values, returns, mask, config.base.clip_value_loss,
                       config.base.value_clip);
  l.entropy = masked_mean(entropy, mask);
  l.total = l.policy + config.base.value_coef * l.value - config.entropy_coef * l.entropy;

  torch::NoGradGuard no_grad;
  l.approx_kl = masked_mean((ratio - 1) - log_ratio, mask);
  l.clip_fraction = masked_mean(((ratio - 1).abs() > config.clip).to(torch::kFloat32), mask);
  return l;
}

PolicyLoss ppo_policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages, const PpoConfig& config) {
  PpoLoss l = ppo_loss(ev.log_prob, mb.log_probs, advantages, ev.value.detach(), mb.values,
                       mb.returns, ev.entropy, mb.mask, config);
  return {l.policy - config.entropy_coef * l.entropy,
          {{"entropy", l.entropy.detach()},
           {"approx_kl", l.approx_kl},
           {"clip_fraction", l.clip_fraction}}};
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
