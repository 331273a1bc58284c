// A section metric's final scores normalized per task, the numbers the aggregate and the claims
// compare across tasks. Two scales:
//   - a protocol suite (suite.json "protocol"): against the task's references, 0 = the mean final
//     score of the start policy π₀, 1 = the oracle's (PPO on the gold signal from π₀), stats.h
//     normalize_to_references; contenders only. A task whose oracle is no better than its start
//     has no scale and is left out, with the reason.
//   - any other suite: each run against its own start (its evaluation at env step 0), on one scale
//     per task, stats.h normalize_against_starts; every label.
// Either way a normalized score is higher-is-better, whatever the metric's direction.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "suites/report.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {

struct TaskScale {
  std::string task;
  std::map<std::string, std::vector<double>> scores;  // label → normalized final score per run
};

struct Normalized {
  bool protocol = false;
  std::vector<TaskScale> tasks;      // the tasks with a scale, in the suite's order
  std::vector<std::string> scales;   // per task, the scale in words
  std::vector<std::string> skipped;  // "task (why)": tasks without a scale
  size_t no_start = 0;               // runs without an evaluation at env step 0 (other suites)
  // The scores of label per task, over the tasks (of `only`, when not empty) where it has runs;
  // the tasks go to *tasks.
  TaskScores of(const std::string& label, std::vector<std::string>* tasks = nullptr,
                const std::vector<std::string>& only = {}) const;
};

Normalized normalize(const Analysis& a, const MetricSpec& m);

}  // namespace tandem::suites::report
