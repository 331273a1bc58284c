// The running observation statistics: folding batches in, and merging what data-parallel ranks
// each folded into a common start (RunningNormalizer::merge_updates).
#include "agents/running_normalizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace tandem::agents {
namespace {

TEST(RunningNormalizer, MatchesTheMeanAndVarianceOfEverythingSeen) {
  torch::manual_seed(3);
  RunningNormalizer n(3, 10.0);
  const torch::Tensor a = torch::randn({50, 3}, torch::kFloat64) * 2 + 1;
  const torch::Tensor b = torch::randn({7, 3}, torch::kFloat64) - 4;
  n->update(a);
  n->update(b);
  const torch::Tensor all = torch::cat({a, b});
  // the prior count of 1e-4 at mean 0, variance 1 shifts the figures by ~1e-5 at most
  EXPECT_TRUE(torch::allclose(n->mean(), all.mean(0), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(n->var(), all.var(0, /*unbiased=*/false), 1e-4, 1e-4));
  EXPECT_NEAR(n->count(), 57.0001, 1e-9);
}

TEST(RunningNormalizer, MergingTheRanksUpdatesEqualsOneNormalizerThatSawThemAll) {
  torch::manual_seed(4);
  const torch::Tensor history = torch::randn({40, 2}, torch::kFloat64) * 3;
  const torch::Tensor rank0 = torch::randn({16, 2}, torch::kFloat64) + 2;
  const torch::Tensor rank1 = torch::randn({16, 2}, torch::kFloat64) * 0.5 - 1;
  RunningNormalizer common(2, 10.0), on0(2, 10.0), on1(2, 10.0), reference(2, 10.0);
  for (auto* n : {&common, &on0, &on1, &reference}) (*n)->update(history);
  const torch::Tensor base = common->state();
  // each rank folds its own batch row by row, as a rollout of one env does
  for (int64_t i = 0; i < 16; ++i) {
    on0->update(rank0.slice(0, i, i + 1));
    on1->update(rank1.slice(0, i, i + 1));
  }
  reference->update(rank0);
  reference->update(rank1);
  common->merge_updates(base, torch::stack({on0->state(), on1->state()}));
  EXPECT_NEAR(common->count(), reference->count(), 1e-9);
  EXPECT_TRUE(torch::allclose(common->mean(), reference->mean(), 1e-10, 1e-10))
      << common->mean() << reference->mean();
  EXPECT_TRUE(torch::allclose(common->var(), reference->var(), 1e-9, 1e-9))
      << common->var() << reference->var();
  // a rank that saw nothing adds nothing
  RunningNormalizer idle(2, 10.0);
  idle->update(history);
  idle->merge_updates(base, torch::stack({base, on0->state()}));
  EXPECT_NEAR(idle->count(), on0->count(), 1e-9);
  EXPECT_TRUE(torch::allclose(idle->mean(), on0->mean(), 1e-10, 1e-10));
}

}  // namespace
}  // namespace tandem::agents
