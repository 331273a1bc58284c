// APA's loss: zero at its target, a hand-computed value, a gradient toward the target; and APA
// learns InvertedPendulum-v5.
#include "algorithms/apa.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "algorithms/algorithm.h"

namespace tandem::algorithms {
namespace {

TEST(ApaLoss, ZeroWhenLogRatioEqualsScaledAdvantage) {
  torch::Tensor init = torch::tensor({-1.0f, -2.0f, -0.5f});
  torch::Tensor adv = torch::tensor({0.3f, -0.1f, 0.05f});
  torch::Tensor mask = torch::ones({3});
  EXPECT_NEAR(apa_loss(init + 10 * adv, init, adv, mask, 10, 0).item<double>(), 0.0, 1e-10);
}

TEST(ApaLoss, MatchesHandComputedValue) {
  // residuals log π − log π_init − 10·Â: (−0.8 + 1) − 1 = −0.8, (−2 + 2) + 1 = 1,
  // (0 + 0.5) − 0.5 = 0 (masked out below: only the first two count) → (0.64 + 1) / 2 = 0.82
  torch::Tensor log_prob = torch::tensor({-0.8f, -2.0f, 0.0f});
  torch::Tensor init = torch::tensor({-1.0f, -2.0f, -0.5f});
  torch::Tensor adv = torch::tensor({0.1f, -0.1f, 0.05f});
  torch::Tensor mask = torch::tensor({1.0f, 1.0f, 0.0f});
  EXPECT_NEAR(apa_loss(log_prob, init, adv, mask, 10, 0).item<double>(), 0.82, 1e-6);
  // with the target clipped to ±0.5: residuals (0.2 − 0.5) = −0.3, (0 + 0.5) = 0.5 → 0.17
  EXPECT_NEAR(apa_loss(log_prob, init, adv, mask, 10, 0.5).item<double>(), 0.17, 1e-6);
}

TEST(ApaLoss, GradientMovesLogProbTowardTheTarget) {
  torch::Tensor init = torch::tensor({-1.0f, -1.0f});
  torch::Tensor adv = torch::tensor({1.0f, -1.0f});
  torch::Tensor lp = init.clone().requires_grad_(true);
  apa_loss(lp, init, adv, torch::ones({2}), 0.5, 0).backward();
  // target is init ± 0.5: descending the loss raises the first log-prob and lowers the second
  EXPECT_LT(lp.grad()[0].item<double>(), 0.0);
  EXPECT_GT(lp.grad()[1].item<double>(), 0.0);
}

// Three seeds and their median: floating-point results differ between CPUs (OpenBLAS and ATen
// pick kernels by CPU), and a single seed that stalls on one machine (measured elsewhere: seed 1
// at 212) must not fail the test. Measured here, seeds 1-6: start 22.7-26.4, end 1000 for five
// seeds and 109.6 for one; so the median of three clears 100 (4x the start) unless two of three
// seeds fail to learn at all.
TEST(ApaLearning, InvertedPendulumReturnRises) {
  std::vector<double> starts, ends;
  for (uint64_t seed : {1, 2, 3}) {
    RunOptions o;
    o.env_id = "InvertedPendulum-v5";
    o.seed = seed;
    o.total_steps = 32768;
    o.eval_interval = 1 << 30;
    o.progress = false;
    RunContext ctx(o);
    // from a random start the anchor π_init limits how far one regression can move the policy:
    // 1/λ = 1 stalls near 100 in this budget, 3 and the default 10 reach 1000
    auto apa = make_algorithm("apa", {{"adv_coeff", 3.0}}, "test");
    apa->train(ctx);
    ends.push_back(ctx.last_evaluation()->return_mean);
  }
  std::vector<double> sorted = ends;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(sorted[1], 100.0) << "final returns of seeds 1-3: " << ends[0] << ", " << ends[1]
                              << ", " << ends[2];
}

TEST(ApaConfigTest, KlPenaltyIsRefused) {
  EXPECT_THROW(make_algorithm("apa", {{"kl_coef", 0.1}}, "test"), Error);
}

}  // namespace
}  // namespace tandem::algorithms
