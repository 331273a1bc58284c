// Statistics for comparing algorithms over few seeds, after rliable (Agarwal et al. 2021,
// "Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS):
// interquartile mean, stratified bootstrap confidence intervals, probability of improvement and
// per-task normalization. Plain C++ over std::vector, no torch: reports must not need a model.
//
// Scores come as TaskScores: one vector of per-run scores (one per seed) per task. Tasks may hold
// different numbers of runs (a failed or unfinished seed is simply missing), but none is empty.
//
// What is implemented, exactly:
//   - interquartile_mean(x): the mean of the middle 50% of the empirical distribution. With x
//     sorted and g = n/4, observation i (1-based) has weight |[i-1, i] ∩ [g, n-g]|, the weights
//     sum to n/2. For n divisible by 4 this is scipy.stats.trim_mean(x, 0.25), which rliable's
//     aggregate_iqm calls; otherwise scipy drops floor(n/4) whole observations from each end
//     (so for n = 3 it is the plain mean), while this weights the boundary observations by
//     their fractional share (n = 3: weights 1/4, 1, 1/4). trim_mean() below is scipy's exactly.
//   - aggregate_mean: the mean over tasks of the per-task mean (rliable's aggregate_mean).
//   - aggregate_iqm: the IQM of all runs of all tasks pooled (rliable's aggregate_iqm), so a
//     task with more finished seeds weighs more.
//   - probability_of_improvement(x, y) for one task: P(X > Y) + ½ P(X = Y) over all pairs of a
//     run of x and a run of y (the Mann–Whitney U statistic over n_x·n_y); over tasks, the mean
//     of the per-task values (rliable's probability_of_improvement).
//   - stratified_bootstrap: each resample draws, independently within each task, as many runs
//     as the task has, with replacement; the statistic is computed on every resample and the
//     interval is the percentile interval (the (1-c)/2 and (1+c)/2 quantiles of the resampled
//     statistics, numpy's default linear interpolation). For two algorithms, the runs of each
//     are resampled independently (rliable's StratifiedIndependentBootstrap). The random
//     stream is std::mt19937_64 seeded from options.seed with an unbiased bounded draw, so the
//     same scores and seed give the same interval on every platform.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace tandem::suites {

using TaskScores = std::vector<std::vector<double>>;  // [task][run]

struct Interval {
  double estimate = 0;  // the statistic on the scores themselves
  double low = 0;       // percentile interval of the bootstrap distribution
  double high = 0;
};

struct BootstrapOptions {
  int64_t resamples = 50000;
  double confidence = 0.95;
  uint64_t seed = 0;
};

double mean(const std::vector<double>& x);
// The q-quantile (q in [0, 1]) with linear interpolation between order statistics, as numpy's
// default: position q·(n-1) of the sorted values.
double quantile(std::vector<double> x, double q);
// Mean of the middle 50%, boundary observations weighted by their fractional share (see above).
double interquartile_mean(std::vector<double> x);
// scipy.stats.trim_mean: drops floor(proportion·n) observations from each end, averages the rest.
double trim_mean(std::vector<double> x, double proportion);

// P(X > Y) + ½ P(X = Y) for one task, over every pair of a run of x and a run of y.
double probability_of_improvement(const std::vector<double>& x, const std::vector<double>& y);

double aggregate_mean(const TaskScores& scores);
double aggregate_iqm(const TaskScores& scores);
// Mean over tasks of the per-task probability of improvement; x and y list the same tasks.
double aggregate_probability_of_improvement(const TaskScores& x, const TaskScores& y);

using Statistic = std::function<double(const TaskScores&)>;
using PairStatistic = std::function<double(const TaskScores&, const TaskScores&)>;

Interval stratified_bootstrap(const TaskScores& scores, const Statistic& statistic,
                              const BootstrapOptions& options = {});
