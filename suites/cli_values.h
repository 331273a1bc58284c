// Checks of the command line's numbers, shared by every subcommand that takes them: what CLI11
// would otherwise accept silently (a negative seed wrapped to 2^64 − 1) or refuse in the wrong
// words ("1e6" steps "not in range").
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <string>

namespace tandem::suites {

// A seed: a whole number in [0, 2^53] (a JSON number holds it exactly), written in digits.
inline CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const std::string digits = "0123456789";
        if (s.empty() || s.find_first_not_of(digits) != std::string::npos)
          return "a seed is a whole number from 0 to 9007199254740992 (2^53), got '" + s + "'";
        if (s.size() > 16 || std::stoull(s) > (uint64_t{1} << 53))
          return "a seed is at most 9007199254740992 (2^53), got " + s;
        return "";
      },
      "SEED in [0, 2^53]");
}

// A count of steps or episodes in [min, 2^50]: digits, or a whole number in scientific notation
// ("1e6", "2.5e5"), rewritten as digits for the option's integer.
inline CLI::Validator count_value(int64_t min) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        const int64_t max = int64_t{1} << 50;
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != s.size() || !std::isfinite(v) || v != std::floor(v))
          return "expected a whole number (1000000 or 1e6), got '" + s + "'";
        if (v < static_cast<double>(min) || v > static_cast<double>(max))
          return "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                 s;
        s = std::to_string(static_cast<int64_t>(v));
        return "";
      },
      "INT >= " + std::to_string(min));
}

}  // namespace tandem::suites
