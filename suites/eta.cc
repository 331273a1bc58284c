#include "suites/eta.h"

#include <algorithm>
#include <filesystem>

#include "envs/config.h"

namespace tandem::suites {

void EtaModel::finished(const std::string& kind, int64_t steps, double seconds, double startup) {
  Measured& m = finished_[kind];
  m.startup = m.runs == 0 ? startup : std::min(m.startup, startup);
  m.seconds += seconds;
  m.steps += steps;
  m.runs += 1;
}

void EtaModel::load_remembered(const std::string& path) {
  if (!std::filesystem::exists(path)) return;
  std::map<std::string, Measured> loaded;
  try {
    const json file = read_json_file(path);
    for (const auto& [kind, m] : file.at("rates").items()) {
      Measured r{m.at("seconds").get<double>(), m.at("steps").get<int64_t>(),
                 m.at("runs").get<int64_t>(), m.value("startup", 0.0)};
      if (r.seconds > 0 && r.steps > 0 && r.startup >= 0) loaded[kind] = r;
    }
  } catch (const std::exception&) {
    return;  // damaged: the suite measures its own rates as before
  }
  for (const auto& [kind, m] : loaded) remembered_[kind] = m;
}

void EtaModel::remember(const std::string& path) const {
  std::map<std::string, Measured> all = remembered_;
  for (const auto& [kind, m] : finished_) {
    if (m.steps <= 0) continue;
    auto known = all.find(kind);
    const double startup =
        known == all.end() ? m.startup : std::min(known->second.startup, m.startup);
    all[kind] = m;
    all[kind].startup = startup;
  }
  json rates = json::object();
  for (const auto& [kind, m] : all)
    rates[kind] = {
        {"seconds", m.seconds}, {"steps", m.steps}, {"runs", m.runs}, {"startup", m.startup}};
  try {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    write_file_atomic(path, json{{"version", 1}, {"rates", rates}}.dump(1) + "\n");
  } catch (const std::exception&) {
    // a cache folder that cannot be written costs the next suite its first estimates, nothing more
  }
}

std::optional<double> EtaModel::remaining(const std::vector<Running>& running,
                                          const std::vector<Queued>& queued, int64_t jobs) const {
  // seconds per step of each kind: this suite's finished runs first, then the rate remembered from
  // earlier suites, then this suite's running ones
  std::map<std::string, double> rate, startup;
  for (const auto& [kind, m] : remembered_) {
    rate[kind] = m.seconds / static_cast<double>(m.steps);
    startup[kind] = m.startup;
  }
  double finished_seconds = 0;
  int64_t finished_runs = 0;
  for (const auto& [kind, m] : finished_) {
    if (m.steps > 0) {
      rate[kind] = m.seconds / static_cast<double>(m.steps);
      // the quickest start-up known: a suite's first runs of a kind waited for its cache builds
      // (measured: one 137 s start-up made the quickstart's ETA 18m34s for 5m19s left)
      auto known = startup.find(kind);
      startup[kind] = known == startup.end() ? m.startup : std::min(known->second, m.startup);
    }
    finished_seconds += m.seconds + m.startup * static_cast<double>(m.runs);
    finished_runs += m.runs;
  }
  std::map<std::string, Measured> live;
  for (const auto& r : running) {
    if (rate.count(r.kind) || r.done <= 0) continue;
    live[r.kind].seconds += r.seconds;
    live[r.kind].steps += r.done;
  }
  for (const auto& [kind, m] : live) rate[kind] = m.seconds / static_cast<double>(m.steps);
  const std::optional<double> mean_run =
      finished_runs ? std::optional<double>(finished_seconds / static_cast<double>(finished_runs))
                    : std::nullopt;

  // a whole run: its start-up, then its steps
  auto time_of = [&](const std::string& kind, int64_t steps) -> std::optional<double> {
    auto it = rate.find(kind);
    if (it == rate.end()) return mean_run;
    auto up = startup.find(kind);
    return (up == startup.end() ? 0.0 : up->second) + it->second * static_cast<double>(steps);
  };
  // the runner's own schedule: each running run frees its worker when it ends, and queued runs
  // go, in queue order, to the worker free first (work / jobs assumed perfect packing and ran
  // ~30 % low at a suite's end, where one long run started last decides the finish)
  std::vector<double> free_at;
  for (const auto& r : running) {
    double left = 0;
    if (r.done > 0) {
      // past its start-up (every run with progress has a rate: its kind's, else its own)
      left = rate.at(r.kind) * static_cast<double>(std::max<int64_t>(0, r.total - r.done));
    } else {
      auto whole = time_of(r.kind, r.total);
      if (!whole) return std::nullopt;
      left = std::max(0.0, *whole - r.seconds);
    }
    free_at.push_back(left);
  }
  const size_t workers = static_cast<size_t>(std::max<int64_t>(1, jobs));
  while (free_at.size() < workers) free_at.push_back(0.0);
  for (const auto& q : queued) {
    auto t = time_of(q.kind, q.total);
    if (!t) return std::nullopt;
    auto first_free = std::min_element(free_at.begin(), free_at.end());
    *first_free += *t;
  }
  return *std::max_element(free_at.begin(), free_at.end());
}

}  // namespace tandem::suites
