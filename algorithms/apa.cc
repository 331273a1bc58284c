// APA — Advantage-Induced Policy Alignment (Zhu, Sharma, Frujeri, Dong, Zhu, Jordan, Jiao 2023,
// arXiv 2306.02231).
//
// The KL-regularized improvement step  max_π E[A(s,a)] − λ KL(π ‖ π_init)  has the optimum
// π*(a|s) = π_init(a|s) exp(A(s,a)/λ) / Z(s). APA regresses log π_θ onto it with log Z ≈ 0:
//
//   L_APA(θ) = mean over valid steps of ( log π_θ(a|s) − Â(s,a)/λ − log π_init(a|s) )²
//
// with 1/λ = adv_coeff (official default 10). The anchor is the frozen start policy π_init, not
// π_old: no importance ratio, no clipping, no KL term in the reward (the KL to π_init is logged
// only). Rollouts, the critic (the policy's separate value network), GAE and whitened
// advantages — which keep Z ≈ 1 plausible — are shared with PPO (on_policy.h); the total loss is
// L_APA + value_coef · L_vf. For Gaussian policies log π is the log-density of the action taken.
#include "algorithms/apa.h"

#include <torch/torch.h>

#include "algorithms/gae.h"

namespace tandem::algorithms {

torch::Tensor apa_loss(const torch::Tensor& log_prob, const torch::Tensor& init_log_prob,
                       const torch::Tensor& advantages, const torch::Tensor& mask, double adv_coeff,
                       double target_clip) {
  torch::Tensor shift = adv_coeff * advantages;
  if (target_clip > 0) shift = torch::clamp(shift, -target_clip, target_clip);
  return masked_mean((log_prob - init_log_prob - shift).pow(2), mask);
}

PolicyLoss apa_policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages, double adv_coeff, double target_clip) {
  torch::Tensor loss =
      apa_loss(ev.log_prob, mb.ref_log_probs, advantages, mb.mask, adv_coeff, target_clip);
  torch::NoGradGuard no_grad;
  torch::Tensor log_ratio = ev.log_prob - mb.log_probs;
  return {loss,
          {{"entropy", masked_mean(ev.entropy, mb.mask)},
           {"approx_kl", masked_mean(torch::exp(log_ratio) - 1 - log_ratio, mb.mask)},
           {"log_ratio_to_init", masked_mean(ev.log_prob - mb.ref_log_probs, mb.mask)}}};
}

namespace {

class Apa : public OnPolicyAlgorithm {
 public:
  Apa(const json& config, const std::string& where)
      : OnPolicyAlgorithm("apa", config_.base),
        config_(config_from_json<ApaConfig>(config, where)) {
    if (config_.base.kl_coef != 0)
      throw Error(where + ": field 'kl_coef' must be 0 for APA: its only anchor is π_init");
  }

  json config() const override { return config_to_json(config_); }

 protected:
  bool needs_reference() const override { return true; }
  // APA's regression target moves adv_coeff·Â away from log π_init: a large one outruns any step
  std::string divergence_knob() const override {
    return "lower adv_coeff (or set target_clip) or learning_rate";
  }

  PolicyLoss policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                         const torch::Tensor& advantages) override {
    return apa_policy_loss(ev, mb, advantages, config_.adv_coeff, config_.target_clip);
  }

 private:
  ApaConfig config_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("apa", Apa);

}  // namespace tandem::algorithms
