// PPO — Proximal Policy Optimization (Schulman et al. 2017, arXiv 1707.06347).
//
//   ρ_t   = exp(log π_θ(a_t|s_t) − log π_old(a_t|s_t))
//   L_pg  = mean_t max(−Â_t ρ_t, −Â_t clip(ρ_t, 1 − ε, 1 + ε))
//   L_vf  = ½ mean_t max((V_θ(s_t) − R_t)², (V_old + clip(V_θ − V_old, ±ε) − R_t)²)
//   L     = L_pg + c_vf L_vf − c_ent H[π_θ]
//
// Rollouts from a VectorEnv (rollout.h), GAE advantages (gae.h) whitened over the batch,
// `epochs` passes of `minibatches` Adam steps with global gradient-norm clipping, step size
// annealed linearly to 0. Rewards are the learner's: the env's own here (scaled by the running
// std of the discounted return); a learned reward model's in RLHF. Stateless policies are
// minibatched over single steps, stateful ones (the LM) over whole rows.
#include "algorithms/ppo.h"

#include <cmath>

#include <torch/torch.h>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/gae.h"
#include "algorithms/rollout.h"
#include "envs/error.h"
#include "envs/vector_env.h"

namespace tandem::algorithms {

PpoLoss ppo_loss(const torch::Tensor& log_prob, const torch::Tensor& old_log_prob,
                 const torch::Tensor& advantages, const torch::Tensor& values,
                 const torch::Tensor& old_values, const torch::Tensor& returns,
                 const torch::Tensor& entropy, const torch::Tensor& mask,
                 const PpoConfig& config) {
  PpoLoss l;
  torch::Tensor log_ratio = log_prob - old_log_prob;
  torch::Tensor ratio = torch::exp(log_ratio);
  torch::Tensor surrogate = -advantages * ratio;
  torch::Tensor clipped = -advantages * torch::clamp(ratio, 1 - config.clip, 1 + config.clip);
  l.policy = masked_mean(torch::max(surrogate, clipped), mask);

  torch::Tensor value_error = (values - returns).pow(2);
  if (config.clip_value_loss) {
    torch::Tensor v_clipped =
        old_values + torch::clamp(values - old_values, -config.clip, config.clip);
    value_error = torch::max(value_error, (v_clipped - returns).pow(2));
  }
  l.value = 0.5 * masked_mean(value_error, mask);
  l.entropy = masked_mean(entropy, mask);
  l.total = l.policy + config.value_coef * l.value - config.entropy_coef * l.entropy;

  torch::NoGradGuard no_grad;
  l.approx_kl = masked_mean((ratio - 1) - log_ratio, mask);
  l.clip_fraction = masked_mean(((ratio - 1).abs() > config.clip).to(torch::kFloat32), mask);
  return l;
}

namespace {

class Ppo : public Algorithm {
 public:
  Ppo(const json& config, const std::string& where)
      : config_(config_from_json<PpoConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    flat_ = std::make_unique<FlatParameters>(policy_->parameters());
    optimizer_ = std::make_unique<torch::optim::Adam>(
        std::vector<torch::Tensor>{flat_->flat()},
        torch::optim::AdamOptions(config_.learning_rate).eps(config_.adam_eps));
    envs::VectorEnv envs([&] { return ctx.make_env(); }, config_.num_envs, ctx.options().threads);
    RolloutCollector collector(envs, ctx.options().seed);
    RewardScaler scaler(config_.gamma, config_.reward_clip);

    const int64_t per_iteration = config_.num_envs * config_.steps_per_env;
    const int64_t iterations = (ctx.options().total_steps + per_iteration - 1) / per_iteration;
    ctx.report(0, json::object(), *policy_);
    for (int64_t iteration = 1; iteration <= iterations; ++iteration) {
      const double frac = config_.anneal_lr ? 1.0 - (iteration - 1.0) / iterations : 1.0;
      for (auto& group : optimizer_->param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(frac * config_.learning_rate);

      const double t0 = ctx.wall_seconds();
      agents::TrajectoryBatch batch = collector.collect(*policy_, config_.steps_per_env);
      const double t1 = ctx.wall_seconds();
      json metrics = {{"charts/learning_rate", frac * config_.learning_rate}};
      if (config_.normalize_reward) {
        scaler.apply(batch);
        metrics["charts/reward_scale_std"] = scaler.std();
      }
      compute_gae(batch, config_.gamma, config_.gae_lambda);
      if (config_.advantage_whitening == "batch")
        batch.advantages = whiten(batch.advantages, batch.mask);

      json losses = update(batch, iteration);
      metrics.update(losses);
      metrics["charts/rollout_seconds"] = t1 - t0;
      metrics["charts/update_seconds"] = ctx.wall_seconds() - t1;
      auto finished = collector.take_finished();
      if (!finished.empty()) {
        double sum = 0;
        for (const auto& e : finished) sum += e.episode_return;
        metrics["train/episode_return_mean"] = sum / finished.size();
        metrics["train/episodes"] = finished.size();
      }
      metrics["charts/steps_per_second"] = collector.env_steps() / ctx.wall_seconds();
      ctx.report(collector.env_steps(), metrics, *policy_);
      if (!ctx.checkpoint_path().empty() &&
          (iteration % config_.checkpoint_interval == 0 || iteration == iterations)) {
        save_checkpoint(ctx.checkpoint_path(), *policy_, optimizer_.get(),
                        {{"algorithm", "ppo"},
                         {"iteration", iteration},
                         {"env_steps", collector.env_steps()}});
      }
    }
  }

 private:
  json update(const agents::TrajectoryBatch& batch, int64_t iteration) {
    // explained variance of the stored values, before they move
    torch::Tensor residual_var = (batch.returns - batch.values).var();
    double explained = 1.0 - (residual_var / batch.returns.var().clamp_min(1e-8)).item<double>();

    const agents::TrajectoryBatch data = policy_->stateless() ? batch.flatten_steps() : batch;
    const int64_t rows = data.size();
    const int64_t mb_size = std::max<int64_t>(1, rows / config_.minibatches);
    double sum_policy = 0, sum_value = 0, sum_entropy = 0, sum_kl = 0, sum_clip = 0;
    int64_t updates = 0, epochs_run = 0;
    for (int64_t epoch = 0; epoch < config_.epochs; ++epoch) {
      ++epochs_run;
      torch::Tensor order = torch::randperm(rows, torch::kLong);
      double epoch_kl = 0;
      int64_t epoch_updates = 0;
      for (int64_t start = 0; start + mb_size <= rows; start += mb_size) {
        agents::TrajectoryBatch mb = data.select_rows(order.slice(0, start, start + mb_size));
        agents::EvaluateResult ev = policy_->evaluate(mb);
        torch::Tensor adv = config_.advantage_whitening == "minibatch"
                                ? whiten(mb.advantages, mb.mask)
                                : mb.advantages;
        PpoLoss loss = ppo_loss(ev.log_prob, mb.log_probs, adv, ev.value, mb.values, mb.returns,
                                ev.entropy, mb.mask, config_);
        const double total = loss.total.item<double>();
        if (!std::isfinite(total)) {
          throw Error("ppo: the loss is " + std::to_string(total) + " at iteration " +
                      std::to_string(iteration) + " (policy " +
                      std::to_string(loss.policy.item<double>()) + ", value " +
                      std::to_string(loss.value.item<double>()) +
                      "); lower learning_rate or check the env's observations for NaN");
        }
        optimizer_->zero_grad();
        loss.total.backward();
        if (config_.max_grad_norm > 0)
          torch::nn::utils::clip_grad_norm_(flat_->flat(), config_.max_grad_norm);
        optimizer_->step();

        sum_policy += loss.policy.item<double>();
        sum_value += loss.value.item<double>();
        sum_entropy += loss.entropy.item<double>();
        const double kl = loss.approx_kl.item<double>();
        sum_kl += kl;
        epoch_kl += kl;
        sum_clip += loss.clip_fraction.item<double>();
        ++updates;
        ++epoch_updates;
      }
      if (config_.target_kl > 0 && epoch_kl / std::max<int64_t>(1, epoch_updates) > config_.target_kl)
        break;
    }
    const double n = std::max<int64_t>(1, updates);
    return {{"losses/policy", sum_policy / n},
            {"losses/value", sum_value / n},
            {"losses/entropy", sum_entropy / n},
            {"losses/approx_kl", sum_kl / n},
            {"losses/clip_fraction", sum_clip / n},
            {"losses/explained_variance", explained},
            {"losses/epochs", epochs_run}};
  }

  PpoConfig config_;
  agents::Policy policy_;
  std::unique_ptr<FlatParameters> flat_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("ppo", Ppo);

}  // namespace tandem::algorithms
