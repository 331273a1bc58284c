// DPO — Direct Preference Optimization (Rafailov et al. 2023, arXiv 2305.18290), offline:
//
//   L = − mean log σ(β [h(y_w) − h(y_l)]),   h(y) = log π_θ(y|x) − log π_ref(y|x)
//
// with π_ref the frozen starting policy (the base model; for control the run's start policy),
// β = 0.1. A pair's y is a completion or a control episode; log π(y|x) is the masked sum of
// Policy::evaluate's per-step log-probs, so this file is the same for tokens and torques.
// Budget: --steps counts preference pairs processed. Logged: both implicit rewards β h(y_w) and
// β h(y_l) and their margin, on the training pairs and on held-out pairs ("chosen reward going
// down" shows here), beside the usual evaluation of the policy. Optional (bc_coef > 0, dpo.h):
// a BC term on the chosen segments, logged as "dpo/train_bc_nll".
// On control, DPO learns from pairs whose labels a log-ratio of the segments' actions can
// express: pair_start "common" with label "advantage" (feedback.h, segment_labels.h); from
// segments of different starts labelled on their returns it barely moves the policy.
#include "algorithms/dpo.h"

#include <torch/torch.h>

#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/demonstration_pairs.h"
#include "algorithms/divergence.h"
#include "algorithms/offline_checkpoint.h"
#include "algorithms/preference_losses.h"

namespace tandem::algorithms {
namespace {

// log π(y|x) of both sides of some pairs: [P] each; and the chosen sides' per-step negative
// log-likelihood (sft_loss over their segments' steps), for the BC term.
struct PairLogLik {
  torch::Tensor chosen, rejected;
  torch::Tensor chosen_nll;
};

PairLogLik log_likelihoods(agents::PolicyImpl& policy,
                           const std::vector<const PreferencePair*>& pairs) {
  std::vector<const Episode*> chosen, rejected;
  for (const PreferencePair* p : pairs) {
    chosen.push_back(&p->chosen);
    rejected.push_back(&p->rejected);
  }
  agents::TrajectoryBatch c = episodes_batch(chosen, &policy);
  agents::TrajectoryBatch r = episodes_batch(rejected, &policy);
  const torch::Tensor chosen_log_prob = policy.evaluate(c).log_prob;  // [P, T]
  return {c.masked_sum(chosen_log_prob), r.masked_sum(policy.evaluate(r).log_prob),
          sft_loss(chosen_log_prob, c.mask)};
}

// log π of every pair, without gradients, in chunks.
PairLogLik all_log_likelihoods(agents::PolicyImpl& policy,
                               const std::vector<const PreferencePair*>& pairs) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> c, r;
  for (size_t start = 0; start < pairs.size(); start += 64) {
    std::vector<const PreferencePair*> chunk(pairs.begin() + start,
                                             pairs.begin() + std::min(pairs.size(), start + 64));
    PairLogLik l = log_likelihoods(policy, chunk);
    c.push_back(l.chosen);
    r.push_back(l.rejected);
  }
  return {torch::cat(c), torch::cat(r), torch::Tensor()};
}

std::vector<const PreferencePair*> pointers(const std::vector<PreferencePair>& pairs) {
  std::vector<const PreferencePair*> out;
  for (const PreferencePair& p : pairs) out.push_back(&p);
  return out;
}

}  // namespace

DpoTrainer::DpoTrainer(agents::Policy policy, const DpoSettings& settings)
    : policy_(std::move(policy)), settings_(settings) {
  flat_ = std::make_unique<FlatParameters>(policy_->actor_parameters());
  optimizer_ =
      std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{flat_->flat()},
                                           torch::optim::AdamOptions(settings_.learning_rate));
}

