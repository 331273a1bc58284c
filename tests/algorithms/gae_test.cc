// GAE on a known sequence with a termination and a truncation. Values computed by hand
// (γ = 0.9, λ = 0.8, γλ = 0.72):
//   δ0 = 1 + 0.9·1.0 − 0.5 = 1.4     δ1 = 2 + 0 − 1.0 = 1.0 (terminated: no bootstrap)
//   δ2 = 3 + 0.9·2.0 − 1.5 = 3.3     δ3 = 4 + 0.9·2.5 − 2.0 = 4.25 (truncated: V(final) = 2.5)
//   Â3 = 4.25, Â2 = 3.3 + 0.72·4.25 = 6.36, Â1 = 1.0 (episode ends), Â0 = 1.4 + 0.72·1.0 = 2.12
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "algorithms/gae.h"

namespace tandem::algorithms {
namespace {

agents::TrajectoryBatch known_batch() {
  agents::TrajectoryBatch b;
  b.rewards = torch::tensor({{1.f, 2.f, 3.f, 4.f}, {1.f, 1.f, 0.f, 0.f}});
  b.values = torch::tensor({{0.5f, 1.0f, 1.5f, 2.0f}, {0.f, 0.f, 0.f, 0.f}});
  b.next_values = torch::tensor({{1.0f, 0.0f, 2.0f, 2.5f}, {0.f, 0.f, 0.f, 0.f}});
  b.episode_end = torch::tensor({{false, true, false, true}, {false, true, false, false}});
  b.mask = torch::tensor({{1.f, 1.f, 1.f, 1.f}, {1.f, 1.f, 0.f, 0.f}});  // row 2 padded
  return b;
}

TEST(Gae, MatchesHandComputedValues) {
  agents::TrajectoryBatch b = known_batch();
  compute_gae(b, 0.9, 0.8);
  torch::Tensor expected_adv = torch::tensor({{2.12f, 1.0f, 6.36f, 4.25f}, {1.72f, 1.0f, 0.f, 0.f}});
  torch::Tensor expected_ret = torch::tensor({{2.62f, 2.0f, 7.86f, 6.25f}, {1.72f, 1.0f, 0.f, 0.f}});
  EXPECT_TRUE(torch::allclose(b.advantages, expected_adv, 1e-5, 1e-6)) << b.advantages;
  EXPECT_TRUE(torch::allclose(b.returns, expected_ret, 1e-5, 1e-6)) << b.returns;
}

TEST(Gae, LambdaOneGivesDiscountedReturnMinusValue) {
  agents::TrajectoryBatch b;
  b.rewards = torch::tensor({{1.f, 1.f, 1.f}});
  b.values = torch::tensor({{0.3f, 0.2f, 0.1f}});
  b.next_values = torch::tensor({{0.2f, 0.1f, 0.0f}});
  b.episode_end = torch::tensor({{false, false, true}});
  b.mask = torch::ones({1, 3});
  compute_gae(b, 0.5, 1.0);
  // returns are the plain discounted sums 1.75, 1.5, 1
  EXPECT_TRUE(torch::allclose(b.returns, torch::tensor({{1.75f, 1.5f, 1.0f}}), 1e-6, 1e-6));
}

TEST(Gae, WhitenUsesOnlyValidSteps) {
  torch::Tensor x = torch::tensor({{1.f, 2.f, 3.f, 100.f}});
  torch::Tensor mask = torch::tensor({{1.f, 1.f, 1.f, 0.f}});
  torch::Tensor w = whiten(x, mask);
  // mean 2, sample std 1 over the three valid steps; the padded step is 0
  EXPECT_TRUE(torch::allclose(w, torch::tensor({{-1.f, 0.f, 1.f, 0.f}}), 1e-5, 1e-5)) << w;
  EXPECT_NEAR(masked_mean(x, mask).item<double>(), 2.0, 1e-6);
}

}  // namespace
}  // namespace tandem::algorithms
