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
// A run's last logged value of key.
std::optional<double> final_value(const RunRecord& run, const std::string& key);
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

// The suite as write_report sees it: its tasks and labels, and its finished runs.
struct Analysis {
  std::vector<std::string> tasks, algorithms;    // display order
  std::map<std::string, std::string> algo_name;  // label → registered algorithm
  std::map<std::string, std::string> env_id;     // task → env id (config.json)
  std::vector<const RunRecord*> finished;
};

// The finished runs of a task and label, and their final values of key (where they log it).
std::vector<const RunRecord*> runs_of(const Analysis& a, const std::string& task,
                                      const std::string& algo);
std::vector<double> finals_of(const Analysis& a, const std::string& task, const std::string& algo,
                              const std::string& key);
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
