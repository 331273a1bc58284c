// A tuned suite's "Tuning" section (suite.json "tuning", suites/tuning.h): the tuning seeds beside
// the evaluation seeds, and per task a table of every contender's grid points with their
// normalized final scores on the tuning seeds (0 = the start, 1 = the oracle, both run on the
// tuning seeds too), the chosen point marked: what each contender's evaluation runs were given,
// and how close the runner-up was.
#pragma once

#include "suites/report/document.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {

// Nothing when the suite was not tuned.
void tuning_section(Document& doc, const Analysis& a);

}  // namespace tandem::suites::report
