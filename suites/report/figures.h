// The report's figures, each a gnuplot script (gnuplot.h) and a PNG under <suite>/figures/, added
// to the document when it could be drawn: per task the metric's curves (and the offline learners'
// against gradient steps), the aggregate's interval plot, and the reward against the KL to the
// reference.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "suites/report/document.h"
#include "suites/report/metric_context.h"
#include "suites/stats.h"

namespace tandem::suites::report {

// The task's figure: the metric against env steps and against wall-clock seconds.
void task_curves(Document& doc, const MetricContext& c, const std::string& task);

// The offline learners' figure (algorithms reward_model, dpo, sft, aihf_dpo): the metric against
// the gradient steps they took (charts/gradient_steps, where their runs log it).
void gradient_step_curves(Document& doc, const MetricContext& c, const std::string& task);

// One row of the aggregate table.
struct AggregateRow {
  size_t index;  // of the label in Analysis::algorithms: its colour
  std::string label;
  Interval mean, iqm, poi;
  bool has_poi = false;
};

// rliable's interval plot: one row per algorithm, a point and its interval per panel.
void aggregate_figure(Document& doc, const MetricContext& c, const std::vector<AggregateRow>& agg,
                      size_t tasks, bool has_baseline);

// The reward (a text task's gold reward, a control task's evaluation return) against the KL to
// the reference, the figure the APA paper turns on, on any task whose runs log a KL (eval/kl_ref_k3
// or eval/kl_ref): one line per label through its evaluations (the mean over seeds at each env
// step, on the seeds' common steps), the last marked large. Up and to the left is better.
void frontier_figure(Document& doc, const MetricContext& c, const std::string& task);

}  // namespace tandem::suites::report
