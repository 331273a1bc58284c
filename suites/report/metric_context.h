#pragma once

#include <map>
#include <string>
#include <utility>

#include "suites/report.h"
#include "suites/report/gnuplot.h"
#include "suites/report/run_data.h"
#include "suites/stats.h"

namespace tandem::suites::report {

// What the sections of one metric share: report_metric (sections.h) fills it once, the tables and
// figures of the metric read it.
struct MetricContext {
  const Analysis& a;
  const MetricSpec& m;
  const ReportOptions& options;
  Plotter& plotter;
  BootstrapOptions boot;
  std::string pct;    // the confidence level in percent, "95"
  std::string title;  // the metric's title with its unit
  std::map<std::pair<std::string, std::string>, Interval> cis;  // (task, label) → final mean
};

}  // namespace tandem::suites::report