void DpoTrainer::heldout_metrics(const std::vector<PreferencePair>& heldout, json* metrics) {
  if (heldout.empty()) return;
  const auto all = pointers(heldout);
  PairLogLik ref = all_log_likelihoods(*reference_, all);
  PairLogLik now = all_log_likelihoods(*policy_, all);
  DpoLoss l = dpo_loss(now.chosen, now.rejected, ref.chosen, ref.rejected, settings_.beta);
  (*metrics)["dpo/heldout_loss"] = l.loss.item<double>();
  (*metrics)["dpo/heldout_margin"] = l.margin.mean().item<double>();
  (*metrics)["dpo/heldout_accuracy"] = l.accuracy.item<double>();
  (*metrics)["dpo/heldout_chosen_reward"] = l.chosen_reward.mean().item<double>();
  (*metrics)["dpo/heldout_rejected_reward"] = l.rejected_reward.mean().item<double>();
}

torch::Tensor DpoTrainer::minibatch_loss(const std::vector<const PreferencePair*>& batch,
                                         const torch::Tensor& ref_chosen,
                                         const torch::Tensor& ref_rejected,
                                         const torch::Tensor& demonstration,
                                         const SourceWeights& weights, DpoLoss* parts,
                                         torch::Tensor* bc_nll) {
  PairLogLik now = log_likelihoods(*policy_, batch);
  *parts = dpo_loss(now.chosen, now.rejected, ref_chosen, ref_rejected, settings_.beta,
                    demonstration, weights);
  if (settings_.bc_coef == 0) return parts->loss;  // DPO's loss, exactly
  if (bc_nll) *bc_nll = now.chosen_nll.detach();
  return parts->loss + settings_.bc_coef * now.chosen_nll;
}

int64_t DpoTrainer::train(RunContext& ctx,
                          const std::vector<const PreferencePair*>& preference_pairs,
                          const std::vector<const PreferencePair*>& demonstration_pairs,
                          const SourceWeights& weights, const std::vector<PreferencePair>& heldout,
                          int64_t items, int64_t done, json* metrics,
                          const DpoCheckpointing& checkpointing) {
  // rows: the preference pairs, then the demonstration pairs
  std::vector<const PreferencePair*> pairs = preference_pairs;
  pairs.insert(pairs.end(), demonstration_pairs.begin(), demonstration_pairs.end());
  const PairLogLik ref = all_log_likelihoods(*reference_, pairs);
  SourceBatches batches(static_cast<int64_t>(preference_pairs.size()),
                        static_cast<int64_t>(demonstration_pairs.size()), settings_.batch_size,
                        items, ctx.options().eval_interval);
  double loss_sum = 0, chosen_sum = 0, rejected_sum = 0, seen = 0;  // since the last report
  double bc_sum = 0;  // the BC term's negative log-likelihood (bc_coef > 0)
  auto place = [&] {
    json p = checkpointing.outer;
    p["done"] = done;
    p["batches"] = batches.state();
    p["sums"] = {loss_sum, chosen_sum, rejected_sum, seen};
    if (settings_.bc_coef > 0) p["bc_sum"] = bc_sum;
    return p;
  };
  if (const json* p = checkpointing.resumed) {
    batches.restore(p->at("batches"));
    const json& sums = p->at("sums");
    loss_sum = sums[0].get<double>();
    chosen_sum = sums[1].get<double>();
    rejected_sum = sums[2].get<double>();
    seen = sums[3].get<double>();
    bc_sum = p->value("bc_sum", 0.0);
  }
  OfflineCheckpoints* const checkpoints = checkpointing.checkpoints;
  for (std::vector<int64_t> all_rows;
       !(checkpoints && checkpoints->stopped()) && batches.next(&all_rows);) {
    double scale = 1;  // data-parallel: this rank's share of the minibatch (data_parallel.h)
    const std::vector<int64_t> rows = local_rows(all_rows, &scale);
    std::vector<const PreferencePair*> batch;
    for (int64_t i : rows) batch.push_back(pairs[i]);
    torch::Tensor index = torch::tensor(rows, torch::kLong);
    DpoLoss l;
    torch::Tensor bc_nll;
    torch::Tensor loss = minibatch_loss(batch, ref.chosen.index_select(0, index),
                                        ref.rejected.index_select(0, index),
                                        batches.demonstration_mask(rows), weights, &l, &bc_nll);
    if (scale != 1) loss = loss * scale;
    optimizer_->zero_grad();
    loss.backward();
    checked_gradient_norm({flat_->flat()}, settings_.max_grad_norm, loss.item<double>(), "dpo",
                          "gradient step " + std::to_string(ctx.gradient_steps() + 1),
                          "lower learning_rate or beta, or clip the gradients (max_grad_norm)");
    optimizer_->step();
    ctx.add_gradient_steps(1);
    const double n = static_cast<double>(rows.size());
    loss_sum += l.loss.item<double>() * n;
    if (bc_nll.defined()) bc_sum += bc_nll.item<double>() * n;
    chosen_sum += l.chosen_reward.sum().item<double>();
    rejected_sum += l.rejected_reward.sum().item<double>();
    seen += n;
    const bool reported = batches.report_due();
    if (reported) {
      (*metrics)["dpo/train_loss"] = loss_sum / seen;
      (*metrics)["dpo/train_chosen_reward"] = chosen_sum / seen;
      (*metrics)["dpo/train_rejected_reward"] = rejected_sum / seen;
      (*metrics)["dpo/train_margin"] = (chosen_sum - rejected_sum) / seen;
      (*metrics)["dpo/epoch"] = batches.epoch();
      if (settings_.bc_coef > 0) (*metrics)["dpo/train_bc_nll"] = bc_sum / seen;
      heldout_metrics(heldout, metrics);
      if (checkpoints && metrics->contains("dpo/heldout_loss"))
        checkpoints->should_stop(-(*metrics)["dpo/heldout_loss"].get<double>(), metrics);
      ctx.report(done + batches.processed(), *metrics, *policy_);
      loss_sum = chosen_sum = rejected_sum = seen = bc_sum = 0;
    }
    if (checkpoints) checkpoints->after_step(reported, done + batches.processed(), place);
  }
  if (checkpoints) checkpoints->finish(done + batches.processed(), place());
  return done + batches.processed();
}

