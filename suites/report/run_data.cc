#include "suites/report/run_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <tuple>

#include "algorithms/metrics.h"
#include "envs/error.h"

namespace tandem::suites {
namespace fs = std::filesystem;

namespace {

// Why a run with a `done` cannot be reported as finished, "" when it can: its metrics must have
// reached its budget (or an offline learner's early stop) with an evaluation, the evaluation keys
// must hold numbers, and where `done` recorded them (single_run.cc), the line count and the final
// return must be what the run wrote. A file cut short or edited by hand would otherwise change
// the final score without a word.
std::string damage_of(const RunRecord& r, const std::string& done_path) {
  const std::string metrics = "metrics.jsonl";
  if (!r.config.is_object()) return "config.json is missing";
  if (r.metrics.empty()) return metrics + " is missing or empty";
  for (size_t i = 0; i < r.metrics.size(); ++i) {
    const json& line = r.metrics[i];
    const std::string where = metrics + " line " + std::to_string(i + 1);
    if (!line.is_object()) return where + " is not a JSON object";
    for (const char* key : {"env_steps", "eval/return_mean"})
      if (line.contains(key) && !line[key].is_number())
        return where + ": `" + key + "` is " + line[key].dump() + ", not a number";
  }
  const json* last_eval = nullptr;
  for (auto it = r.metrics.rbegin(); it != r.metrics.rend() && !last_eval; ++it)
    if (it->contains("eval/return_mean")) last_eval = &*it;
  if (!last_eval) return metrics + " holds no evaluation";
  const int64_t budget = r.config.value("steps", int64_t{0});
  const double reached = last_eval->value("env_steps", 0.0);
  if (reached < static_cast<double>(budget) && !last_eval->contains("offline/stopped_early"))
    return metrics + "'s last evaluation is at " + std::to_string(static_cast<int64_t>(reached)) +
           " steps, short of the budget of " + std::to_string(budget);
  json done;
  try {
    done = read_json_file(done_path);
  } catch (const Error&) {
    return "";  // an empty `done` (older runs, hand-made folders): nothing more to compare
  }
  if (!done.is_object()) return "";
  if (done.contains("metrics_lines") && done["metrics_lines"].is_number_integer() &&
      done["metrics_lines"].get<int64_t>() != static_cast<int64_t>(r.metrics.size()))
    return metrics + " has " + std::to_string(r.metrics.size()) + " lines; the run wrote " +
           done["metrics_lines"].dump();
  if (done.contains("final_return_mean") && done["final_return_mean"].is_number()) {
    const double recorded = done["final_return_mean"].get<double>();
    const double read = last_eval->value("eval/return_mean", 0.0);
    if (std::abs(recorded - read) > 1e-9 * std::max(1.0, std::abs(recorded)))
      return metrics + "'s last evaluation return is " + json(read).dump() + "; the run ended at " +
             json(recorded).dump();
  }
  return "";
}

}  // namespace

std::vector<RunRecord> load_runs(const std::string& suite_dir) {
  if (!fs::is_directory(suite_dir))
    throw Error(suite_dir + ": no such results folder (expected results/<suite>/ of `tandem run`)");
  std::vector<RunRecord> runs;
  auto sorted_dirs = [](const fs::path& p) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_directory()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const auto& task : sorted_dirs(suite_dir)) {
    // the report's figures, and a tuned suite's tuning phase (its own suite, tuning.h)
    if (task.filename() == "figures" || task.filename() == "tuning") continue;
    for (const auto& algo : sorted_dirs(task)) {
      for (const auto& seed_dir : sorted_dirs(algo)) {
        const std::string name = seed_dir.filename().string();
        if (name.rfind("seed-", 0) != 0 || name.size() == 5 ||
            name.find_first_not_of("0123456789", 5) != std::string::npos)
          continue;
        RunRecord r;
        r.task = task.filename().string();
        r.algorithm = algo.filename().string();
        r.seed = std::stoull(name.substr(5));
        r.dir = seed_dir.string();
        r.finished = fs::exists(seed_dir / "done");
        try {
          if (fs::exists(seed_dir / "config.json"))
            r.config = read_json_file((seed_dir / "config.json").string());
          if (fs::exists(seed_dir / "metrics.jsonl"))
            r.metrics = algorithms::read_metrics((seed_dir / "metrics.jsonl").string(), r.finished);
          if (r.finished) r.damaged = damage_of(r, (seed_dir / "done").string());
        } catch (const Error& e) {
          // a finished run whose files cannot be read is damaged; an unfinished one is what it is
          if (r.finished) r.damaged = e.what();
        }
        if (!r.damaged.empty()) r.finished = false;
        runs.push_back(std::move(r));
      }
    }
  }
  std::sort(runs.begin(), runs.end(), [](const RunRecord& x, const RunRecord& y) {
    return std::tie(x.task, x.algorithm, x.seed) < std::tie(y.task, y.algorithm, y.seed);
  });
  return runs;
}

