#include "suites/tuning.h"

#include <algorithm>
#include <map>
#include <set>

#include "agents/policy_factory.h"
#include "algorithms/algorithm.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/report.h"
#include "suites/report/run_data.h"
#include "suites/stats.h"
#include "suites/suite.h"
#include "suites/suite_fields.h"

namespace tandem::suites {
namespace {

// The cross product of a grid's fields, in the order written, the last field varying fastest.
std::vector<TuningPoint> expand_grid(const json& fields, const std::string& where) {
  std::vector<TuningPoint> points = {json::object()};
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    parse_field_path(it.key(), where, it.key());
    if (!it->is_array() || it->empty())
      fail(where, it.key(), "must be a non-empty list of values, e.g. [0.0003, 0.0001]");
    std::vector<TuningPoint> next;
    for (const auto& point : points)
      for (const auto& value : *it) {
        TuningPoint p = point;
        p[it.key()] = value;
        next.push_back(std::move(p));
      }
    points = std::move(next);
  }
  return points;
}

// A point as overrides of the run's config and policy.
std::pair<json, json> overrides_of(const TuningPoint& point) {
  json config = json::object(), policy = json::object();
  for (auto it = point.begin(); it != point.end(); ++it) {
    const FieldPath f = parse_field_path(it.key(), "tuning point", it.key());
    set_path(f.in_config ? config : policy, f.path, it.value());
  }
  return {config, policy};
}

void apply_point(SuiteAlgorithm& algo, const std::string& task, const TuningPoint& point) {
  const auto [config, policy] = overrides_of(point);
  if (!config.empty()) algo.config_by_task[task] = config;
  if (!policy.empty()) algo.policy_by_task[task] = policy;
}

std::string configurations(size_t k) {
  return std::to_string(k) + (k == 1 ? " configuration" : " configurations");
}

}  // namespace

const std::vector<TuningPoint>& SuiteTuning::grid(const std::string& label,
                                                  const std::string& kind) const {
  const auto& by_kind = grids.at(label);
  auto it = by_kind.find(kind);
  if (it == by_kind.end()) it = by_kind.find("");
  if (it == by_kind.end())
    throw Error("tuning: contender '" + label + "' has no grid for tasks of kind '" + kind + "'");
  return it->second;
}

std::string tuning_label(const std::string& label, size_t k) {
  return label + ".g" + std::to_string(k + 1);
}

