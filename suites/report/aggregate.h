// The aggregate over tasks of a metric's section.
#pragma once

#include "suites/report/document.h"
#include "suites/report/metric_context.h"

namespace tandem::suites::report {

// Scores normalized per task, aggregated over tasks, with the probability of improvement over
// the baseline, as a table and rliable's interval plot.
void aggregate_section(Document& doc, const MetricContext& c);

}  // namespace tandem::suites::report