namespace report {

std::optional<double> number_at(const json& line, const std::string& key) {
  auto it = line.find(key);
  if (it == line.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> final_value(const RunRecord& run, const std::string& key) {
  for (auto it = run.metrics.rbegin(); it != run.metrics.rend(); ++it)
    if (auto v = number_at(*it, key)) return v;
  return std::nullopt;
}

std::optional<double> final_score_of(const RunRecord& run, const std::string& key) {
  std::vector<double> evaluations;
  for (const auto& line : run.metrics)
    if (auto v = number_at(line, key)) evaluations.push_back(*v);
  if (evaluations.empty()) return std::nullopt;
  return final_score(evaluations);
}

std::optional<double> initial_value(const RunRecord& run, const std::string& key) {
  for (const auto& line : run.metrics) {
    auto steps = number_at(line, "env_steps");
    if (steps && *steps == 0)
      if (auto v = number_at(line, key)) return v;
  }
  return std::nullopt;
}

bool better(double a, double b, bool higher_is_better) { return higher_is_better ? a > b : a < b; }

Series series_of(const RunRecord& run, const std::string& x_key, const std::string& y_key) {
  Series s;
  for (const auto& line : run.metrics) {
    auto x = number_at(line, x_key);
    auto y = number_at(line, y_key);
    if (x && y && (s.empty() || *x >= s.back().first)) s.emplace_back(*x, *y);
  }
  return s;
}

double interpolate(const Series& s, double x) {
  if (x <= s.front().first) return s.front().second;
  if (x >= s.back().first) return s.back().second;
  auto it =
      std::lower_bound(s.begin(), s.end(), x, [](const auto& p, double v) { return p.first < v; });
  const auto& [x1, y1] = *it;
  const auto& [x0, y0] = *(it - 1);
  return x1 == x0 ? y1 : y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

std::vector<double> common_grid(const std::vector<Series>& runs) {
  double x_max = INFINITY;
  std::vector<double> grid;
  for (const auto& s : runs) {
    x_max = std::min(x_max, s.back().first);
    for (const auto& p : s) grid.push_back(p.first);
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  grid.erase(std::remove_if(grid.begin(), grid.end(), [&](double x) { return x > x_max; }),
             grid.end());
  if (grid.size() > 200) {
    std::vector<double> thin;
    for (size_t i = 0; i < 200; ++i) thin.push_back(grid[i * (grid.size() - 1) / 199]);
    grid = thin;
  }
  return grid;
}

Curve mean_curve(const std::vector<Series>& runs, const BootstrapOptions& options) {
  Curve c;
  for (double x : common_grid(runs)) {
    std::vector<double> ys;
    for (const auto& s : runs) ys.push_back(interpolate(s, x));
    const Interval ci = mean_ci(ys, options);
    c.x.push_back(x);
    c.mean.push_back(ci.estimate);
    c.low.push_back(ci.low);
    c.high.push_back(ci.high);
  }
  return c;
}

std::vector<const RunRecord*> runs_of(const Analysis& a, const std::string& task,
                                      const std::string& algo) {
  std::vector<const RunRecord*> out;
  for (const auto* r : a.finished)
    if (r->task == task && r->algorithm == algo) out.push_back(r);
  return out;
}

std::vector<double> finals_of(const Analysis& a, const std::string& task, const std::string& algo,
                              const std::string& key) {
  std::vector<double> out;
  for (const auto* r : runs_of(a, task, algo))
    if (auto v = final_value(*r, key)) out.push_back(*v);
  return out;
}

std::vector<double> final_scores_of(const Analysis& a, const std::string& task,
                                    const std::string& algo, const std::string& key) {
  std::vector<double> out;
  for (const auto* r : runs_of(a, task, algo))
    if (auto v = final_score_of(*r, key)) out.push_back(*v);
  return out;
}

SuiteInfo read_suite_info(const std::string& suite_dir, std::vector<std::string>& notes) {
  SuiteInfo info;
  const fs::path path = fs::path(suite_dir) / "suite.json";
  if (!fs::exists(path)) return info;
  try {
    const json j = read_json_file(path.string());
    info.protocol = j.value("protocol", false);
    std::vector<std::string> all_tasks;
    for (const auto& t : j.value("tasks", json::array())) {
      const std::string label = t.value("label", std::string());
      all_tasks.push_back(label);
      if (t.contains("protocol") && t["protocol"].is_object())
        info.task_protocol[label] = t["protocol"];
    }
    for (const auto& algo : j.value("algorithms", json::array()))
      info.role[algo.value("label", std::string())] = algo.value("role", std::string("contender"));
    if (j.contains("tuning")) info.tuning = j["tuning"];
    for (const auto& c : j.value("claims", json::array())) {
      ClaimInfo claim{c.value("claim", std::string()), c.value("a", std::string()),
                      c.value("b", std::string()), c.value("tasks", std::vector<std::string>())};
      if (claim.tasks.empty()) claim.tasks = all_tasks;
      info.claims.push_back(claim);
    }
  } catch (const std::exception& e) {
    notes.push_back("`suite.json` could not be read (" + std::string(e.what()) +
                    "): reported from the run folders alone, without roles or claims.");
    return SuiteInfo{};
  }
  return info;
}

std::string role_of(const Analysis& a, const std::string& label) {
  if (!a.suite.protocol) return "contender";
  auto it = a.suite.role.find(label);
  return it == a.suite.role.end() ? "contender" : it->second;
}

bool is_reference(const Analysis& a, const std::string& label) {
  return role_of(a, label) != "contender";
}

std::vector<std::string> contenders(const Analysis& a) {
  std::vector<std::string> out;
  for (const auto& label : a.algorithms)
    if (!is_reference(a, label)) out.push_back(label);
  return out;
}

std::string label_with_role(const Analysis& a, const std::string& role) {
  for (const auto& label : a.algorithms)
    if (role_of(a, label) == role) return label;
  return "";
}

bool is_text_task(const Analysis& a, const std::string& task) {
  auto it = a.env_id.find(task);
  return it != a.env_id.end() && it->second.rfind("text/", 0) == 0;
}

bool task_logs(const Analysis& a, const std::string& task, const std::string& key) {
  for (const auto* r : a.finished)
    if (r->task == task && final_value(*r, key)) return true;
  return false;
}

std::vector<const MetricSpec*> logged_columns(const Analysis& a, const std::string& task,
                                              const std::vector<MetricSpec>& metrics,
                                              MetricPlace place) {
  std::vector<const MetricSpec*> out;
  for (const auto& m : metrics)
    if (m.place == place && task_logs(a, task, m.key)) out.push_back(&m);
  return out;
}

std::vector<json> read_samples(const RunRecord& run) {
  const fs::path path = fs::path(run.dir) / "samples.jsonl";
  if (!fs::exists(path)) return {};
  try {
    return algorithms::read_metrics(path.string());
  } catch (const Error&) {
    return {};
  }
}

const json* final_sample(const std::vector<json>& samples, const std::string& prompt,
                         double* step) {
  std::optional<double> last;
  for (const auto& line : samples)
    if (auto s = number_at(line, "env_steps")) last = last ? std::max(*last, *s) : *s;
  if (!last) return nullptr;
  for (const auto& line : samples) {
    if (number_at(line, "env_steps") == last && line.is_object() && line.contains("prompt") &&
        line["prompt"] == prompt) {
      *step = *last;
      return &line;
    }
  }
  return nullptr;
}

}  // namespace report
}  // namespace tandem::suites
