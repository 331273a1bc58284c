// AIHF — Alignment with Integrated Human Feedback, the authors' form with an explicit reward
// (Li et al. 2024, arXiv 2406.06874; `aihf_dpo` is the offline form). Outer rounds k = 0..K−1,
// the env-step budget split evenly between them:
//   1. for every demonstration's start (prompt or seed), sample y' ~ π_k (round 0: π_ref, the
//      starting policy);
//   2. reward update, warm-started from the previous round: rm_epochs passes (default 1) over
//      the demonstration pairs y^E ≻ y' (identical pairs skipped) and the preference pairs
//      y_w ≻ y_l of
//        L_R = − w_D E_D log σ(R(y^E) − R(y')) − w_P E_P log σ(R(y_w) − R(y_l)),
//      a mean per source, then weighted: per minibatch w_D · mean over its demonstration pairs +
//      w_P · mean over its preference pairs, every minibatch holding both (SourceBatches,
//      demonstration_pairs.h), not one mean over the union, where 10 demonstrations beside 500
//      pairs would weigh 2 %; R(y) = sum of per-step rewards;
//   3. RL against R from π_k, anchored to the frozen π_ref: APA (the authors' inner RL:
//      regression toward log π_ref + adv_coeff·Â) or PPO (clipped, with kl_coef's per-step
//      penalty toward π_ref) — the same rollouts, GAE and critic as `apa` and `ppo`.
// w_D = 0 with w_P = 1 (the default) makes step 2 the `reward_model` update on the preference
// pairs (same loss, optimizer and minibatch order: tested), so the run is RLHF with the reward
// refit between rounds; w_P = 0 learns the reward from demonstrations alone (maximum-likelihood
// IRL's logistic surrogate) and, having no held-out pairs, logs no "rm/heldout_*" metric. The
// run folder keeps the last reward beside the policy (reward_model.pt/.json, loadable by
// `ppo`/`apa` with "reward_model").
#include <torch/torch.h>

#include <filesystem>
#include <optional>

#include "agents/torch_seed.h"
#include "algorithms/apa.h"
#include "algorithms/data_parallel.h"
#include "algorithms/demonstration_pairs.h"
#include "algorithms/feedback.h"
#include "algorithms/gae.h"
#include "algorithms/on_policy.h"
#include "algorithms/ppo.h"
#include "algorithms/reward_model.h"

namespace tandem::algorithms {
namespace {

struct AihfConfig {
  OnPolicyConfig base;
  std::string inner = "apa";
  double adv_coeff = 10.0;
  double target_clip = 0.0;
  double clip = 0.2;
  double entropy_coef = 0.0;
  PreferenceFeedbackConfig feedback;
  DemonstrationConfig demos;
  RewardTrainingSettings rm;
  int64_t rm_epochs = 1;
  double w_d = 1.0;
  double w_p = 1.0;
  int64_t rounds = 4;

  template <class V>
  void visit(V& v) {
    base.visit(v);
    v.field("inner", inner, {"apa", "ppo"}, "the RL against the learned reward");
    v.field("adv_coeff", adv_coeff, 0.0, 1e6, "apa: 1/λ, target log π_ref + adv_coeff·Â");
    v.field("target_clip", target_clip, 0.0, 1e6, "apa: clip adv_coeff·Â to ±this (0: off)");
    v.field("clip", clip, 0.0, 10.0, "ppo: ratio clip epsilon");
    v.field("entropy_coef", entropy_coef, -1e3, 1e3, "ppo: weight of the entropy bonus");
    feedback.visit(v);
    demos.visit(v);
    rm.visit(v, /*prefixed=*/true);
    v.field("rm_epochs", rm_epochs, int64_t{1}, int64_t{1000},
            "passes over the pairs in each round's reward update");
    v.field("w_d", w_d, 0.0, 1e6, "weight of the demonstration pairs (y^E ≻ y')");
    v.field("w_p", w_p, 0.0, 1e6, "weight of the preference pairs (y_w ≻ y_l)");
    v.field("rounds", rounds, int64_t{1}, int64_t{1000},
            "outer rounds: new y', reward update, then RL for budget/rounds env steps");
  }
};

class Aihf : public OnPolicyAlgorithm {
 public:
  Aihf(const json& config, const std::string& where)
      : OnPolicyAlgorithm("aihf", config_.base),
        config_(config_from_json<AihfConfig>(config, where)),
        where_(where) {
    if (config_.w_d == 0 && config_.w_p == 0)
      throw Error(where + ": w_d and w_p are both 0: nothing to learn the reward from");
    if (!config_.base.reward_model.empty())
      throw Error(where + ": field 'reward_model' must be empty: aihf learns its own reward");
    if (config_.inner == "apa" && config_.base.kl_coef != 0)
      throw Error(where + ": field 'kl_coef' must be 0 with inner = apa: its anchor is π_ref");
  }

  json config() const override { return config_to_json(config_); }

 protected:
  bool needs_reference() const override { return true; }

