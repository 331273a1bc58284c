// A registered algorithm's default config, what the setup table tells a label's own settings
// from. The one part of the report that asks the algorithm registry (it links the algorithms).
#pragma once

#include <string>

#include "envs/config.h"

namespace tandem::suites::report {

// Every field of the algorithm's config at its default; null when the name is not registered or
// its defaults alone do not validate.
json algorithm_defaults(const std::string& name);

}  // namespace tandem::suites::report
