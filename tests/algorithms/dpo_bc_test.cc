// DPO's optional BC term (bc_coef): 0 gives DPO's loss exactly; bc_coef > 0 adds bc_coef times
// the chosen segments' mean negative log-likelihood per step, computed here from the policy's
// per-step log-probs over the segments' steps (the prefix masked out), and its gradient moves
// the parameters.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "agents/policy_factory.h"
#include "algorithms/dpo.h"
#include "envs/registry.h"

namespace tandem::algorithms {
namespace {

EnvFactory hopper() {
  return [] { return envs::make_env("Hopper-v5"); };
}

struct Fixture {
  agents::Policy policy, reference;
  std::vector<PreferencePair> pairs;
  std::vector<const PreferencePair*> batch;
};

Fixture make_fixture() {
  Fixture s;
  torch::manual_seed(11);
  s.policy = agents::make_policy(*hopper()(), {{"hidden", {8}}}, "test");
  s.reference = agents::frozen_copy(*s.policy);
  PreferenceConfig config;
  config.pairs = 5;
  config.segment_length = 6;
  config.pair_start = "common";
  config.seed = 2;
  s.pairs = make_segment_pairs({{"start", s.policy.get()}}, hopper(), config, false);
  for (const PreferencePair& p : s.pairs) s.batch.push_back(&p);
  // the learner moves away from its reference, so the loss is not log 2
  torch::NoGradGuard no_grad;
  for (torch::Tensor& w : s.policy->actor_parameters()) w.add_(0.1 * torch::randn_like(w));
  return s;
}

struct Sums {
  torch::Tensor chosen, rejected;  // [P] masked sums of log π
  double chosen_nll = 0;           // − Σ mask log π / Σ mask over the chosen sides
};

Sums sums(agents::PolicyImpl& policy, const std::vector<const PreferencePair*>& batch) {
  torch::NoGradGuard no_grad;
  std::vector<const Episode*> c, r;
  for (const PreferencePair* p : batch) {
    c.push_back(&p->chosen);
    r.push_back(&p->rejected);
  }
  agents::TrajectoryBatch cb = episodes_batch(c, &policy), rb = episodes_batch(r, &policy);
  const torch::Tensor lc = policy.evaluate(cb).log_prob, lr = policy.evaluate(rb).log_prob;
  Sums s{(lc * cb.mask).sum(1), (lr * rb.mask).sum(1)};
  // step by step, over the segments' steps only
  double total = 0, steps = 0;
  for (size_t i = 0; i < batch.size(); ++i)
    for (int64_t t = batch[i]->chosen.segment_begin; t < batch[i]->chosen.actions.size(0); ++t) {
      total -= lc[i][t].item<double>();
      steps += 1;
    }
  s.chosen_nll = total / steps;
  return s;
}

// d loss / d actor parameters, flattened.
torch::Tensor gradient(const agents::Policy& policy, const torch::Tensor& loss) {
  for (torch::Tensor& w : policy->actor_parameters()) w.mutable_grad() = torch::Tensor();
  loss.backward();
  std::vector<torch::Tensor> g;
  for (const torch::Tensor& w : policy->actor_parameters()) g.push_back(w.grad().flatten());
  return torch::cat(g);
}

TEST(DpoBc, ZeroCoefIsDposLossAndAPositiveOneAddsTheChosenNll) {
  Fixture s = make_fixture();
  const Sums now = sums(*s.policy, s.batch), ref = sums(*s.reference, s.batch);
  const double beta = 0.1;
  // DPO by hand: mean − log σ(β (Δ_chosen − Δ_rejected))
  double dpo = 0;
  for (size_t i = 0; i < s.batch.size(); ++i) {
    const double z =
        beta *
        ((now.chosen[i] - ref.chosen[i]) - (now.rejected[i] - ref.rejected[i])).item<double>();
    dpo += std::log1p(std::exp(-z)) / s.batch.size();
  }
  ASSERT_GT(std::abs(dpo - std::log(2.0)), 1e-4) << "the learner differs from its reference";

  DpoSettings settings;
  settings.beta = beta;
  DpoTrainer plain(s.policy, settings);
  plain.set_reference(s.reference);
  DpoLoss parts;
  torch::Tensor bc_nll;
  const torch::Tensor l0 =
      plain.minibatch_loss(s.batch, ref.chosen, ref.rejected, {}, {}, &parts, &bc_nll);
  EXPECT_NEAR(l0.item<double>(), dpo, 1e-5);
  EXPECT_TRUE(torch::equal(l0, parts.loss)) << "bc_coef 0: dpo_loss itself";
  EXPECT_FALSE(bc_nll.defined());
  const torch::Tensor g0 = gradient(s.policy, l0);

  settings.bc_coef = 0.5;
  DpoTrainer with_bc(s.policy, settings);
  with_bc.set_reference(s.reference);
  const torch::Tensor l1 =
      with_bc.minibatch_loss(s.batch, ref.chosen, ref.rejected, {}, {}, &parts, &bc_nll);
  EXPECT_NEAR(parts.loss.item<double>(), dpo, 1e-5) << "the DPO part is unchanged";
  EXPECT_NEAR(bc_nll.item<double>(), now.chosen_nll, 1e-5);
  EXPECT_NEAR(l1.item<double>(), dpo + 0.5 * now.chosen_nll, 1e-5);

  // the BC term carries a gradient: it differs from DPO's alone
  const torch::Tensor g1 = gradient(s.policy, l1);
  EXPECT_GT((g1 - g0).norm().item<double>(), 1e-6);
}

}  // namespace
}  // namespace tandem::algorithms
