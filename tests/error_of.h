// The message of the tandem::Error a call throws ("(no error)" when it returns): for tests that
// check what a refusal says.
#pragma once

#include <functional>
#include <string>

#include "envs/error.h"

namespace tandem::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace tandem::testing
