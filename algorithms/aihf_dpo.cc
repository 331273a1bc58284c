// AIHF-DPO — Alignment with Integrated Human Feedback in its offline form (Li et al. 2024,
// arXiv 2406.06874), with the implicit reward r = β h, h = log π_θ − log π_ref:
//
//   L = − w_P E_P log σ(β [h(y_w) − h(y_l)]) − w_D E_{D, y'~π_sample} log σ(β [h(y^E) − h(y')])
//
// a mean per source, then weighted: per minibatch w_D · mean over its demonstration pairs +
// w_P · mean over its preference pairs, every minibatch holding both (dpo.h, SourceBatches).
// Each demonstration y^E is paired with an episode y' sampled from the same start (prompt or
// seed); identical pairs are skipped.
//   rounds = 1, self_play = false: y' ~ π_ref, the frozen starting policy.
//   self_play = true (SPIN-like): at every round y' is sampled again from the current π_k and
//     π_ref ← π_k, so round k anchors to where round k − 1 ended (decision: the reference of
//     round k is π_k, for the loss and the logged KL alike; round 0 uses the start policy).
// w_D = 0 drops the demonstration pairs and, with w_P = 1 (the default), is exactly `dpo` (same
// data order, same numbers: tested; another w_P scales dpo's loss). w_P = 0 learns from
// demonstrations alone; it has no held-out pairs then (the demonstration pairs are all trained
// on), so it logs no "dpo/heldout_*" metric, only the "dpo/train_*" ones. Budget: --steps counts
// pairs processed, split evenly over the rounds. bc_coef (dpo.h) adds a BC term on every chosen
// side, the demonstrations included (then an SFT term on them).
#include <torch/torch.h>

#include "algorithms/checkpoint.h"
#include "algorithms/demonstration_pairs.h"
#include "algorithms/dpo.h"
#include "algorithms/evaluation.h"
#include "algorithms/offline_checkpoint.h"

namespace tandem::algorithms {
namespace {

struct AihfDpoConfig {
  PreferenceFeedbackConfig feedback;
  DemonstrationConfig demos;
  DpoSettings dpo;
  OfflineSchedule schedule;
  double w_d = 1.0;
  double w_p = 1.0;
  int64_t rounds = 1;
  bool self_play = false;

  template <class V>
  void visit(V& v) {
    feedback.visit(v);
    demos.visit(v);
    dpo.visit(v);
    schedule.visit(v);
    v.field("w_d", w_d, 0.0, 1e6, "weight of the demonstration pairs (y^E ≻ y')");
    v.field("w_p", w_p, 0.0, 1e6, "weight of the preference pairs (y_w ≻ y_l)");
    v.field("rounds", rounds, int64_t{1}, int64_t{1000}, "outer rounds (new y' each round)");
    v.field("self_play", self_play, "y' from the current policy and π_ref ← π_k each round");
  }
};

class AihfDpo : public Algorithm {
 public:
  AihfDpo(const json& config, const std::string& where)
      : config_(config_from_json<AihfDpoConfig>(config, where)) {
    if (config_.w_d == 0 && config_.w_p == 0)
      throw Error(where + ": w_d and w_p are both 0: nothing to learn from");
    if (config_.w_p == 0 && config_.schedule.patience > 0)
      throw Error(where + ": field 'patience' needs held-out preference pairs, and w_p = 0 " +
                  "uses none: set patience to 0 (train for the whole budget)");
  }

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    agents::Policy reference = agents::frozen_copy(*policy_);
    ctx.set_reference(reference);
    auto make_env = [&ctx] { return ctx.make_env(); };
    const auto& o = ctx.options();
    // w = 0 drops a source entirely (its data is not even made)
    PreferenceData prefs;
    if (config_.w_p > 0)
      prefs = preference_data(o.env_id, o.env_options, o.policy, *policy_, make_env,
                              config_.feedback, o.progress);
    DemonstrationData demos;
    if (config_.w_d > 0)
      demos = demonstration_data(o.env_id, o.env_options, o.policy, *policy_, make_env,
                                 config_.demos, o.progress);

