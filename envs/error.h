// The one exception type the project throws at its boundaries (files, config, XML, registry).
// Its message says what went wrong, where, and how to fix it; the CLI prints it and exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace tandem {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Invariant check for programming errors (not user input): names the file and line.
#define TANDEM_CHECK(cond, msg)                                                         \
  do {                                                                                  \
    if (!(cond))                                                                        \
      throw ::tandem::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) +    \
                            ": check failed: " #cond ": " + std::string(msg));          \
  } while (0)

}  // namespace tandem
