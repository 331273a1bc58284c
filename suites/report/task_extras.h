// What text tasks and preference runs add to their task in the first section reported: the
// legend and cells of their extra columns, DPO's implicit rewards and sample completions. (Their
// frontier figure is in figures.h.)
#pragma once

#include <string>
#include <vector>

#include "suites/report.h"
#include "suites/report/document.h"
#include "suites/report/metric_context.h"

namespace tandem::suites::report {

// The legend of some columns: header, key, unit and what to read in it.
std::vector<std::string> column_legend(const std::vector<const MetricSpec*>& columns);
// A column's cell: the mean over seeds of the final values, "—" where no run logs it.
Cell mean_cell(const std::vector<double>& values);

// The implicit rewards of DPO-type runs: final values, mean over seeds.
void preference_table(Document& doc, const MetricContext& c, const std::string& task);
// A few completions: the base model's (the evaluation at env step 0) beside each label's at its
// final evaluation, for the same prompts.
void samples_table(Document& doc, const MetricContext& c, const std::string& task);

}  // namespace tandem::suites::report
