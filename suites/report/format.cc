#include "suites/report/format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace tandem::suites::report {

std::string fmt(double x) {
  if (!std::isfinite(x)) return "—";
  char buf[64];
  const double a = std::fabs(x);
  const char* f = a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
  std::snprintf(buf, sizeof(buf), f, x);
  return buf;
}

std::string fmt2(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

std::string fmt_interval(const Interval& i, std::string (*f)(double)) {
  return f(i.estimate) + " [" + f(i.low) + ", " + f(i.high) + "]";
}

std::string fmt_interval(const Interval& i) {
  const double a = std::max({std::fabs(i.estimate), std::fabs(i.low), std::fabs(i.high)});
  const int decimals = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%.*f [%.*f, %.*f]", decimals, i.estimate, decimals, i.low,
                decimals, i.high);
  return buf;
}

std::string seeds_text(size_t n) { return std::to_string(n) + (n == 1 ? " seed" : " seeds"); }

std::string few_seeds_warning(const std::string& what, const std::vector<std::string>& few) {
  if (few.empty()) return "";
  std::string list;
  for (size_t i = 0; i < few.size(); ++i)
    list += (i == 0 ? "" : i + 1 == few.size() ? " and " : ", ") + few[i];
  return "**Warning: fewer than " + std::to_string(kMinimumSeeds) +
         " finished seeds** stand behind " + list + " in " + what +
         ": with so few seeds a mean and its interval are anecdotes, not a comparison (the "
         "protocol asks for at least " +
         std::to_string(kMinimumSeeds) + ").";
}

std::string step_text(double step) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", step);
  return buf;
}

std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
            c == '=' || c == '+')
               ? c
               : '_';
  return out;
}

}  // namespace tandem::suites::report
