#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "algorithms/preference_losses.h"

namespace tandem::algorithms {
namespace {

TEST(DpoLoss, IsLog2WhenThePolicyIsTheReference) {
  torch::Tensor c = torch::tensor({-3.0f, -7.0f}), r = torch::tensor({-4.0f, -1.0f});
  DpoLoss l = dpo_loss(c, r, c, r, 0.1);
  EXPECT_NEAR(l.loss.item<double>(), std::log(2.0), 1e-6);
  EXPECT_EQ(l.margin.abs().sum().item<double>(), 0.0);
}

TEST(DpoLoss, MatchesHandComputedValue) {
  // h(y_w) = −2 − (−3) = 1, h(y_l) = −4 − (−3.5) = −0.5; β = 0.5 → z = 0.75
  // loss = −log σ(0.75) = log(1 + e^−0.75)
  DpoLoss l = dpo_loss(torch::tensor({-2.0f}), torch::tensor({-4.0f}), torch::tensor({-3.0f}),
                       torch::tensor({-3.5f}), 0.5);
  EXPECT_NEAR(l.loss.item<double>(), std::log1p(std::exp(-0.75)), 1e-6);
  EXPECT_NEAR(l.chosen_reward.item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(l.rejected_reward.item<double>(), -0.25, 1e-6);
  EXPECT_EQ(l.accuracy.item<double>(), 1.0);
}

TEST(DpoLoss, GradientRaisesChosenAndLowersRejected) {
  torch::Tensor pc = torch::tensor({-3.0f}).requires_grad_(true);
  torch::Tensor pr = torch::tensor({-3.0f}).requires_grad_(true);
  dpo_loss(pc, pr, torch::tensor({-3.0f}), torch::tensor({-3.0f}), 0.1).loss.backward();
  // descent direction is −grad: up for the chosen, down for the rejected; at θ = ref the
  // magnitude is β σ(0) = 0.05
  EXPECT_NEAR(pc.grad().item<double>(), -0.05, 1e-6);
  EXPECT_NEAR(pr.grad().item<double>(), 0.05, 1e-6);
}

TEST(DpoLoss, ZeroWeightSourceLeavesTheOther) {
  // pair 0 a preference pair, pair 1 a demonstration pair of weight w_D = 0
  torch::Tensor pc = torch::tensor({-1.0f, -1.0f}), pr = torch::tensor({-2.0f, 5.0f});
  torch::Tensor ref = torch::zeros({2});
  DpoLoss only_first =
      dpo_loss(pc, pr, ref, ref, 1.0, torch::tensor({false, true}), SourceWeights{0.0, 1.0});
  DpoLoss first = dpo_loss(pc.slice(0, 0, 1), pr.slice(0, 0, 1), ref.slice(0, 0, 1),
                           ref.slice(0, 0, 1), 1.0);
  EXPECT_NEAR(only_first.loss.item<double>(), first.loss.item<double>(), 1e-6);
}

TEST(BradleyTerry, HandValuesAndDirection) {
  EXPECT_NEAR(bradley_terry_loss(torch::tensor({1.0f}), torch::tensor({1.0f})).item<double>(),
              std::log(2.0), 1e-6);
  // r_w − r_l = 2 → log(1 + e^−2)
  EXPECT_NEAR(bradley_terry_loss(torch::tensor({1.5f}), torch::tensor({-0.5f})).item<double>(),
              std::log1p(std::exp(-2.0)), 1e-6);
  torch::Tensor w = torch::tensor({0.0f}).requires_grad_(true);
  bradley_terry_loss(w, torch::tensor({0.0f})).backward();
  EXPECT_LT(w.grad().item<double>(), 0.0) << "descent raises the chosen score";
}

TEST(SftLoss, IsMeanNegativeLogLikelihoodOfValidSteps) {
  torch::Tensor lp = torch::tensor({{-1.0f, -3.0f, -100.0f}});
  torch::Tensor mask = torch::tensor({{1.0f, 1.0f, 0.0f}});
  EXPECT_NEAR(sft_loss(lp, mask).item<double>(), 2.0, 1e-6);
}

}  // namespace
}  // namespace tandem::algorithms
