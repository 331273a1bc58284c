// The suite's claims (suite.json "claims", suite.h): each "A beats B" judged on the difference
// A − B of normalized final scores over the claim's tasks (normalize.h: a protocol suite's start
// = 0, oracle = 1; other suites each run against its own start), with a stratified bootstrap CI
// (stats.h difference_of_means_ci) and the verdict in words next to the number: holds, refuted
// or inconclusive (docs/protocol.md §6).
#pragma once

#include "suites/report.h"
#include "suites/report/document.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {

// Nothing when the suite has no claims. The metric: the first aggregated section metric of
// options.metrics that a finished run logs.
void claims_section(Document& doc, const Analysis& a, const ReportOptions& options);

}  // namespace tandem::suites::report
