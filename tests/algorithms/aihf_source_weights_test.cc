// AIHF weighs its two sources as the paper's objective does (Li et al. 2024):
//   w_D · E_D[ℓ] + w_P · E_P[ℓ]   — a mean per source, then weighted,
// not one weighted mean Σ w ℓ / Σ w over the union, which gives the demonstrations the share
// |D| / (|D| + |P|) of the loss whatever w_D and w_P are.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <numeric>

#include "agents/policy_factory.h"
#include "algorithms/demonstration_pairs.h"
#include "algorithms/feedback.h"
#include "algorithms/preference_losses.h"
#include "algorithms/reward_model.h"
#include "envs/registry.h"

namespace tandem::algorithms {
namespace {

// 8 preference pairs, then 2 demonstration pairs; per-pair losses −log σ(margin):
//   preference margins 0      → ℓ = log 2 each,     mean_P = log 2
//   demonstration margins ±1  → ℓ = log(1 + e^∓1),  mean_D = (log(1 + e^−1) + log(1 + e)) / 2
constexpr int64_t kPreferencePairs = 8, kDemonstrationPairs = 2;
const double kMeanP = std::log(2.0);
const double kMeanD = (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(1.0))) / 2;

torch::Tensor margins() {
  return torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, -1.0f});
}

torch::Tensor demonstration_mask() {
  return torch::arange(kPreferencePairs + kDemonstrationPairs) >= kPreferencePairs;
}

// the loss as aihf's reward update computes it for these pairs
torch::Tensor aihf_bt_loss(const torch::Tensor& chosen, const torch::Tensor& rejected, double w_d,
                           double w_p) {
  return bradley_terry_loss(chosen, rejected, demonstration_mask(), {w_d, w_p});
}

// the loss as aihf_dpo computes it for these pairs (log-likelihoods, reference at 0)
torch::Tensor aihf_dpo_loss(const torch::Tensor& chosen, const torch::Tensor& rejected, double beta,
                            double w_d, double w_p) {
  torch::Tensor ref = torch::zeros_like(chosen);
  return dpo_loss(chosen, rejected, ref, ref, beta, demonstration_mask(), {w_d, w_p}).loss;
}

TEST(AihfSourceWeights, BradleyTerryIsAMeanPerSourceThenWeighted) {
  torch::Tensor rejected = torch::zeros({kPreferencePairs + kDemonstrationPairs});
  for (const auto& [w_d, w_p] : {std::pair{1.0, 1.0}, std::pair{2.0, 1.0}, std::pair{0.5, 3.0}}) {
    // w_D = w_P = 1: 0.81326 + 0.69315 = 1.50641 (the pooled mean gives 0.71717)
    const double expected = w_d * kMeanD + w_p * kMeanP;
    EXPECT_NEAR(aihf_bt_loss(margins(), rejected, w_d, w_p).item<double>(), expected, 1e-6)
        << "w_D = " << w_d << ", w_P = " << w_p;
  }
}

TEST(AihfSourceWeights, DpoIsAMeanPerSourceThenWeighted) {
  // β = 0.5 on log-likelihood margins 2·margins(): the same per-pair losses as above
  torch::Tensor rejected = torch::zeros({kPreferencePairs + kDemonstrationPairs});
  for (const auto& [w_d, w_p] : {std::pair{1.0, 1.0}, std::pair{2.0, 1.0}, std::pair{0.5, 3.0}}) {
    const double expected = w_d * kMeanD + w_p * kMeanP;
    EXPECT_NEAR(aihf_dpo_loss(2 * margins(), rejected, 0.5, w_d, w_p).item<double>(), expected,
                1e-6)
        << "w_D = " << w_d << ", w_P = " << w_p;
  }
}

