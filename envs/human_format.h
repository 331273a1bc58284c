// Numbers for people: "1.25M" steps, "3m07s" of time, "0.8125" of a score — progress bars, ETAs
// and the metrics progress lines show.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace tandem {

inline std::string human_count(double x) {
  char buf[32];
  if (x >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2fM", x / 1e6);
  } else if (x >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1fk", x / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  }
  return buf;
}

inline std::string human_seconds(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0 || s > 1e8) return "--";  // an ETA before any progress
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%dh%02dm", static_cast<int>(s / 3600),
                  static_cast<int>(s / 60) % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  }
  return buf;
}

// A metric's value with four significant digits: a text task's 0.8125 is not "0.8", a return of
// 1000 is not "1000.0", and 2.5e-05 keeps its digits.
inline std::string human_value(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", x);
  return buf;
}

}  // namespace tandem
