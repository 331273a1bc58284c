// SFT / behaviour cloning: maximum likelihood of demonstrations,
//
//   L = − Σ_valid log π_θ(a_t | s_t) / (valid steps)
//
// on demonstration episodes (feedback.h: an expert run's policy, or best-of-n of the starting
// policy). One file for text (the demonstrations are completions) and control (expert
// trajectories). A Gaussian policy's observation normalizer is fitted to the demonstrations'
// observations first. Budget: --steps counts demonstration episodes processed.
//
// Early stopping (patience) needs demonstrations the learner does not fit: heldout_demonstrations
// more episodes of the same demonstrator, drawn with their own seed (demo_seed + 2^32, so other
// episode starts, and the training set stays the one every other learner of the feedback uses),
// scored at every evaluation by their mean negative log-likelihood per step.
#include <torch/torch.h>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/divergence.h"
#include "algorithms/feedback.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/offline_checkpoint.h"
#include "algorithms/preference_losses.h"

namespace tandem::algorithms {
namespace {

struct SftConfig {
  DemonstrationConfig demos;
  int64_t batch_size = 16;
  double learning_rate = 1e-3;
  double max_grad_norm = 1.0;

  int64_t heldout_demonstrations = 0;
  OfflineSchedule schedule;
  template <class V>
  void visit(V& v) {
    demos.visit(v);
    schedule.visit(v);
    v.field("heldout_demonstrations", heldout_demonstrations, int64_t{0}, int64_t{1000000},
            "held-out episodes of the demonstrator (their own seed), scored by NLL at every "
            "evaluation: what patience stops on (0: none)");
    v.field("batch_size", batch_size, int64_t{1}, int64_t{65536}, "episodes per gradient step");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
  }
};

class Sft : public Algorithm {
 public:
  Sft(const json& config, const std::string& where)
      : config_(config_from_json<SftConfig>(config, where)) {
    if (config_.schedule.patience > 0 && config_.heldout_demonstrations == 0)
      throw Error(where + ": field 'patience' needs held-out demonstrations to stop on: set " +
                  "heldout_demonstrations (e.g. 10), or patience to 0 (train for the whole " +
                  "budget)");
  }

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    agents::Policy reference = agents::frozen_copy(*policy_);
    ctx.set_reference(reference);
    const DemonstrationData demos = demonstration_data(
        ctx.options().env_id, ctx.options().env_options, ctx.options().policy, *policy_,
        [&ctx] { return ctx.make_env(); }, config_.demos, ctx.options().progress);
    std::vector<const Episode*> all, heldout;
    for (const Episode& e : demos.episodes) all.push_back(&e);
    DemonstrationData heldout_demos;
    if (config_.heldout_demonstrations > 0) {
      DemonstrationConfig held = config_.demos;
      held.demonstrations = config_.heldout_demonstrations;
      held.demo_seed = config_.demos.demo_seed + (int64_t{1} << 32);
      heldout_demos = demonstration_data(
          ctx.options().env_id, ctx.options().env_options, ctx.options().policy, *policy_,
          [&ctx] { return ctx.make_env(); }, held, ctx.options().progress);
      for (const Episode& e : heldout_demos.episodes) heldout.push_back(&e);
    }
    {
      // observation statistics from the demonstrations (a no-op for the LM)
      torch::NoGradGuard no_grad;
      agents::TrajectoryBatch b = episodes_batch(all, nullptr);
      torch::Tensor valid = b.mask.reshape({-1}).nonzero().squeeze(1);
      policy_->preprocess(b.env_obs.reshape({-1, b.env_obs.size(2)}).index_select(0, valid),
                          /*update=*/true);
    }

    FlatParameters flat(policy_->actor_parameters());
    torch::optim::Adam optimizer(std::vector<torch::Tensor>{flat.flat()},
                                 torch::optim::AdamOptions(config_.learning_rate));
    json metrics = {{"sft/demonstrations", static_cast<int64_t>(all.size())},
                    {"sft/demonstrator_return", demos.gold_return_mean}};
    if (!heldout.empty())
      metrics["sft/heldout_demonstrations"] = static_cast<int64_t>(heldout.size());
    ItemBatches batches(static_cast<int64_t>(all.size()), config_.batch_size,
                        ctx.options().total_steps, ctx.options().eval_interval);
    double nll_sum = 0, seen = 0;  // since the last report
    OfflineCheckpoints checkpoints(ctx, "sft", *policy_, &optimizer, config_.schedule);
    auto place = [&] { return json{{"batches", batches.state()}, {"sums", {nll_sum, seen}}}; };
    // the held-out score: − mean NLL per step (higher is better)
    auto heldout_score = [&](json* m) {
      if (heldout.empty()) return;
      torch::NoGradGuard no_grad;
      agents::TrajectoryBatch b = episodes_batch(heldout, policy_.get());
      const double nll = sft_loss(policy_->evaluate(b).log_prob, b.mask).item<double>();
      (*m)["sft/heldout_nll_per_step"] = nll;
      checkpoints.should_stop(-nll, m);
    };
    if (const std::optional<json> p = checkpoints.resume()) {
      batches.restore(p->at("batches"));
      nll_sum = p->at("sums")[0].get<double>();
      seen = p->at("sums")[1].get<double>();
    } else {
      heldout_score(&metrics);
      ctx.report(0, metrics, *policy_);
    }
    for (std::vector<int64_t> all_rows; !checkpoints.stopped() && batches.next(&all_rows);) {
      double scale = 1;  // data-parallel: this rank's share of the minibatch (data_parallel.h)
      const std::vector<int64_t> rows = local_rows(all_rows, &scale);
      std::vector<const Episode*> episodes;
      for (int64_t i : rows) episodes.push_back(all[i]);
      agents::TrajectoryBatch b = episodes_batch(episodes, policy_.get());
      torch::Tensor loss = sft_loss(policy_->evaluate(b).log_prob, b.mask);
      if (scale != 1) loss = loss * scale;
      optimizer.zero_grad();
      loss.backward();
      checked_gradient_norm({flat.flat()}, config_.max_grad_norm, loss.item<double>(), "sft",
                            "gradient step " + std::to_string(ctx.gradient_steps() + 1),
                            "lower learning_rate or clip the gradients (max_grad_norm)");
      optimizer.step();
      ctx.add_gradient_steps(1);
      nll_sum += loss.item<double>() * rows.size();
      seen += rows.size();
      const bool reported = batches.report_due();
      if (reported) {
        metrics["sft/train_nll_per_step"] = nll_sum / seen;
        metrics["sft/epoch"] = batches.epoch();
        heldout_score(&metrics);
        ctx.report(batches.processed(), metrics, *policy_);
        nll_sum = seen = 0;
      }
      checkpoints.after_step(reported, batches.processed(), place);
    }
    checkpoints.finish(batches.processed(), place());
  }

 private:
  SftConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("sft", Sft);

}  // namespace tandem::algorithms