TEST(AihfSourceWeights, PerPairGradientIsItsSourcesWeightOverItsSourcesCount) {
  // d/dx_i of w_D mean_D x + w_P mean_P x: w_P / 8 on a preference pair, w_D / 2 on a
  // demonstration pair (pooled, both would be w / (8 w_P + 2 w_D))
  torch::Tensor x = torch::rand({kPreferencePairs + kDemonstrationPairs}).requires_grad_(true);
  source_mean(x, demonstration_mask(), {3.0, 0.5}).backward();
  EXPECT_NEAR(x.grad()[0].item<double>(), 0.5 / 8, 1e-7);
  EXPECT_NEAR(x.grad()[9].item<double>(), 3.0 / 2, 1e-7);
}

TEST(AihfSourceWeights, AnAbsentSourceAddsNothingAndOneSourceIsThePlainMean) {
  torch::Tensor x = torch::tensor({0.3f, 1.7f, 0.9f});
  // only preference pairs / only demonstration pairs in the minibatch: mean 2.9 / 3
  EXPECT_NEAR(source_mean(x, torch::zeros({3}, torch::kBool), {5.0, 2.0}).item<double>(),
              2.0 * 2.9 / 3, 1e-6);
  EXPECT_NEAR(source_mean(x, torch::ones({3}, torch::kBool), {5.0, 2.0}).item<double>(),
              5.0 * 2.9 / 3, 1e-6);
  // no demonstration mask, weight 1: DPO's and the reward model's mean, bit for bit
  EXPECT_TRUE(torch::equal(source_mean(x, {}, {}), x.mean()));
  EXPECT_TRUE(torch::equal(source_mean(x, torch::zeros({3}, torch::kBool), {0.0, 1.0}), x.mean()));
  EXPECT_TRUE(torch::equal(bradley_terry_loss(x, torch::zeros({3})), torch::softplus(-x).mean()));
}

Episode random_episode(int64_t steps) {
  Episode e;
  e.env_obs = torch::randn({steps, 4});
  e.actions = torch::randn({steps, 1});
  return e;
}

// The reward model's step (aihf's reward update) reports the loss it descended:
// w_D · mean over the demonstration pairs of the minibatch + w_P · mean over its preference pairs,
// checked against the scores of the model before the step.
TEST(AihfSourceWeights, RewardTrainerStepIsAMeanPerSourceThenWeighted) {
  torch::manual_seed(3);
  std::vector<PreferencePair> pairs(kPreferencePairs + kDemonstrationPairs);
  std::vector<const PreferencePair*> pointers;
  for (auto& p : pairs) {
    p.chosen = random_episode(5);
    p.rejected = random_episode(4);
    pointers.push_back(&p);
  }
  auto env = envs::make_env("InvertedPendulum-v5");
  agents::Policy policy = agents::make_policy(env->spec(), json::object(), "test");
  RewardTrainer trainer(make_reward_model(*policy, env->spec(), {}), {});
  // the per-pair losses before the step
  agents::TrajectoryReward reward = trainer.reward();  // the same module
  std::vector<double> loss;
  for (const auto& p : pairs) {
    torch::NoGradGuard no_grad;
    auto score = [&](const Episode& e) {
      agents::TrajectoryBatch b = episodes_batch({&e}, nullptr);
      return b.masked_sum(reward->step_rewards(b)).item<double>();
    };
    loss.push_back(std::log1p(std::exp(-(score(p.chosen) - score(p.rejected)))));
  }
  double mean_p = 0, mean_d = 0;
  for (int64_t i = 0; i < kPreferencePairs; ++i) mean_p += loss[i] / kPreferencePairs;
  for (int64_t i = kPreferencePairs; i < kPreferencePairs + kDemonstrationPairs; ++i)
    mean_d += loss[i] / kDemonstrationPairs;

  std::vector<int64_t> rows(kPreferencePairs + kDemonstrationPairs);
  std::iota(rows.begin(), rows.end(), 0);
  const RewardTrainer::Step step = trainer.step(pointers, rows, demonstration_mask(), {2.0, 1.0});
  EXPECT_NEAR(step.loss, 2.0 * mean_d + 1.0 * mean_p, 1e-5);
}

