// The report's sections: the setup, then one per metric (its tables, figures and aggregate).
#pragma once

#include <vector>

#include "suites/report.h"
#include "suites/report/document.h"
#include "suites/report/gnuplot.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {

// Per task its env, budget, evaluation and runs; per label its algorithm and the settings that
// tell it apart from the other labels of the same algorithm.
void describe_setup(Document& doc, const Analysis& a, const std::vector<RunRecord>& runs);

// A section: the metric's tables, curves and aggregate. `task_extras` (the first section): each
// task's table also carries the text tasks' columns, and each task its frontier, implicit rewards
// and samples.
void report_metric(Document& doc, const Analysis& a, const MetricSpec& m,
                   const ReportOptions& options, Plotter& plotter, bool task_extras);

}  // namespace tandem::suites::report
