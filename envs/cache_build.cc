#include "envs/cache_build.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "envs/config.h"
#include "envs/human_format.h"

namespace tandem::envs {
namespace fs = std::filesystem;

namespace {

thread_local CacheBuild* innermost = nullptr;

double wall_clock() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The last env_steps of a metrics file (0 when none yet); a torn last line is skipped.
// (An expert's metrics file is a few hundred lines: reading it whole every two seconds is cheap.)
double last_env_steps(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  double steps = 0;
  while (std::getline(in, line)) {
    const json j = parse_json_or_discarded(line);
    if (j.is_object() && j.contains("env_steps") && j["env_steps"].is_number())
      steps = j["env_steps"].get<double>();
  }
  return steps;
}

}  // namespace

CacheBuild::CacheBuild(std::string entry, std::string what, double total, std::string unit,
                       std::string metrics)
    : path_(std::move(entry) + ".building"),
      what_(std::move(what)),
      unit_(std::move(unit)),
      metrics_(std::move(metrics)),
      total_(total),
      started_(wall_clock()) {
  outer_ = innermost;
  innermost = this;
  write(true);
}

CacheBuild::~CacheBuild() {
  innermost = outer_;
  std::error_code ignored;
  fs::remove(path_, ignored);
}

void CacheBuild::update(double done) {
  done_ = done;
  write(false);
}

void CacheBuild::write(bool force) {
  const double now = wall_clock();
  // the first update shows at once, later ones every two seconds
  if (!force && now - written_ < 2) return;
  if (!force) written_ = now;
  const json status = {{"what", what_},      {"unit", unit_},       {"done", done_},
                       {"total", total_},    {"started", started_}, {"pid", ::getpid()},
                       {"metrics", metrics_}};
  try {
    write_file_atomic(path_, status.dump() + "\n");
  } catch (const Error&) {
    // the status is a courtesy to watchers: a build never fails for it
  }
}

void cache_build_progress(double done) {
  if (innermost) innermost->update(done);
}

std::optional<double> CacheBuildStatus::remaining() const {
  if (total <= 0 || done <= 0 || seconds <= 0) return std::nullopt;
  return seconds / done * std::max(0.0, total - done);
}

std::string CacheBuildStatus::describe() const {
  std::string out = what + ": ";
  if (total > 0) out += human_count(done) + "/" + human_count(total) + " " + unit + ", ";
  out += human_seconds(seconds);
  const auto left = remaining();
  out += ", ETA " + (left ? human_seconds(*left) : std::string("--"));
  return out;
}

std::vector<CacheBuildStatus> cache_builds(const std::string& cache_dir) {
  std::vector<CacheBuildStatus> out;
  std::error_code ec;
  if (!fs::is_directory(cache_dir, ec)) return out;
  const double now = wall_clock();
  for (auto it = fs::recursive_directory_iterator(
           cache_dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".building") continue;
    std::ifstream in(it->path());
    const json j = parse_json_or_discarded(
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    if (!j.is_object()) continue;  // being replaced: the next look reads it
    try {
      const pid_t pid = j.at("pid").get<pid_t>();
      if (::kill(pid, 0) != 0 && errno == ESRCH) continue;  // its builder died
      CacheBuildStatus s;
      s.path = it->path().string();
      s.what = j.at("what").get<std::string>();
      s.unit = j.at("unit").get<std::string>();
      s.total = j.at("total").get<double>();
      s.done = j.at("done").get<double>();
      s.seconds = std::max(0.0, now - j.at("started").get<double>());
      const std::string metrics = j.value("metrics", std::string());
      if (!metrics.empty()) s.done = last_env_steps(metrics);
      out.push_back(std::move(s));
    } catch (const json::exception&) {
      continue;  // not one of ours
    }
  }
  std::sort(out.begin(), out.end(),
            [](const CacheBuildStatus& a, const CacheBuildStatus& b) { return a.path < b.path; });
  return out;
}

}  // namespace tandem::envs
