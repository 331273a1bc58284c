// Every statistic against values computed by hand (the arithmetic is in the comments).
#include "suites/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "envs/error.h"

namespace tandem::suites {
namespace {

TEST(Stats, MeanAndQuantileByHand) {
  EXPECT_DOUBLE_EQ(mean({1, 2, 3, 6}), 3.0);
  // numpy's linear rule: position q·(n-1) in the sorted values
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);    // between 2 and 3
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.25), 1.75);  // 1 + 0.75·(2 - 1)
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({10, 20}, 0.975), 19.75);  // 10 + 0.975·10
  EXPECT_DOUBLE_EQ(quantile({7}, 0.3), 7.0);
}

TEST(Stats, InterquartileMeanByHand) {
  // n divisible by 4: the mean of the middle n/2 values (= scipy's trim_mean(x, 0.25))
  EXPECT_DOUBLE_EQ(interquartile_mean({4, 1, 3, 2}), 2.5);                 // (2 + 3) / 2
  EXPECT_DOUBLE_EQ(interquartile_mean({1, 2, 3, 4, 5, 6, 7, 8}), 4.5);     // (3+4+5+6) / 4
  EXPECT_DOUBLE_EQ(interquartile_mean({1, 2, 3, 4, 5, 6, 7, 1000}), 4.5);  // outlier ignored
  EXPECT_DOUBLE_EQ(trim_mean({1, 2, 3, 4, 5, 6, 7, 1000}, 0.25), 4.5);
  // n = 5: g = 1.25 cut from each end, weights 0, 0.75, 1, 0.75, 0 over a total of 2.5:
  // (0.75·2 + 4 + 0.75·8) / 2.5 = 11.5 / 2.5
  EXPECT_NEAR(interquartile_mean({16, 1, 8, 2, 4}), 4.6, 1e-12);
  // scipy drops one whole value from each end instead: (2 + 4 + 8) / 3
  EXPECT_NEAR(trim_mean({16, 1, 8, 2, 4}, 0.25), 14.0 / 3.0, 1e-12);
  // n = 3: weights 1/4, 1, 1/4 over 1.5: (0 + 3 + 0.25·9) / 1.5 = 5.25 / 1.5
  EXPECT_NEAR(interquartile_mean({9, 0, 3}), 3.5, 1e-12);
  EXPECT_NEAR(trim_mean({9, 0, 3}, 0.25), 4.0, 1e-12);  // floor(0.75) = 0: the plain mean
  // n = 2: half of each value counts: (2 + 10) / 2; n = 1: the value itself
  EXPECT_DOUBLE_EQ(interquartile_mean({10, 2}), 6.0);
  EXPECT_DOUBLE_EQ(interquartile_mean({7}), 7.0);
  // n = 6: g = 1.5, weights 0, 0.5, 1, 1, 0.5, 0 over 3: (0.5·1 + 2 + 3 + 0.5·4) / 3 = 7.5 / 3
  EXPECT_NEAR(interquartile_mean({0, 1, 2, 3, 4, 100}), 2.5, 1e-12);
}

