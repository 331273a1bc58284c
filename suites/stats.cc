#include "suites/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "envs/error.h"

namespace tandem::suites {
namespace {

// An unbiased draw from [0, n): std::uniform_int_distribution differs between standard
// libraries, and intervals must be the same everywhere for the same seed.
uint64_t draw_index(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the biased low values to reject
  while (true) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

void check_scores(const TaskScores& scores, const char* what) {
  TANDEM_CHECK(!scores.empty(), std::string(what) + " needs at least one task");
  for (const auto& task : scores)
    TANDEM_CHECK(!task.empty(), std::string(what) + " needs at least one run per task");
}

void resample(const TaskScores& scores, std::mt19937_64& rng, TaskScores& out) {
  out.resize(scores.size());
  for (size_t t = 0; t < scores.size(); ++t) {
    const auto& runs = scores[t];
    out[t].resize(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) out[t][i] = runs[draw_index(rng, runs.size())];
  }
}

Interval percentile_interval(double estimate, std::vector<double> distribution, double confidence) {
  const double tail = (1.0 - confidence) / 2.0;
  Interval interval;
  interval.estimate = estimate;
  std::sort(distribution.begin(), distribution.end());
  interval.low = quantile(distribution, tail);
  interval.high = quantile(std::move(distribution), 1.0 - tail);
  return interval;
}

void check_options(const BootstrapOptions& options) {
  TANDEM_CHECK(options.resamples >= 1, "the bootstrap needs at least one resample");
  TANDEM_CHECK(options.confidence > 0 && options.confidence < 1,
               "the confidence level must lie in (0, 1)");
}

}  // namespace

double mean(const std::vector<double>& x) {
  TANDEM_CHECK(!x.empty(), "the mean of no values");
  double sum = 0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

double quantile(std::vector<double> x, double q) {
  TANDEM_CHECK(!x.empty(), "a quantile of no values");
  TANDEM_CHECK(q >= 0 && q <= 1, "quantile level outside [0, 1]");
  std::sort(x.begin(), x.end());
  const double position = q * static_cast<double>(x.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, x.size() - 1);
  const double frac = position - static_cast<double>(below);
  return x[below] + frac * (x[above] - x[below]);
}

double interquartile_mean(std::vector<double> x) {
  TANDEM_CHECK(!x.empty(), "the IQM of no values");
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  const double lo = n / 4.0, hi = n - n / 4.0;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    // the share of [i, i+1] (observation i+1 in 1-based counting) inside the middle half
    const double weight = std::max(
        0.0, std::min(static_cast<double>(i + 1), hi) - std::max(static_cast<double>(i), lo));
    sum += weight * x[i];
  }
  return sum / (n / 2.0);
}

double trim_mean(std::vector<double> x, double proportion) {
  TANDEM_CHECK(!x.empty(), "the trimmed mean of no values");
  TANDEM_CHECK(proportion >= 0 && proportion < 0.5, "trim proportion outside [0, 0.5)");
  std::sort(x.begin(), x.end());
  const size_t cut = static_cast<size_t>(proportion * static_cast<double>(x.size()));
  double sum = 0;
  for (size_t i = cut; i < x.size() - cut; ++i) sum += x[i];
  return sum / static_cast<double>(x.size() - 2 * cut);
}

double probability_of_improvement(const std::vector<double>& x, const std::vector<double>& y) {
  TANDEM_CHECK(!x.empty() && !y.empty(), "P(X > Y) needs runs of both algorithms");
  double wins = 0;
  for (double a : x)
    for (double b : y) wins += a > b ? 1.0 : (a == b ? 0.5 : 0.0);
  return wins / (static_cast<double>(x.size()) * static_cast<double>(y.size()));
}

double aggregate_mean(const TaskScores& scores) {
  check_scores(scores, "aggregate_mean");
  double sum = 0;
  for (const auto& task : scores) sum += mean(task);
  return sum / static_cast<double>(scores.size());
}

double aggregate_iqm(const TaskScores& scores) {
  check_scores(scores, "aggregate_iqm");
  std::vector<double> pooled;
  for (const auto& task : scores) pooled.insert(pooled.end(), task.begin(), task.end());
  return interquartile_mean(std::move(pooled));
}

double aggregate_probability_of_improvement(const TaskScores& x, const TaskScores& y) {
  check_scores(x, "probability of improvement");
  check_scores(y, "probability of improvement");
  TANDEM_CHECK(x.size() == y.size(), "P(X > Y) compares the same tasks");
  double sum = 0;
  for (size_t t = 0; t < x.size(); ++t) sum += probability_of_improvement(x[t], y[t]);
  return sum / static_cast<double>(x.size());
}

Interval stratified_bootstrap(const TaskScores& scores, const Statistic& statistic,
                              const BootstrapOptions& options) {
  check_scores(scores, "the stratified bootstrap");
  check_options(options);
  std::mt19937_64 rng(options.seed);
  std::vector<double> distribution(static_cast<size_t>(options.resamples));
  TaskScores sample;
  for (double& d : distribution) {
    resample(scores, rng, sample);
    d = statistic(sample);
  }
  return percentile_interval(statistic(scores), std::move(distribution), options.confidence);
}

Interval stratified_bootstrap_pair(const TaskScores& x, const TaskScores& y,
                                   const PairStatistic& statistic,
                                   const BootstrapOptions& options) {
  check_scores(x, "the stratified bootstrap");
  check_scores(y, "the stratified bootstrap");
  check_options(options);
  std::mt19937_64 rng(options.seed);
  std::vector<double> distribution(static_cast<size_t>(options.resamples));
  TaskScores sample_x, sample_y;
  for (double& d : distribution) {
    resample(x, rng, sample_x);
    resample(y, rng, sample_y);
    d = statistic(sample_x, sample_y);
  }
  return percentile_interval(statistic(x, y), std::move(distribution), options.confidence);
}

Interval mean_ci(const std::vector<double>& x, const BootstrapOptions& options) {
  return aggregate_mean_ci(TaskScores{x}, options);
}

Interval iqm_ci(const std::vector<double>& x, const BootstrapOptions& options) {
  return aggregate_iqm_ci(TaskScores{x}, options);
}

Interval aggregate_mean_ci(const TaskScores& scores, const BootstrapOptions& options) {
  return stratified_bootstrap(scores, aggregate_mean, options);
}

Interval aggregate_iqm_ci(const TaskScores& scores, const BootstrapOptions& options) {
  return stratified_bootstrap(scores, aggregate_iqm, options);
}

Interval probability_of_improvement_ci(const TaskScores& x, const TaskScores& y,
                                       const BootstrapOptions& options) {
  return stratified_bootstrap_pair(x, y, aggregate_probability_of_improvement, options);
}

StartNormalization normalize_against_starts(const std::vector<std::vector<StartAndFinal>>& labels,
                                            bool higher_is_better) {
  auto better = [&](double a, double b) { return higher_is_better ? a > b : a < b; };
  StartNormalization n;
  n.mean_start.assign(labels.size(), std::numeric_limits<double>::quiet_NaN());
  bool any = false;
  for (size_t l = 0; l < labels.size(); ++l) {
    if (labels[l].empty()) continue;
    double start = 0, final_score = 0;
    for (const auto& run : labels[l]) {
      start += run.start;
      final_score += run.final_score;
    }
    start /= static_cast<double>(labels[l].size());
    final_score /= static_cast<double>(labels[l].size());
    n.mean_start[l] = start;
    if (!any || better(final_score, n.reference)) {
      n.reference = final_score;
      n.reference_label = l;
    }
    if (!any || better(n.lowest_start, start)) {
      n.lowest_start = start;
      n.lowest_start_label = l;
    }
    any = true;
  }
  TANDEM_CHECK(any, "normalization against starts needs at least one run");
  n.scalable = better(n.reference, n.lowest_start);
  if (!n.scalable) return n;
  n.scores.resize(labels.size());
  for (size_t l = 0; l < labels.size(); ++l)
    for (const auto& run : labels[l])
      n.scores[l].push_back((run.final_score - run.start) / (n.reference - n.lowest_start));
  return n;
}

double final_score(const std::vector<double>& evaluations, size_t last) {
  TANDEM_CHECK(!evaluations.empty() && last > 0, "a final score needs an evaluation");
  const size_t n = std::min(last, evaluations.size());
  double sum = 0;
  for (size_t i = evaluations.size() - n; i < evaluations.size(); ++i) sum += evaluations[i];
  return sum / static_cast<double>(n);
}

std::optional<std::vector<double>> normalize_to_references(const std::vector<double>& scores,
                                                           double start, double oracle,
                                                           bool higher_is_better) {
  if (higher_is_better ? !(oracle > start) : !(oracle < start)) return std::nullopt;
  std::vector<double> out;
  out.reserve(scores.size());
  for (double s : scores) out.push_back((s - start) / (oracle - start));
  return out;
}

Interval difference_of_means_ci(const TaskScores& a, const TaskScores& b,
                                const BootstrapOptions& options) {
  TANDEM_CHECK(a.size() == b.size(), "a difference of means over the same tasks");
  return stratified_bootstrap_pair(
      a, b,
      [](const TaskScores& x, const TaskScores& y) {
        return aggregate_mean(x) - aggregate_mean(y);
      },
      options);
}

Verdict verdict(const Interval& difference) {
  if (difference.low > 0) return Verdict::kHolds;
  if (difference.high < 0) return Verdict::kRefuted;
  return Verdict::kInconclusive;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kHolds:
      return "holds";
    case Verdict::kRefuted:
      return "refuted";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "?";
}

}  // namespace tandem::suites
