// DPO — Direct Preference Optimization (Rafailov et al. 2023, arXiv 2305.18290), offline:
//
//   L = − mean log σ(β [h(y_w) − h(y_l)]),   h(y) = log π_θ(y|x) − log π_ref(y|x)
//
// with π_ref the frozen starting policy (the base model; for control the run's start policy),
// β = 0.1. A pair's y is a completion or a control episode; log π(y|x) is the masked sum of
// Policy::evaluate's per-step log-probs, so this file is the same for tokens and torques.
// Budget: --steps counts preference pairs processed. Logged: both implicit rewards β h(y_w) and
// β h(y_l) and their margin, on the training pairs and on held-out pairs ("chosen reward going
// down" shows here), beside the usual evaluation of the policy.
#include <torch/torch.h>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/feedback.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/preference_losses.h"

namespace tandem::algorithms {
namespace {

struct DpoConfig {
  PreferenceFeedbackConfig feedback;
  double beta = 0.1;
  int64_t batch_size = 16;
  double learning_rate = 5e-5;
  double max_grad_norm = 1.0;

  template <class V>
  void visit(V& v) {
    feedback.visit(v);
    v.field("beta", beta, 1e-6, 1e6, "β: the implicit reward is β (log π − log π_ref)");
    v.field("batch_size", batch_size, int64_t{1}, int64_t{65536}, "pairs per gradient step");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
  }
};

// log π(y|x) of both sides of some pairs: [P] each.
struct PairLogLik {
  torch::Tensor chosen, rejected;
};

PairLogLik log_likelihoods(agents::PolicyImpl& policy, const std::vector<PreferencePair>& pairs,
                           const std::vector<int64_t>& rows) {
  std::vector<const Episode*> chosen, rejected;
  for (int64_t i : rows) {
    chosen.push_back(&pairs[i].chosen);
    rejected.push_back(&pairs[i].rejected);
  }
  agents::TrajectoryBatch c = episodes_batch(chosen, &policy);
  agents::TrajectoryBatch r = episodes_batch(rejected, &policy);
  return {c.masked_sum(policy.evaluate(c).log_prob), r.masked_sum(policy.evaluate(r).log_prob)};
}

// log π of every pair, without gradients, in chunks.
PairLogLik all_log_likelihoods(agents::PolicyImpl& policy,
                               const std::vector<PreferencePair>& pairs) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> c, r;
  for (size_t start = 0; start < pairs.size(); start += 64) {
    std::vector<int64_t> rows;
    for (size_t i = start; i < std::min(pairs.size(), start + 64); ++i) rows.push_back(i);
    PairLogLik l = log_likelihoods(policy, pairs, rows);
    c.push_back(l.chosen);
    r.push_back(l.rejected);
  }
  return {torch::cat(c), torch::cat(r)};
}

class Dpo : public Algorithm {
 public:
  Dpo(const json& config, const std::string& where)
      : config_(config_from_json<DpoConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    agents::Policy reference = policy_->clone_policy();
    for (auto& p : reference->parameters()) p.requires_grad_(false);
    ctx.set_reference(reference);
    const PreferenceData data = preference_data(
        ctx.options().env_id, ctx.options().env_options, ctx.options().policy, *policy_,
        [&ctx] { return ctx.make_env(); }, config_.feedback, ctx.options().progress);
    const PairLogLik ref_train = all_log_likelihoods(*reference, data.train);
    const PairLogLik ref_heldout = all_log_likelihoods(*reference, data.heldout);

    FlatParameters flat(policy_->actor_parameters());
    torch::optim::Adam optimizer(std::vector<torch::Tensor>{flat.flat()},
                                 torch::optim::AdamOptions(config_.learning_rate));
    auto heldout_metrics = [&](json& m) {
      torch::NoGradGuard no_grad;
      PairLogLik now = all_log_likelihoods(*policy_, data.heldout);
      DpoLoss l = dpo_loss(now.chosen, now.rejected, ref_heldout.chosen, ref_heldout.rejected,
                           config_.beta);
      m["dpo/heldout_loss"] = l.loss.item<double>();
      m["dpo/heldout_margin"] = l.margin.mean().item<double>();
      m["dpo/heldout_accuracy"] = l.accuracy.item<double>();
      m["dpo/heldout_chosen_reward"] = l.chosen_reward.mean().item<double>();
      m["dpo/heldout_rejected_reward"] = l.rejected_reward.mean().item<double>();
    };
    json metrics = {{"dpo/train_pairs", static_cast<int64_t>(data.train.size())}};
    heldout_metrics(metrics);
    ctx.report(0, metrics, *policy_);

    ItemBatches batches(static_cast<int64_t>(data.train.size()), config_.batch_size,
                        ctx.options().total_steps, ctx.options().eval_interval);
    double loss_sum = 0, chosen_sum = 0, rejected_sum = 0, seen = 0;  // since the last report
    for (std::vector<int64_t> rows; batches.next(&rows);) {
      PairLogLik now = log_likelihoods(*policy_, data.train, rows);
      torch::Tensor index = torch::tensor(rows, torch::kLong);
      DpoLoss l = dpo_loss(now.chosen, now.rejected, ref_train.chosen.index_select(0, index),
                           ref_train.rejected.index_select(0, index), config_.beta);
      optimizer.zero_grad();
      l.loss.backward();
      if (config_.max_grad_norm > 0)
        torch::nn::utils::clip_grad_norm_(flat.flat(), config_.max_grad_norm);
      optimizer.step();
      const double n = static_cast<double>(rows.size());
      loss_sum += l.loss.item<double>() * n;
      chosen_sum += l.chosen_reward.sum().item<double>();
      rejected_sum += l.rejected_reward.sum().item<double>();
      seen += n;
      if (batches.report_due()) {
        metrics["dpo/train_loss"] = loss_sum / seen;
        metrics["dpo/train_chosen_reward"] = chosen_sum / seen;
        metrics["dpo/train_rejected_reward"] = rejected_sum / seen;
        metrics["dpo/train_margin"] = (chosen_sum - rejected_sum) / seen;
        metrics["dpo/epoch"] = batches.epoch();
        heldout_metrics(metrics);
        ctx.report(batches.processed(), metrics, *policy_);
        loss_sum = chosen_sum = rejected_sum = seen = 0;
      }
    }
    if (!ctx.checkpoint_path().empty()) {
      save_checkpoint(ctx.checkpoint_path(), *policy_, &optimizer,
                      {{"algorithm", "dpo"}, {"env_steps", batches.processed()}});
    }
  }

 private:
  DpoConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("dpo", Dpo);

}  // namespace tandem::algorithms
