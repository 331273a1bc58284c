// Numbers for people: "1.25M" steps, "3m07s" of time — progress bars and ETAs.
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

}  // namespace tandem