  void on_start(RunContext& ctx) override {
    const auto& o = ctx.options();
    make_env_ = [&ctx] { return ctx.make_env(); };
    // w = 0 drops a source entirely (its data is not even made)
    if (config_.w_p > 0)
      prefs_ = preference_data(o.env_id, o.env_options, o.policy, current_policy(), make_env_,
                               config_.feedback, o.progress);
    if (config_.w_d > 0)
      demos_ = demonstration_data(o.env_id, o.env_options, o.policy, current_policy(), make_env_,
                                  config_.demos, o.progress);
    trainer_ = std::make_unique<RewardTrainer>(
        make_reward_model(current_policy(), ctx.spec(), config_.rm), config_.rm);
    set_reward_source(std::make_shared<LearnedRewardSource>(trainer_->reward()));
    // the reward model beside the run's files: rank 0's (data-parallel ranks hold the same one)
    if (!ctx.checkpoint_path().empty() && !RunContext::secondary_rank())
      run_dir_ = std::filesystem::path(ctx.checkpoint_path()).parent_path().string();
  }

  json before_iteration(RunContext& ctx, int64_t env_steps) override {
    const int64_t total = ctx.options().total_steps;
    if (round_ < config_.rounds && env_steps >= round_ * total / config_.rounds) {
      round_metrics_ = reward_update();
      ctx.add_gradient_steps(round_metrics_["aihf/reward_gradient_steps"].get<int64_t>());
    }
    // metrics lines are written at evaluations: the last round's figures ride on every line
    return round_metrics_;
  }

  // the round counter here, the reward and its optimizer inside the checkpoint file itself
  json checkpoint_state(const std::string& checkpoint_path) override {
    return {{"aihf_round", round_}, {"aihf_round_metrics", round_metrics_}};
  }
  void save_tensors(torch::serialize::OutputArchive& archive) override { trainer_->save(archive); }
  void load_tensors(torch::serialize::InputArchive& archive) override { trainer_->load(archive); }

  void restore_state(const std::string& checkpoint_path, const json& counters) override {
    round_ = counters.at("aihf_round").get<int64_t>();
    round_metrics_ = counters.at("aihf_round_metrics");
  }

  PolicyLoss policy_loss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                         const torch::Tensor& advantages) override {
    if (config_.inner == "apa")
      return apa_policy_loss(ev, mb, advantages, config_.adv_coeff, config_.target_clip);
    PpoConfig ppo;
    ppo.base = config_.base;
    ppo.clip = config_.clip;
    ppo.entropy_coef = config_.entropy_coef;
    return ppo_policy_loss(ev, mb, advantages, ppo);
  }

 private:
  // Steps 1 and 2 of round `round_`.
  json reward_update() {
    std::vector<PreferencePair> demo_pairs;
    if (config_.w_d > 0) {
      // data-parallel ranks sample on streams of their own, but their reward models must train
      // on the same pairs (as many steps on each): the policy's answers y' come from one stream
      std::optional<agents::TorchSeedScope> same_answers;
      if (data_parallel()) same_answers.emplace(0x5eedull + static_cast<uint64_t>(round_));
      demo_pairs = demonstration_pairs(current_policy(), make_env_, demos_.episodes);
    }
    // rows: the preference pairs, then the demonstration pairs
    std::vector<const PreferencePair*> pairs;
    for (const PreferencePair& p : prefs_.train) pairs.push_back(&p);
    for (const PreferencePair& p : demo_pairs) pairs.push_back(&p);
    TANDEM_CHECK(!pairs.empty(), where_ + ": no pairs (every demonstration equals its y')");
    const int64_t n = static_cast<int64_t>(pairs.size());
    SourceBatches batches(static_cast<int64_t>(prefs_.train.size()),
                          static_cast<int64_t>(demo_pairs.size()), config_.rm.batch_size,
                          n * config_.rm_epochs, n * config_.rm_epochs);
    const SourceWeights weights{config_.w_d, config_.w_p};
    double loss_sum = 0, right = 0, seen = 0;
    int64_t steps = 0;
    for (std::vector<int64_t> rows; batches.next(&rows); ++steps) {
      const RewardTrainer::Step step =
          trainer_->step(pairs, rows, batches.demonstration_mask(rows), weights);
      loss_sum += step.loss * rows.size();
      right += step.right;
      seen += rows.size();
    }
    json metrics = {{"aihf/round", round_},
                    {"aihf/preference_pairs", static_cast<int64_t>(prefs_.train.size())},
                    {"aihf/demonstration_pairs", static_cast<int64_t>(demo_pairs.size())},
                    {"aihf/demonstration_accuracy", trainer_->accuracy(demo_pairs)},
                    {"aihf/reward_gradient_steps", steps}};
    if (seen > 0) {
      metrics["rm/train_loss"] = loss_sum / seen;
      metrics["rm/train_accuracy"] = right / seen;
    }
    if (!prefs_.heldout.empty()) {
      metrics["rm/heldout_accuracy"] = trainer_->accuracy(prefs_.heldout);
      metrics["rm/heldout_ceiling"] = prefs_.heldout_ceiling;
    }
    if (!run_dir_.empty()) {
      json info = {{"round", round_}};
      if (metrics.contains("rm/heldout_accuracy")) {  // held out: preference pairs alone
        info["heldout_accuracy"] = metrics["rm/heldout_accuracy"];
        info["heldout_ceiling"] = metrics["rm/heldout_ceiling"];
      }
      save_reward_model(run_dir_, trainer_->reward(), config_.rm, info);
    }
    ++round_;
    return metrics;
  }

  AihfConfig config_;
  std::string where_;
  EnvFactory make_env_;
  PreferenceData prefs_;
  DemonstrationData demos_;
  std::unique_ptr<RewardTrainer> trainer_;
  std::string run_dir_;
  int64_t round_ = 0;
  json round_metrics_ = json::object();
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("aihf", Aihf);

}  // namespace tandem::algorithms