// Resamples the runs of x and of y independently within each task.
Interval stratified_bootstrap_pair(const TaskScores& x, const TaskScores& y,
                                   const PairStatistic& statistic,
                                   const BootstrapOptions& options = {});

// Convenience for one task (one sample of seeds).
Interval mean_ci(const std::vector<double>& x, const BootstrapOptions& options = {});
Interval iqm_ci(const std::vector<double>& x, const BootstrapOptions& options = {});
Interval aggregate_mean_ci(const TaskScores& scores, const BootstrapOptions& options = {});
Interval aggregate_iqm_ci(const TaskScores& scores, const BootstrapOptions& options = {});
Interval probability_of_improvement_ci(const TaskScores& x, const TaskScores& y,
                                       const BootstrapOptions& options = {});

// One run of a task: its score at the evaluation at env step 0 (where it started) and its final.
struct StartAndFinal {
  double start = 0;
  double final_score = 0;
};

// A task's runs, grouped by label, normalized each against its own start on one scale per task:
//   (final − the run's start) / (reference − lowest start)
// reference: the best final mean of any label (the mean over its runs); lowest start: the worst
// mean start of any label. 0 is "no change from where the run started" and below 0 "worse than
// where it started", whatever the start (labels of a task may start from different policies:
// fresh networks, an expert's snapshot); 1 is a gain as large as the span from the lowest start
// to the reference. The scale is the task's, not the run's: (reference − the run's start) would
// blow up for a run starting just short of the reference and flip the sign of one starting
// beyond it (an expert's snapshot that no label's final mean reaches). With higher_is_better
// false, "best" and "worst" are the lowest and the highest.
struct StartNormalization {
  bool scalable = false;  // the reference is better than the lowest start: there is a scale
  double reference = 0, lowest_start = 0;
  size_t reference_label = 0, lowest_start_label = 0;  // indices into the labels given
  std::vector<double> mean_start;                      // per label; NaN for a label without runs
  TaskScores scores;  // per label, per run, in the order given; empty unless scalable
};
// Labels without runs are allowed (their scores stay empty); at least one label has a run.
StartNormalization normalize_against_starts(const std::vector<std::vector<StartAndFinal>>& labels,
                                            bool higher_is_better);

// ---- the protocol's numbers (docs/protocol.md §1, §5, §6) ----

// A run's final score: the mean of its last `last` evaluations (all of them when it has fewer;
// one evaluation is noisy). `evaluations` in the order logged; at least one.
double final_score(const std::vector<double>& evaluations, size_t last = 3);

// Normalized against a task's references: (score − start) / (oracle − start), start and oracle
// the means of the references' final scores. 0 is the start policy, 1 the oracle (PPO on the
// gold signal from the same start, same budget and anchor). With higher_is_better false the
// same formula holds (the oracle is then below the start). Unscalable (the oracle no better
// than the start): nothing.
std::optional<std::vector<double>> normalize_to_references(const std::vector<double>& scores,
                                                           double start, double oracle,
                                                           bool higher_is_better);

// The difference of means mean(a) − mean(b) over the tasks given (the mean over tasks of the
// per-task differences), with a stratified bootstrap CI resampling the runs of a and of b
// independently within each task. a and b list the same tasks.
Interval difference_of_means_ci(const TaskScores& a, const TaskScores& b,
                                const BootstrapOptions& options = {});

// A claim "A beats B" against the CI of the difference A − B of normalized scores (in the
// direction where higher is better): holds when the interval excludes 0 above, refuted when it
// excludes 0 below, inconclusive otherwise (an interval touching 0 excludes nothing).
enum class Verdict { kHolds, kRefuted, kInconclusive };
Verdict verdict(const Interval& difference);
const char* verdict_name(Verdict v);  // "holds", "refuted", "inconclusive"

// The fewest seeds behind a number a user reads without a written warning.
constexpr size_t kMinimumSeeds = 5;

}  // namespace tandem::suites
