// PPO's loss on a hand example, clip ε = 0.2:
//   step  ρ    Â    −Âρ    −Â·clip(ρ)   max
//   0     1.1  +1   −1.1   −1.1         −1.1   (inside the clip range)
//   1     1.5  +2   −3.0   −2.4         −2.4   (clipped from above)
//   2     0.5  −1   +0.5   +0.8         +0.8   (clipped from below)
//   L_pg = (−1.1 − 2.4 + 0.8) / 3 = −0.9
// Values V = (1, 2, 0), V_old = (0.9, 1, 0.5), R = (1.5, 1.5, 1):
//   unclipped errors 0.25, 0.25, 1; clipped V = 1.0, 1.2, 0.3 → 0.25, 0.09, 0.49
//   L_vf = ½ mean(max) = ½ · (0.25 + 0.25 + 1) / 3 = 0.25
// Entropy 1 with c_ent = 0.01, c_vf = 0.5: L = −0.9 + 0.125 − 0.01 = −0.785.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "algorithms/ppo.h"

namespace tandem::algorithms {
namespace {

struct Example {
  torch::Tensor log_prob, old_log_prob, adv, values, old_values, returns, entropy, mask;
};

Example hand_example() {
  Example e;
  e.old_log_prob = torch::tensor({-1.0f, -2.0f, -0.5f});
  e.log_prob = e.old_log_prob + torch::log(torch::tensor({1.1f, 1.5f, 0.5f}));
  e.adv = torch::tensor({1.0f, 2.0f, -1.0f});
  e.values = torch::tensor({1.0f, 2.0f, 0.0f});
  e.old_values = torch::tensor({0.9f, 1.0f, 0.5f});
  e.returns = torch::tensor({1.5f, 1.5f, 1.0f});
  e.entropy = torch::ones({3});
  e.mask = torch::ones({3});
  return e;
}

TEST(PpoLoss, MatchesHandComputedValues) {
  Example e = hand_example();
  PpoConfig c;
  c.entropy_coef = 0.01;
  PpoLoss l = ppo_loss(e.log_prob, e.old_log_prob, e.adv, e.values, e.old_values, e.returns,
                       e.entropy, e.mask, c);
  EXPECT_NEAR(l.policy.item<double>(), -0.9, 1e-6);
  EXPECT_NEAR(l.value.item<double>(), 0.25, 1e-6);
  EXPECT_NEAR(l.entropy.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), -0.785, 1e-6);
  const double kl = ((0.1 - std::log(1.1)) + (0.5 - std::log(1.5)) + (-0.5 - std::log(0.5))) / 3;
  EXPECT_NEAR(l.approx_kl.item<double>(), kl, 1e-6);
  EXPECT_NEAR(l.clip_fraction.item<double>(), 2.0 / 3.0, 1e-6);
}

TEST(PpoLoss, ClippedStepsGiveNoPolicyGradient) {
  Example e = hand_example();
  torch::Tensor lp = e.log_prob.clone().requires_grad_(true);
  PpoConfig c;
  PpoLoss l =
      ppo_loss(lp, e.old_log_prob, e.adv, e.values, e.old_values, e.returns, e.entropy, e.mask, c);
  l.policy.backward();
  torch::Tensor g = lp.grad();
  // d/dlogπ of −Âρ/3 = −Âρ/3 for the unclipped step; 0 where the clip is active
  EXPECT_NEAR(g[0].item<double>(), -1.1 / 3, 1e-6);
  EXPECT_EQ(g[1].item<double>(), 0.0);
  EXPECT_EQ(g[2].item<double>(), 0.0);
}

TEST(PpoLoss, MaskedStepsDoNotCount) {
  Example e = hand_example();
  PpoConfig c;
  torch::Tensor mask = torch::tensor({1.0f, 0.0f, 0.0f});
  PpoLoss l = ppo_loss(e.log_prob, e.old_log_prob, e.adv, e.values, e.old_values, e.returns,
                       e.entropy, mask, c);
  EXPECT_NEAR(l.policy.item<double>(), -1.1, 1e-6);
  EXPECT_NEAR(l.value.item<double>(), 0.5 * 0.25, 1e-6);
}

TEST(PpoLoss, UnclippedValueLossIsHalfSquaredError) {
  Example e = hand_example();
  PpoConfig c;
  c.base.clip_value_loss = false;
  PpoLoss l = ppo_loss(e.log_prob, e.old_log_prob, e.adv, e.values, e.old_values, e.returns,
                       e.entropy, e.mask, c);
  EXPECT_NEAR(l.value.item<double>(), 0.5 * (0.25 + 0.25 + 1.0) / 3, 1e-6);
}

}  // namespace
}  // namespace tandem::algorithms

namespace tandem::algorithms {
namespace {

// Explained variance counts the valid steps only. Valid: R = (1, 2, 3), V = (1, 1, 1):
//   R − V = (0, 1, 2), Var = 1; Var(R) = 1 → 1 − 1/1 = 0.
// Two padded steps (R = V = 0) would pull both variances toward the padding's zeros.
TEST(ExplainedVariance, CountsOnlyValidSteps) {
  torch::Tensor returns = torch::tensor({{1.0f, 2.0f, 3.0f, 0.0f, 0.0f}});
  torch::Tensor values = torch::tensor({{1.0f, 1.0f, 1.0f, 0.0f, 0.0f}});
  torch::Tensor mask = torch::tensor({{1.0f, 1.0f, 1.0f, 0.0f, 0.0f}});
  EXPECT_NEAR(explained_variance(values, returns, mask), 0.0, 1e-6);
  // V = R on the valid steps: 1
  EXPECT_NEAR(explained_variance(returns, returns, mask), 1.0, 1e-6);
  // without padding the same numbers
  EXPECT_NEAR(
      explained_variance(values.slice(1, 0, 3), returns.slice(1, 0, 3), mask.slice(1, 0, 3)), 0.0,
      1e-6);
}

}  // namespace
}  // namespace tandem::algorithms
