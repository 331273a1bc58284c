#include "suites/report/algorithm_defaults.h"

#include <exception>

#include "algorithms/algorithm.h"

namespace tandem::suites::report {

json algorithm_defaults(const std::string& name) {
  try {
    return algorithms::make_algorithm(name, json::object(), "the report's defaults of " + name)
        ->config();
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace tandem::suites::report
