// The comparison report of a suite's results folder, built only from the run folders
// (<task>/<algorithm>/seed-<k>/ with config.json, metrics.jsonl and, once finished, done; text runs
// also samples.jsonl) and, when present, the suite.json the runner writes beside them
// (Suite::resolved, suite.h: roles, each task's protocol, claims): report.md, and report.html with
// the same content and its figures inlined (self-contained). A folder without suite.json, or one
// without "protocol" in it, is reported as an ordinary suite.
//
// The final score of a run, for a section metric (tables, aggregate, claims), is the mean of its
// last 3 evaluations, the metrics.jsonl lines that log it (stats.h final_score; one evaluation is
// noisy, docs/protocol.md §5). Wherever fewer than kMinimumSeeds (stats.h) finished seeds
// stand behind a number (a task's row, a cell, the aggregate, a claim) a sentence says so.
//
// A protocol suite (docs/protocol.md) has contenders and two references per task, "start"
// (π₀, not trained) and "oracle" (PPO on the gold signal from π₀). Its report adds:
//   - in the setup, per task and label: role, feedback, start, anchor (kl_coef, APA's adv_coeff,
//     DPO's beta), budget in env steps and gradient steps (the last charts/gradient_steps), and
//     the config fields that differ from the algorithm's defaults;
//   - after the setup, "Claims": each claim "A beats B" of suite.json, the difference A − B of
//     normalized final scores over its tasks with a bootstrap CI and its verdict in words (holds,
//     refuted, inconclusive; stats.h verdict) — in other suites, on the scores normalized against
//     each run's own start (below);
//   - tables that rank contenders only (best in bold among them) and list the references apart,
//     under a separator row, never bold;
//   - an aggregate of contenders only, normalized per task against the references: 0 = the start's
//     mean final score, 1 = the oracle's (stats.h normalize_to_references); a task whose oracle is
//     no better than its start is left out, in words.
//
// For each metric of ReportOptions::metrics placed as a section that some run logs (absent ones
// are skipped):
//   - a table tasks × algorithms of the final score: mean [95% CI] over seeds, the best mean of
//     each row in bold;
//   - per task, a table of algorithms: mean [95% CI], IQM, seeds finished;
//   - when the metric is aggregated: an aggregate over tasks of normalized scores. A protocol
//     suite's: against the references (above). Other suites': each run against its own start,
//     (final - start) / (reference - lowest start), where start is the run's own value at the
//     evaluation at env step 0 (every run logs it; labels may start from different policies,
//     fresh networks or an expert's snapshot), reference the best final mean of any label on the
//     task and lowest start the worst mean start of any label (normalize_against_starts,
//     stats.h). So 0 is "no change", below 0 "got worse" whatever the start, 1 "gained the span
//     from the lowest start to the suite's best final mean"; the report lists each task's
//     reference and lowest start and names the labels that start at or beyond the reference.
//     That aggregate ranks the suite's labels, it is not comparable across suites. Mean and IQM
//     with stratified bootstrap CIs, and the probability of improvement of each label over the
//     baseline label (default "ppo"; when no ranked label has that name, a sentence says there is
//     no such column) with its CI (stats.h);
//   - per task one figure, the metric against env steps and against wall-clock seconds: the mean
//     over seeds with a 95% bootstrap band per algorithm, drawn by gnuplot (pngcairo, else png)
//     in the Okabe–Ito colour-blind-safe palette. Seeds are put on a common x grid by linear
//     interpolation, up to the shortest seed's last point, so every point averages all seeds.
//     Offline learners (algorithms reward_model, dpo, sft, aihf_dpo) that log
//     charts/gradient_steps get a second figure, the metric against gradient steps.
// The first section reported also carries, per task, what is specific to the task's kind:
//   - any task whose runs log a KL to the reference: the reward-against-KL frontier (x: the k3
//     estimate eval/kl_ref_k3, the k1 one eval/kl_ref when no run logs k3; y: the first section's
//     metric, a text task's gold reward; one line per label through its evaluations, mean over
//     seeds at each env step);
//   - text tasks (env ids "text/..."): the metrics placed as kTextColumn (KL to the reference by
//     both estimators, distinct-2, entropy, completion length, proxy reward) as columns of the
//     task's table, final value averaged over seeds, with a row for the base model (the
//     evaluation at env step 0); and a few sample completions from samples.jsonl, the base
//     model's beside each algorithm's final one for the same prompts;
//   - any task some run of which logs them (DPO-type runs): a table of the kPreferenceColumn
//     metrics, the implicit rewards of chosen and rejected completions and their margin.
// Columns show a run's last logged value. Only finished runs enter tables and figures; unfinished
// ones are counted and listed.
//
// The code: report.cc (write_report) and its parts under report/, listed at the top of report.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "envs/config.h"

namespace tandem::suites {

// Where a metric shows in the report.
enum class MetricPlace {
  kSection,           // a section of its own: tables, curves, aggregate
  kTextColumn,        // a column of each text task's table in the first section
  kPreferenceColumn,  // a column of a task's implicit-reward table (DPO-type runs)
};

// A metric to report: data, so new tasks add metrics with a line, not with code.
struct MetricSpec {
  std::string key;    // the metrics.jsonl key, e.g. "eval/return_mean"
  std::string title;  // for headings and axis labels, e.g. "evaluation return"
  std::string unit;   // shown in axis labels when not empty
  bool higher_is_better = true;
  bool aggregate = true;  // normalized aggregate and probability of improvement
  bool curves = true;     // sample-efficiency figures
  MetricPlace place = MetricPlace::kSection;
  std::string column;  // a column's short header, e.g. "KL k1" (columns only)
  std::string note;    // a column's legend with its table: what to read in it (columns only)
  bool only_where_logged = false;  // a default section some tasks lack: no "skipped" line
};

// eval/return_mean first, the one section (the runner's progress lines show the first metric);
// then the columns: the text tasks' metrics and DPO's implicit rewards, which runs that do not
// log them simply lack.
std::vector<MetricSpec> default_report_metrics();
// A spec for a key given on the command line: the defaults' entry when listed there, as a section
// of its own (asked for by name).
MetricSpec metric_spec_for(const std::string& key);

struct ReportOptions {
  std::vector<MetricSpec> metrics = default_report_metrics();
  std::string baseline = "ppo";    // P(X > baseline) for every other algorithm label
  int64_t resamples = 50000;       // bootstrap resamples of the tables
  int64_t curve_resamples = 2000;  // per point of the curves' bands
  double confidence = 0.95;
  uint64_t seed = 0;  // the bootstrap's random stream
  bool figures = true;
  std::string gnuplot = "gnuplot";  // program name or path
};

struct RunRecord {
  std::string task, algorithm;  // folder names: the suite's labels
  uint64_t seed = 0;
  std::string dir;
  bool finished = false;      // `done` exists and the files hold what it says (not damaged)
  std::string damaged;        // why a run with a `done` cannot be reported; "" when it can
  json config;                // config.json, or null
  std::vector<json> metrics;  // metrics.jsonl lines
};

// Every run folder under suite_dir, sorted by task, algorithm, seed.
std::vector<RunRecord> load_runs(const std::string& suite_dir);

struct ReportOutcome {
  std::string markdown_path;
  std::string html_path;
  int64_t runs_finished = 0;
  int64_t runs_unfinished = 0;
  std::vector<std::string> figures;  // PNG paths
  std::vector<std::string> notes;    // what could not be drawn or computed, and why
};

ReportOutcome write_report(const std::string& suite_dir, const ReportOptions& options = {});

}  // namespace tandem::suites