// How minibatches mix the sources decides their weights (the loss is a mean per source over each
// minibatch): every minibatch holds both, in proportion, at least one of each.
TEST(AihfSourceWeights, EveryMinibatchHoldsBothSources) {
  torch::manual_seed(0);
  // 500 preference pairs, 10 demonstration pairs (rows 500..509), minibatches of 32, 3 epochs
  SourceBatches batches(500, 10, 32, 3 * 510, 510);
  std::vector<int64_t> demo_seen(10, 0), pref_seen(500, 0);
  int64_t minibatches = 0, reports = 0;
  for (std::vector<int64_t> rows; batches.next(&rows);) {
    ++minibatches;
    const torch::Tensor demo = batches.demonstration_mask(rows);
    int64_t demos = 0;
    for (size_t k = 0; k < rows.size(); ++k) {
      EXPECT_EQ(demo[k].item<bool>(), rows[k] >= 500);
      if (rows[k] >= 500) {
        ++demos;
        ++demo_seen[rows[k] - 500];
      } else {
        ++pref_seen[rows[k]];
      }
    }
    EXPECT_GE(demos, 1) << "minibatch " << minibatches;
    EXPECT_LT(demos, static_cast<int64_t>(rows.size()));
    if (batches.report_due()) ++reports;
  }
  EXPECT_EQ(batches.processed(), 3 * 510);
  EXPECT_DOUBLE_EQ(batches.epoch(), 3.0);
  EXPECT_EQ(reports, 3);
  // 47 minibatches of 31 + 1 rows, then the last 26 rows as 25 + 1: each demonstration pair is
  // visited 4–5 times, each preference pair 2–3 times (the sources' shares of the rows, b_D ≥ 1)
  EXPECT_EQ(minibatches, 48);
  for (int64_t n : demo_seen) EXPECT_TRUE(n == 4 || n == 5) << n;
  for (int64_t n : pref_seen) EXPECT_TRUE(n >= 2 && n <= 3) << n;
}

TEST(AihfSourceWeights, ProportionalSharesAndTurnsOfOne) {
  torch::manual_seed(0);
  // 300 and 100 rows, minibatches of 8: 2 demonstration rows each (8 · 100 / 400)
  SourceBatches shares(300, 100, 8, 40, 40);
  for (std::vector<int64_t> rows; shares.next(&rows);)
    EXPECT_EQ(shares.demonstration_mask(rows).sum().item<int64_t>(), 2);
  // minibatches of one: the sources take turns
  SourceBatches turns(5, 3, 1, 6, 6);
  std::vector<bool> demo;
  for (std::vector<int64_t> rows; turns.next(&rows);) demo.push_back(rows.at(0) >= 5);
  EXPECT_EQ(demo, (std::vector<bool>{false, true, false, true, false, true}));
}

// With one source (w_D = 0 makes no demonstration pairs) the minibatches are ItemBatches' own:
// dpo and the reward model see the same rows in the same order.
TEST(AihfSourceWeights, OneSourceIsItemBatchesExactly) {
  for (const auto& [prefs, demos] : {std::pair{37, 0}, std::pair{0, 37}}) {
    torch::manual_seed(5);
    ItemBatches plain(37, 8, 100, 30);
    std::vector<std::vector<int64_t>> expected;
    std::vector<bool> expected_reports;
    for (std::vector<int64_t> rows; plain.next(&rows);) {
      expected.push_back(rows);
      expected_reports.push_back(plain.report_due());
    }
    torch::manual_seed(5);
    SourceBatches mixed(prefs, demos, 8, 100, 30);
    std::vector<std::vector<int64_t>> got;
    std::vector<bool> got_reports;
    for (std::vector<int64_t> rows; mixed.next(&rows);) {
      got.push_back(rows);
      got_reports.push_back(mixed.report_due());
      EXPECT_EQ(mixed.demonstration_mask(rows).defined(), demos > 0);
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got_reports, expected_reports);
  }
}

}  // namespace
}  // namespace tandem::algorithms