namespace {

struct DpoConfig {
  PreferenceFeedbackConfig feedback;
  DpoSettings dpo;
  OfflineSchedule schedule;

  template <class V>
  void visit(V& v) {
    feedback.visit(v);
    dpo.visit(v);
    schedule.visit(v);
  }
};

class Dpo : public Algorithm {
 public:
  Dpo(const json& config, const std::string& where)
      : config_(config_from_json<DpoConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    agents::Policy reference = agents::frozen_copy(*policy_);
    ctx.set_reference(reference);
    const PreferenceData data = preference_data(
        ctx.options().env_id, ctx.options().env_options, ctx.options().policy, *policy_,
        [&ctx] { return ctx.make_env(); }, config_.feedback, ctx.options().progress);
    DpoTrainer trainer(policy_, config_.dpo);
    trainer.set_reference(reference);
    json metrics = {{"dpo/train_pairs", static_cast<int64_t>(data.train.size())}};
    OfflineCheckpoints checkpoints(ctx, "dpo", *policy_, &trainer.optimizer(), config_.schedule);
    const std::optional<json> resumed = checkpoints.resume();
    if (!resumed) {
      trainer.heldout_metrics(data.heldout, &metrics);
      checkpoints.should_stop(-metrics["dpo/heldout_loss"].get<double>(), &metrics);
      ctx.report(0, metrics, *policy_);
    }
    trainer.train(ctx, pointers(data.train), {}, SourceWeights{}, data.heldout,
                  ctx.options().total_steps, 0, &metrics,
                  {&checkpoints, json::object(), resumed ? &*resumed : nullptr});
  }

 private:
  DpoConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("dpo", Dpo);

}  // namespace tandem::algorithms
