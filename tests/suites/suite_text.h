// Suites written inline in the tests: parsed as a suite file is (comments allowed), or the
// message of the error they raise.
#pragma once

#include <string>

#include "envs/error.h"
#include "suites/suite.h"

namespace tandem::testing {

inline suites::Suite parse_suite(const std::string& text, const std::string& name = "fallback") {
  return suites::suite_from_json(json::parse(text, nullptr, true, /*ignore_comments=*/true),
                                 "test.json", name);
}

// The message of the error `text` raises ("" when it parses).
inline std::string suite_error(const std::string& text) {
  try {
    parse_suite(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace tandem::testing