SuiteTuning read_tuning(const json& j, const Suite& suite, const std::string& where) {
  const std::string at = where + ": tuning";
  const json& t = j["tuning"];
  if (!t.is_object())
    fail(where, "tuning", "must be an object {\"seeds\": [...], \"grids\": {...}}");
  reject_unknown(t, at, {"seeds", "grids", "metric"});
  SuiteTuning tuning;
  tuning.as_written = t;
  tuning.seeds = read_seeds(t, at, 1001);
  for (uint64_t seed : tuning.seeds)
    if (std::find(suite.seeds.begin(), suite.seeds.end(), seed) != suite.seeds.end())
      fail(at, "seeds",
           "lists seed " + std::to_string(seed) +
               ", an evaluation seed of the suite: tuning seeds are disjoint from \"seeds\" "
               "(a choice made on the evaluation seeds would be scored on the runs it was "
               "picked from)");
  ConfigReader r(t, at);
  tuning.metric = r.text("metric", tuning.metric);
  if (!t.contains("grids") || !t["grids"].is_object() || t["grids"].empty())
    fail(at, "grids",
         "is required: a grid per contender label, e.g. {\"ppo\": {\"config.learning_rate\": "
         "[0.0003, 0.0001]}}");
  const json& grids = t["grids"];
  std::set<std::string> contenders, kinds;
  for (const auto& algo : suite.algorithms)
    if (algo.role == Role::kContender) contenders.insert(algo.label);
  for (const auto& task : suite.tasks) kinds.insert(task.kind);
  for (auto it = grids.begin(); it != grids.end(); ++it) {
    if (!contenders.count(it.key()))
      fail(at + ": grids", it.key(),
           "is not the label of a contender of the suite (the references are not tuned)");
    const std::string gat = at + ": grids: " + it.key();
    if (!it->is_object())
      fail(at + ": grids", it.key(), "must be an object {\"config.NAME\": [values], ...}");
    json plain = *it;
    plain.erase("by_kind");
    if (!plain.empty()) tuning.grids[it.key()][""] = expand_grid(plain, gat);
    if (it->contains("by_kind")) {
      const json& by_kind = (*it)["by_kind"];
      if (!by_kind.is_object() || by_kind.empty())
        fail(gat, "by_kind", "must be an object {\"KIND\": {\"config.NAME\": [values]}}");
      for (auto k = by_kind.begin(); k != by_kind.end(); ++k) {
        if (!kinds.count(k.key())) fail(gat + ": by_kind", k.key(), "names no task kind");
        if (!k->is_object() || k->empty())
          fail(gat + ": by_kind", k.key(), "must be a non-empty object of fields");
        tuning.grids[it.key()][k.key()] = expand_grid(*k, gat + ": by_kind: " + k.key());
      }
    }
  }
  // the same budget for everyone: every contender tuned, on every task, with K points
  std::string first;
  for (const auto& algo : suite.algorithms) {
    if (algo.role != Role::kContender) continue;
    if (!tuning.grids.count(algo.label))
      fail(at, "grids",
           "has no grid for contender '" + algo.label +
               "': every contender gets the same tuning budget (docs/protocol.md §4)");
    for (const auto& task : suite.tasks) {
      const auto& by_kind = tuning.grids.at(algo.label);
      if (!by_kind.count(task.kind) && !by_kind.count(""))
        fail(at + ": grids", algo.label,
             "has no grid for tasks of kind '" + task.kind + "' (task '" + task.label + "')");
      const size_t k = tuning.grid(algo.label, task.kind).size();
      const std::string here = "'" + algo.label + "' on task '" + task.label + "'";
      if (tuning.points == 0) {
        tuning.points = k;
        first = here;
      } else if (k != tuning.points) {
        fail(at, "grids",
             "gives " + first + " " + configurations(tuning.points) + " and " + here + " " +
                 configurations(k) +
                 ": every contender gets the same tuning budget, so every grid has the same "
                 "number of points");
      }
    }
  }
  // a grid tunes the contender, never the protocol's feedback or start; every point is checked
  // on every task now, so a typo fails before any run starts
  for (const auto& algo : suite.algorithms) {
    if (algo.role != Role::kContender) continue;
    for (const auto& task : suite.tasks) {
      const std::string pat = at + ": grids: " + algo.label;
      std::unique_ptr<envs::Env> env;
      for (const TuningPoint& point : tuning.grid(algo.label, task.kind)) {
        for (auto f = point.begin(); f != point.end(); ++f) {
          const FieldPath field = parse_field_path(f.key(), pat, f.key());
          const json& fixed = field.in_config ? task.protocol->feedback : task.protocol->start;
          if (fixed.contains(field.path.substr(0, field.path.find('.'))))
            fail(pat, f.key(),
                 "is the task's " + std::string(field.in_config ? "feedback" : "start") +
                     " on task '" + task.label +
                     "': the protocol fixes it for every contender, it is not tuned");
        }
        SuiteAlgorithm variant = algo;
        apply_point(variant, task.label, point);
        const SuiteRun run{&task, &variant, 1};
        const std::string where_point =
            pat + " point " + point.dump() + " on task '" + task.label + "'";
        algorithms::make_algorithm(algo.name, run.config(), where_point);
        if (variant.policy_by_task.count(task.label)) {
          if (!env) env = envs::make_env(task.env_id, task.options);
          agents::check_policy_config(*env, run.policy(), where_point);
        }
      }
    }
  }
  return tuning;
}

Suite tuning_suite(const Suite& suite) {
  TANDEM_CHECK(suite.tuning.has_value(), "tuning_suite of a suite without tuning");
  Suite out = suite;
  out.name = suite.name + "/tuning";
  out.seeds = suite.tuning->seeds;
  out.claims.clear();
  out.sweep = nullptr;
  out.tuning.reset();
  out.tuning_selection = nullptr;
  out.algorithms.clear();
  for (const auto& algo : suite.algorithms) {
    if (algo.role != Role::kContender) {
      out.algorithms.push_back(algo);
      continue;
    }
    for (size_t k = 0; k < suite.tuning->points; ++k) {
      SuiteAlgorithm point = algo;
      point.label = tuning_label(algo.label, k);
      for (const auto& task : suite.tasks)
        apply_point(point, task.label, suite.tuning->grid(algo.label, task.kind)[k]);
      out.algorithms.push_back(std::move(point));
    }
  }
  return out;
}

