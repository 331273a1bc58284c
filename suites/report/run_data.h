// What the runs logged, as the report reads it: a metric's values in a run's metrics.jsonl, its
// curves over seeds, a run's sample completions, and the suite's finished runs by task and label
// (Analysis). load_runs (report.h) reads the run folders.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "suites/report.h"
#include "suites/stats.h"

namespace tandem::suites::report {

// A metrics.jsonl line's value of key: none when absent, not a number or not finite.
std::optional<double> number_at(const json& line, const std::string& key);
// A run's last logged value of key (the columns: KL, length, implicit rewards, ...).
std::optional<double> final_value(const RunRecord& run, const std::string& key);
// A run's final score of a section metric: the mean of its last 3 evaluations, the lines that log
// key (stats.h final_score; docs/protocol.md §5: one evaluation is noisy).
std::optional<double> final_score_of(const RunRecord& run, const std::string& key);
// A run's value of key at its evaluation at env step 0: its start.
std::optional<double> initial_value(const RunRecord& run, const std::string& key);
// Whether a is better than b for a metric where higher (or lower) is better.
bool better(double a, double b, bool higher_is_better);

using Series = std::vector<std::pair<double, double>>;  // (x, y), x increasing

// (x, y) of every line that logs both keys; a line whose x goes back is left out.
Series series_of(const RunRecord& run, const std::string& x_key, const std::string& y_key);
// Linear between points, the end values beyond them; s is not empty.
double interpolate(const Series& s, double x);

struct Curve {
  std::vector<double> x, mean, low, high;
};

// The x values every seed reaches: every logged x up to the shortest seed's last one (so each point
// averages all seeds), thinned to at most 200 points.
std::vector<double> common_grid(const std::vector<Series>& runs);
// Mean and bootstrap band over seeds on their common grid.
Curve mean_curve(const std::vector<Series>& runs, const BootstrapOptions& options);

// A claim of suite.json: "A beats B" on some tasks (suite.h SuiteClaim).
struct ClaimInfo {
  std::string claim, a, b;
  std::vector<std::string> tasks;  // all the suite's tasks when suite.json lists none
};

// What results/<suite>/suite.json (Suite::resolved, suite.h) tells the report beyond the run
// folders; all empty for a folder without it (an older one), reported as before.
struct SuiteInfo {
  bool protocol = false;                      // references start and oracle frame contenders
  std::map<std::string, std::string> role;    // label → "contender", "start", "oracle"
  std::map<std::string, json> task_protocol;  // task → {"start", "feedback", "oracle"}
  std::vector<ClaimInfo> claims;
  json tuning;  // suite.json "tuning" (a tuned suite: seeds, grids, selection), else null
};
// suite.json under suite_dir: nothing when absent; an unreadable one adds a note and is ignored.
SuiteInfo read_suite_info(const std::string& suite_dir, std::vector<std::string>& notes);

// The suite as write_report sees it: its tasks and labels, and its finished runs.
struct Analysis {
  std::vector<std::string> tasks, algorithms;    // display order: contenders, then references
  std::map<std::string, std::string> algo_name;  // label → registered algorithm
  std::map<std::string, std::string> env_id;     // task → env id (config.json)
  std::vector<const RunRecord*> finished;
  SuiteInfo suite;
};

// A label's role in a protocol suite ("contender" for any label of other suites).
std::string role_of(const Analysis& a, const std::string& label);
// A protocol suite's start or oracle label.
bool is_reference(const Analysis& a, const std::string& label);
// The labels ranked: a protocol suite's contenders, every label of other suites.
std::vector<std::string> contenders(const Analysis& a);
// The label with a role ("start", "oracle"), "" when none.
std::string label_with_role(const Analysis& a, const std::string& role);

// The finished runs of a task and label, and their final values of key (where they log it).
std::vector<const RunRecord*> runs_of(const Analysis& a, const std::string& task,
                                      const std::string& algo);
std::vector<double> finals_of(const Analysis& a, const std::string& task, const std::string& algo,
                              const std::string& key);
// Their final scores of key (final_score_of), where they log it: the section metrics' numbers.
std::vector<double> final_scores_of(const Analysis& a, const std::string& task,
                                    const std::string& algo, const std::string& key);
// A task whose env id is "text/...".
bool is_text_task(const Analysis& a, const std::string& task);
// Whether some finished run of the task logs key.
bool task_logs(const Analysis& a, const std::string& task, const std::string& key);
// The metrics placed at `place` that some finished run of the task logs, in the list's order.
std::vector<const MetricSpec*> logged_columns(const Analysis& a, const std::string& task,
                                              const std::vector<MetricSpec>& metrics,
                                              MetricPlace place);

// samples.jsonl of a run: {env_steps, return, prompt, completion} lines; none when unreadable.
std::vector<json> read_samples(const RunRecord& run);
// The sample of `prompt` at the run's last evaluation; the step goes to *step.
const json* final_sample(const std::vector<json>& samples, const std::string& prompt, double* step);

}  // namespace tandem::suites::report
