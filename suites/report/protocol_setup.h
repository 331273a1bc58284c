// The setup of a protocol suite (docs/protocol.md): per task and label what makes the
// comparison fair or not — role, feedback, start, anchor, budget on both axes, and the label's
// own settings.
#pragma once

#include <vector>

#include "suites/report.h"
#include "suites/report/document.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {

void describe_protocol_setup(Document& doc, const Analysis& a, const std::vector<RunRecord>& runs);

}  // namespace tandem::suites::report