    DpoTrainer trainer(policy_, config_.dpo);
    trainer.set_reference(reference);
    json metrics = {{"aihf/preference_pairs", static_cast<int64_t>(prefs.train.size())},
                    {"aihf/demonstrations", static_cast<int64_t>(demos.episodes.size())}};
    OfflineCheckpoints checkpoints(ctx, "aihf_dpo", *policy_, &trainer.optimizer(),
                                   config_.schedule);
    // torch's RNG as the current round began: its y' were sampled from there, so a resumed run
    // samples them again, identically (they are not in the checkpoint); and self-play's π_ref
    torch::Tensor round_rng;
    checkpoints.set_extra(
        [&](torch::serialize::OutputArchive& a) {
          a.write("round_rng", round_rng);
          torch::serialize::OutputArchive ref;
          reference->save(ref);
          a.write("reference", ref);
        },
        [&](torch::serialize::InputArchive& a) {
          a.read("round_rng", round_rng);
          torch::serialize::InputArchive ref;
          a.read("reference", ref);
          std::shared_ptr<agents::PolicyImpl> loaded = reference->clone_policy();
          loaded->load(ref);
          agents::copy_policy_state(*loaded, *reference);
        });
    const std::optional<json> resumed = checkpoints.resume();
    int64_t first_round = 0, done = 0;
    if (resumed) {
      first_round = resumed->at("round").get<int64_t>();
      done = resumed->at("done").get<int64_t>();
    } else {
      // held-out preference pairs measure the implicit reward (w_P = 0 has none: no such metric)
      trainer.heldout_metrics(prefs.heldout, &metrics);
      if (metrics.contains("dpo/heldout_loss"))
        checkpoints.should_stop(-metrics["dpo/heldout_loss"].get<double>(), &metrics);
      ctx.report(0, metrics, *policy_);
    }

    at::Generator rng = torch::globalContext().defaultGenerator(torch::kCPU);
    for (int64_t round = first_round; round < config_.rounds && !checkpoints.stopped(); ++round) {
      const bool resumed_round = resumed && round == first_round;
      if (config_.self_play && round > 0 && !resumed_round) {
        reference = agents::frozen_copy(*policy_);  // π_ref ← π_k
        trainer.set_reference(reference);
        ctx.set_reference(reference);
      }
      torch::Tensor rng_now;
      if (resumed_round) {
        rng_now = rng.get_state();
        rng.set_state(round_rng);
      } else {
        round_rng = rng.get_state();
      }
      std::vector<PreferencePair> demo_pairs;
      // y' ~ π_ref: the start policy, or (self-play) π_k, of which π_ref is a copy
      if (config_.w_d > 0) demo_pairs = demonstration_pairs(*reference, make_env, demos.episodes);
      if (resumed_round) rng.set_state(rng_now);
      std::vector<const PreferencePair*> pref_pairs, demo_pair_ptrs;
      for (const PreferencePair& p : prefs.train) pref_pairs.push_back(&p);
      for (const PreferencePair& p : demo_pairs) demo_pair_ptrs.push_back(&p);
      TANDEM_CHECK(!pref_pairs.empty() || !demo_pair_ptrs.empty(),
                   "aihf_dpo: no pairs (every demonstration equals its y')");
      metrics["aihf/round"] = round;
      metrics["aihf/demonstration_pairs"] = static_cast<int64_t>(demo_pairs.size());
      const int64_t budget = (o.total_steps - done) / (config_.rounds - round);
      // held out: only the preference pairs never trained on
      done = trainer.train(ctx, pref_pairs, demo_pair_ptrs, {config_.w_d, config_.w_p},
                           prefs.heldout, budget, done, &metrics,
                           {&checkpoints, {{"round", round}}, resumed_round ? &*resumed : nullptr});
    }
  }

 private:
  AihfDpoConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("aihf_dpo", AihfDpo);

}  // namespace tandem::algorithms