TEST(Stats, ProbabilityOfImprovementByHand) {
  EXPECT_DOUBLE_EQ(probability_of_improvement({3, 4}, {1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(probability_of_improvement({1, 2}, {3, 4}), 0.0);
  EXPECT_DOUBLE_EQ(probability_of_improvement({1}, {1}), 0.5);  // a tie counts one half
  // pairs of {1,2,3} × {2,2}: 1 loses twice, 2 ties twice (0.5 + 0.5), 3 wins twice: 3 / 6
  EXPECT_DOUBLE_EQ(probability_of_improvement({1, 2, 3}, {2, 2}), 0.5);
  // {2,3,5} × {1,3,4}: 2 beats 1 (1); 3 beats 1, ties 3 (1.5); 5 beats all (3): 5.5 / 9
  EXPECT_DOUBLE_EQ(probability_of_improvement({2, 3, 5}, {1, 3, 4}), 5.5 / 9.0);
  EXPECT_DOUBLE_EQ(probability_of_improvement({2, 3, 5}, {1, 3, 4}) +
                       probability_of_improvement({1, 3, 4}, {2, 3, 5}),
                   1.0);
  // over tasks: the mean of the per-task values, (1 + 0) / 2
  EXPECT_DOUBLE_EQ(aggregate_probability_of_improvement({{3, 4}, {0}}, {{1, 2}, {1}}), 0.5);
}

TEST(Stats, AggregatesByHand) {
  // mean of task means: (mean(1, 3) + 10) / 2 = (2 + 10) / 2
  EXPECT_DOUBLE_EQ(aggregate_mean({{1, 3}, {10}}), 6.0);
  // IQM of the pooled runs {1, 3, 10}: (0.25·1 + 3 + 0.25·10) / 1.5
  EXPECT_NEAR(aggregate_iqm({{1, 3}, {10}}), 5.75 / 1.5, 1e-12);
}

// Fresh networks (ppo: 110 → 330, 130 → 350) beside an expert's snapshot (dpo: 412.0 → 409.9,
// 413.2 → 411.1): reference dpo's final mean 410.5, lowest start ppo's mean 120, scale 290.5.
TEST(Stats, NormalizationAgainstEachRunsOwnStartByHand) {
  const StartNormalization n = normalize_against_starts(
      {{{110, 330}, {130, 350}}, {}, {{412.0, 409.9}, {413.2, 411.1}}}, true);
  ASSERT_TRUE(n.scalable);
  EXPECT_NEAR(n.reference, 410.5, 1e-12);
  EXPECT_EQ(n.reference_label, 2u);
  EXPECT_DOUBLE_EQ(n.lowest_start, 120);
  EXPECT_EQ(n.lowest_start_label, 0u);
  EXPECT_NEAR(n.mean_start[2], 412.6, 1e-12);
  EXPECT_TRUE(std::isnan(n.mean_start[1]));
  ASSERT_EQ(n.scores.size(), 3u);
  ASSERT_EQ(n.scores[0].size(), 2u);
  EXPECT_TRUE(n.scores[1].empty());
  for (double s : n.scores[0]) EXPECT_NEAR(s, 220 / 290.5, 1e-12);   // improved: above 0
  for (double s : n.scores[2]) EXPECT_NEAR(s, -2.1 / 290.5, 1e-12);  // got worse: below 0
  // lower is better: the reference is the lowest final mean, the lowest start the highest start
  const StartNormalization low = normalize_against_starts({{{10, 4}}, {{8, 9}}}, false);
  ASSERT_TRUE(low.scalable);
  EXPECT_DOUBLE_EQ(low.reference, 4);
  EXPECT_DOUBLE_EQ(low.lowest_start, 10);
  EXPECT_DOUBLE_EQ(low.scores[0][0], 1.0);       // (4 − 10) / (4 − 10)
  EXPECT_DOUBLE_EQ(low.scores[1][0], -1 / 6.0);  // (9 − 8) / (4 − 10): got worse
  // every label starts at or beyond the best final mean: nothing to scale, no scores
  const StartNormalization none = normalize_against_starts({{{413, 410}}, {{412, 412}}}, true);
  EXPECT_FALSE(none.scalable);
  EXPECT_TRUE(none.scores.empty());
}

TEST(Stats, BootstrapOfAConstantIsThatConstant) {
  for (const Interval& ci : {mean_ci({5, 5, 5}), iqm_ci({5, 5, 5, 5, 5}), mean_ci({-2.5})}) {
    EXPECT_DOUBLE_EQ(ci.low, ci.estimate);
    EXPECT_DOUBLE_EQ(ci.high, ci.estimate);
  }
  EXPECT_DOUBLE_EQ(mean_ci({5, 5, 5}).estimate, 5.0);
}

TEST(Stats, BootstrapOfTwoValuesByHand) {
  // resampling {0, 1} twice gives a mean of 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4:
  // the 2.5% and 97.5% quantiles are 0 and 1, the 30% and 70% quantiles both 0.5
  BootstrapOptions options;
  options.resamples = 20000;
  Interval ci = mean_ci({0, 1}, options);
  EXPECT_DOUBLE_EQ(ci.estimate, 0.5);
  EXPECT_DOUBLE_EQ(ci.low, 0.0);
  EXPECT_DOUBLE_EQ(ci.high, 1.0);
  options.confidence = 0.4;
  ci = mean_ci({0, 1}, options);
  EXPECT_DOUBLE_EQ(ci.low, 0.5);
  EXPECT_DOUBLE_EQ(ci.high, 0.5);
}

TEST(Stats, BootstrapIsStratifiedByTask) {
  // every task is constant, so resampling within tasks never changes the mean of task means;
  // pooling the runs across tasks would
  Interval ci = aggregate_mean_ci({{0, 0, 0}, {1, 1, 1}});
  EXPECT_DOUBLE_EQ(ci.estimate, 0.5);
  EXPECT_DOUBLE_EQ(ci.low, 0.5);
  EXPECT_DOUBLE_EQ(ci.high, 0.5);
}

TEST(Stats, ConfidenceIntervalShrinksWithMoreSeeds) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(10.0, 2.0);
  std::vector<double> many(64);
  for (double& x : many) x = normal(rng);
  std::vector<double> few(many.begin(), many.begin() + 4);
  BootstrapOptions options;
  options.resamples = 5000;
  for (const auto& ci_of : {mean_ci, iqm_ci}) {
    Interval small = ci_of(few, options), large = ci_of(many, options);
    EXPECT_LE(small.low, small.estimate);
    EXPECT_GE(small.high, small.estimate);
    EXPECT_LE(large.low, large.estimate);
    EXPECT_GE(large.high, large.estimate);
    // the width goes as 1/sqrt(n): 16 times the seeds, about a quarter of the width
    EXPECT_LT(large.high - large.low, 0.6 * (small.high - small.low));
  }
  // and the 64-seed interval covers the true mean
  Interval ci = mean_ci(many, options);
  EXPECT_LT(ci.low, 10.0);
  EXPECT_GT(ci.high, 10.0);
}

TEST(Stats, BootstrapIsDeterministicFromItsSeed) {
  // many distinct resample means, so two streams almost surely give different quantiles
  std::vector<double> x;
  for (int i = 1; i <= 20; ++i) x.push_back(std::sqrt(static_cast<double>(i)));
  BootstrapOptions a;
  a.resamples = 3000;
  a.seed = 3;
  BootstrapOptions b = a;
  b.seed = 4;
  EXPECT_EQ(mean_ci(x, a).low, mean_ci(x, a).low);
  EXPECT_EQ(mean_ci(x, a).high, mean_ci(x, a).high);
  Interval ca = mean_ci(x, a), cb = mean_ci(x, b);
  EXPECT_TRUE(ca.low != cb.low || ca.high != cb.high) << "another seed, another stream";
}

TEST(Stats, ProbabilityOfImprovementInterval) {
  // x beats y in every pair of every resample
  Interval sure = probability_of_improvement_ci({{5, 6}, {9}}, {{1, 2}, {3, 4}});
  EXPECT_DOUBLE_EQ(sure.estimate, 1.0);
  EXPECT_DOUBLE_EQ(sure.low, 1.0);
  EXPECT_DOUBLE_EQ(sure.high, 1.0);
  // the same runs on both sides: 1/2 by symmetry, the interval around it
  BootstrapOptions options;
  options.resamples = 5000;
  Interval same = probability_of_improvement_ci({{1, 2, 3}}, {{1, 2, 3}}, options);
  EXPECT_DOUBLE_EQ(same.estimate, 0.5);
  EXPECT_LT(same.low, 0.5);
  EXPECT_GT(same.high, 0.5);
  EXPECT_NEAR(same.low + same.high, 1.0, 0.1);
}

TEST(Stats, FinalScoreIsTheMeanOfTheLastThreeEvaluations) {
  EXPECT_DOUBLE_EQ(final_score({1, 2, 10, 20, 30}), 20.0);  // (10 + 20 + 30) / 3
  EXPECT_DOUBLE_EQ(final_score({4, 8}), 6.0);               // fewer than 3: all of them
  EXPECT_DOUBLE_EQ(final_score({5}), 5.0);
  EXPECT_DOUBLE_EQ(final_score({1, 2, 3, 4}, 1), 4.0);
  EXPECT_THROW(final_score({}), Error);
}

TEST(Stats, NormalizationPutsTheStartAtZeroAndTheOracleAtOne) {
  // start 100, oracle 300: 100 → 0, 300 → 1, 400 → 1.5, 50 → −0.25
  const auto n = normalize_to_references({100, 300, 400, 50}, 100, 300, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, (std::vector<double>{0, 1, 1.5, -0.25}));
  // lower is better (a loss): start 2, oracle 1; 1.5 is half way
  EXPECT_EQ(*normalize_to_references({1.5, 0.5}, 2, 1, false), (std::vector<double>{0.5, 1.5}));
  // an oracle no better than the start gives no scale
  EXPECT_FALSE(normalize_to_references({1}, 100, 100, true));
  EXPECT_FALSE(normalize_to_references({1}, 100, 90, true));
}

TEST(Stats, VerdictOnHandMadeDifferences) {
  // a beats b on every seed by 1 ± 0.1: every resample's difference is 1 ± small
  const TaskScores a = {{1.0, 1.1, 0.9, 1.05, 0.95}}, b = {{0.0, 0.1, -0.1, 0.05, -0.05}};
  const Interval d = difference_of_means_ci(a, b, {2000, 0.95, 1});
  EXPECT_DOUBLE_EQ(d.estimate, 1.0);
  EXPECT_GT(d.low, 0.8);
  EXPECT_EQ(verdict(d), Verdict::kHolds);
  EXPECT_EQ(verdict(difference_of_means_ci(b, a, {2000, 0.95, 1})), Verdict::kRefuted);
  // overlapping samples with the same mean: the interval straddles 0
  const TaskScores c = {{-1, 1, -2, 2, 0}}, e = {{1, -1, 2, -2, 0}};
  const Interval z = difference_of_means_ci(c, e, {2000, 0.95, 1});
  EXPECT_LT(z.low, 0);
  EXPECT_GT(z.high, 0);
  EXPECT_EQ(verdict(z), Verdict::kInconclusive);
  // the rule itself, at its edges: an interval touching 0 excludes nothing
  EXPECT_EQ(verdict({0.5, 0.0, 1.0}), Verdict::kInconclusive);
  EXPECT_EQ(verdict({-0.5, -1.0, 0.0}), Verdict::kInconclusive);
  EXPECT_EQ(verdict({0.5, 1e-9, 1.0}), Verdict::kHolds);
  EXPECT_STREQ(verdict_name(Verdict::kRefuted), "refuted");
  // over two tasks: the mean of the per-task differences (2 and 0: 1)
  EXPECT_DOUBLE_EQ(
      difference_of_means_ci({{3, 3}, {1, 1}}, {{1, 1}, {1, 1}}, {100, 0.95, 1}).estimate, 1.0);
}

}  // namespace
}  // namespace tandem::suites