json select_tuned(const Suite& suite, const std::string& tuning_dir) {
  TANDEM_CHECK(suite.tuning.has_value(), "select_tuned of a suite without tuning");
  const SuiteTuning& tuning = *suite.tuning;
  const std::set<uint64_t> seeds(tuning.seeds.begin(), tuning.seeds.end());
  std::map<std::string, const RunRecord*> by_key;
  const std::vector<RunRecord> records = load_runs(tuning_dir);
  for (const auto& r : records)  // only the tuning seeds' runs have a say
    if (seeds.count(r.seed))
      by_key[r.task + "/" + r.algorithm + "/seed-" + std::to_string(r.seed)] = &r;
  const Suite phase = tuning_suite(suite);
  // per task: the choice on a task needs that task's tuning runs only
  std::map<std::string, std::vector<std::string>> missing;
  for (const SuiteRun& run : phase.runs()) {
    auto it = by_key.find(run.key());
    if (it == by_key.end() || !it->second->finished ||
        !report::final_score_of(*it->second, tuning.metric))
      missing[run.task->label].push_back(run.key());
  }
  auto scores = [&](const std::string& task, const std::string& label) {
    std::vector<double> out;
    for (uint64_t seed : tuning.seeds)
      out.push_back(*report::final_score_of(
          *by_key.at(task + "/" + label + "/seed-" + std::to_string(seed)), tuning.metric));
    return out;
  };
  auto mean = [](const std::vector<double>& x) {
    double s = 0;
    for (double v : x) s += v;
    return s / static_cast<double>(x.size());
  };
  const bool higher_is_better = metric_spec_for(tuning.metric).higher_is_better;
  json selection = {{"metric", tuning.metric},
                    {"seeds", tuning.seeds},
                    {"points", tuning.points},
                    {"tasks", json::object()},
                    {"unfinished", json::object()}};
  for (const auto& task : suite.tasks) {
    if (missing.count(task.label)) {
      selection["unfinished"][task.label] = missing.at(task.label);
      continue;
    }
    const double start = mean(scores(task.label, "start")),
                 oracle = mean(scores(task.label, "oracle"));
    const bool scaled =
        normalize_to_references({start}, start, oracle, higher_is_better).has_value();
    json entry = {
        {"start", start}, {"oracle", oracle}, {"scaled", scaled}, {"contenders", json::object()}};
    for (const auto& algo : suite.algorithms) {
      if (algo.role != Role::kContender) continue;
      json points = json::array();
      size_t chosen = 0;
      double best = 0;
      const auto& grid = tuning.grid(algo.label, task.kind);
      for (size_t k = 0; k < grid.size(); ++k) {
        const std::vector<double> raw = scores(task.label, tuning_label(algo.label, k));
        // without a scale (the oracle no better than the start) the raw scores decide, turned
        // so that higher is better
        std::vector<double> normalized = raw;
        if (scaled) {
          normalized = *normalize_to_references(raw, start, oracle, higher_is_better);
        } else if (!higher_is_better) {
          for (double& v : normalized) v = -v;
        }
        const double m = mean(normalized);
        if (k == 0 || m > best) {  // ties keep the earlier point
          best = m;
          chosen = k;
        }
        points.push_back({{"label", tuning_label(algo.label, k)},
                          {"values", grid[k]},
                          {"scores", raw},
                          {"normalized", normalized},
                          {"mean", m}});
      }
      entry["contenders"][algo.label] = {{"chosen", chosen}, {"points", points}};
    }
    selection["tasks"][task.label] = entry;
  }
  return selection;
}

Suite tuned_suite(const Suite& suite, const json& selection) {
  TANDEM_CHECK(suite.tuning.has_value(), "tuned_suite of a suite without tuning");
  Suite out = suite;
  out.tuning_selection = selection;
  // the tasks still tuning wait
  out.tasks.erase(
      std::remove_if(out.tasks.begin(), out.tasks.end(),
                     [&](const SuiteTask& t) { return !selection.at("tasks").contains(t.label); }),
      out.tasks.end());
  TANDEM_CHECK(!out.tasks.empty(), "tuned_suite without a task whose tuning has finished");
  out.claims.erase(std::remove_if(out.claims.begin(), out.claims.end(),
                                  [&](SuiteClaim& c) {
                                    c.tasks.erase(
                                        std::remove_if(c.tasks.begin(), c.tasks.end(),
                                                       [&](const std::string& t) {
                                                         return !selection.at("tasks").contains(t);
                                                       }),
                                        c.tasks.end());
                                    return c.tasks.empty();
                                  }),
                   out.claims.end());
  for (auto& algo : out.algorithms) {
    if (algo.role != Role::kContender) continue;
    for (const auto& task : out.tasks) {
      const json& c = selection.at("tasks").at(task.label).at("contenders").at(algo.label);
      const size_t k = c.at("chosen").get<size_t>();
      const auto& grid = suite.tuning->grid(algo.label, task.kind);
      TANDEM_CHECK(k < grid.size(), "tuning selection: a point beyond the grid");
      apply_point(algo, task.label, grid[k]);
    }
  }
  return out;
}

}  // namespace tandem::suites
