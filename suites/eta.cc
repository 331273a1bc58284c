#include "suites/eta.h"

#include <algorithm>

namespace tandem::suites {

void EtaModel::finished(const std::string& kind, int64_t steps, double seconds) {
  Measured& m = finished_[kind];
  m.seconds += seconds;
  m.steps += steps;
  m.runs += 1;
}

std::optional<double> EtaModel::remaining(const std::vector<Running>& running,
                                          const std::vector<Queued>& queued, int64_t jobs) const {
  // seconds per step of each kind: finished runs first, running ones where none has finished
  std::map<std::string, double> rate;
  double finished_seconds = 0;
  int64_t finished_runs = 0;
  for (const auto& [kind, m] : finished_) {
    if (m.steps > 0) rate[kind] = m.seconds / static_cast<double>(m.steps);
    finished_seconds += m.seconds;
    finished_runs += m.runs;
  }
  std::map<std::string, Measured> live;
  for (const auto& r : running) {
    if (finished_.count(r.kind) || r.done <= 0) continue;
    live[r.kind].seconds += r.seconds;
    live[r.kind].steps += r.done;
  }
  for (const auto& [kind, m] : live) rate[kind] = m.seconds / static_cast<double>(m.steps);
  const std::optional<double> mean_run =
      finished_runs ? std::optional<double>(finished_seconds / static_cast<double>(finished_runs))
                    : std::nullopt;

  auto time_of = [&](const std::string& kind, int64_t steps) -> std::optional<double> {
    if (auto it = rate.find(kind); it != rate.end()) return it->second * static_cast<double>(steps);
    return mean_run;
  };
  double work = 0, longest = 0;
  for (const auto& r : running) {
    auto whole = time_of(r.kind, r.total);
    if (!whole) return std::nullopt;
    // a run's own progress, once it has some, places it within its whole
    const double left = r.done > 0
                            ? *whole * static_cast<double>(std::max<int64_t>(0, r.total - r.done)) /
                                  static_cast<double>(std::max<int64_t>(1, r.total))
                            : std::max(0.0, *whole - r.seconds);
    work += left;
    longest = std::max(longest, left);
  }
  for (const auto& q : queued) {
    auto t = time_of(q.kind, q.total);
    if (!t) return std::nullopt;
    work += *t;
  }
  return std::max(longest, work / static_cast<double>(std::max<int64_t>(1, jobs)));
}

}  // namespace tandem::suites
