#include "suites/suite.h"

#include <fnmatch.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "agents/policy_factory.h"
#include "algorithms/algorithm.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/single_run.h"
#include "suites/suite_fields.h"

namespace tandem::suites {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kTopFields = {"name", "tasks",   "algorithms", "seeds",  "steps",
                                             "eval", "threads", "sweep",      "claims", "tuning"};
constexpr int64_t kMaxSteps = int64_t{1} << 50;

}  // namespace

// ConfigReader reads numbers, strings and objects; the fields that hold arrays of objects or
// either a number or an object are read here, so the unknown-field check covers both kinds and
// lists them all, in ConfigReader's words.
void reject_unknown(const json& j, const std::string& where,
                    const std::vector<std::string>& valid) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const auto& v : valid) known = known || v == it.key();
    if (known) continue;
    std::string list;
    for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
    throw Error(where + ": unknown field '" + it.key() + "' (valid fields: " + list + ")");
  }
}

[[noreturn]] void fail(const std::string& where, const std::string& field,
                       const std::string& problem) {
  throw Error(where + ": field '" + field + "' " + problem);
}

// Labels become folder names and parts of --only patterns.
bool valid_label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '=' || c == '+';
}

void check_label(const std::string& label, const std::string& where, const std::string& field) {
  bool ok = !label.empty() && label != "." && label != "..";
  for (char c : label) ok = ok && valid_label_char(c);
  if (!ok) {
    fail(where, field,
         "= '" + label + "' cannot name a folder: use letters, digits and . _ - = + only");
  }
}

namespace {
std::string slash_to_underscore(std::string s) {
  for (char& c : s)
    if (c == '/') c = '_';
  return s;
}
}  // namespace

// A swept value as it appears in a label: 0.001, true, relu, 64-64 for [64, 64].
std::string value_text(const json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : "-") + value_text(e, where);
    return out;
  }
  fail(where, "values", "must hold numbers, strings, booleans or arrays of them, got " + v.dump());
}

void set_path(json& target, const std::string& path, const json& value) {
  json* node = &target;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object()) *node = json::object();
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

FieldPath parse_field_path(const std::string& field, const std::string& where,
                           const std::string& key) {
  const bool in_config = field.rfind("config.", 0) == 0, in_policy = field.rfind("policy.", 0) == 0;
  if ((!in_config && !in_policy) || field.size() <= 7 || field.back() == '.' ||
      field.find("..") != std::string::npos)
    fail(where, key, "= '" + field + "' must be \"config.NAME\" or \"policy.NAME\"");
  return FieldPath{in_config, field.substr(7)};
}

namespace {

struct StepsSpec {
  bool by_kind = false;
  int64_t all = 1000000;
  std::map<std::string, int64_t> kinds;
};

StepsSpec read_steps(const json& j, const std::string& where) {
  StepsSpec spec;
  if (!j.contains("steps")) return spec;
  const json& s = j["steps"];
  if (s.is_object()) {
    spec.by_kind = true;
    ConfigReader r(s, where + ": steps");
    for (auto it = s.begin(); it != s.end(); ++it)
      spec.kinds[it.key()] = r.integer(it.key(), 1, 1, kMaxSteps);
    if (spec.kinds.empty()) fail(where, "steps", "is an empty object: give {\"default\": N}");
    return spec;
  }
  ConfigReader r(j, where);
  spec.all = r.integer("steps", spec.all, 1, kMaxSteps);  // also rejects non-integers
  return spec;
}

// An algorithm's "steps" or "eval_interval": one number or one per task kind.
PerKind read_per_kind(ConfigReader& r, const json& j, const std::string& field,
                      const std::string& where) {
  PerKind out;
  if (!r.has(field)) return out;
  if (!j[field].is_object()) {
    out.all = r.integer(field, 1, 1, kMaxSteps);  // also rejects non-integers
    return out;
  }
  r.object(field);
  ConfigReader k(j[field], where + ": " + field);
  for (auto it = j[field].begin(); it != j[field].end(); ++it)
    out.kinds[it.key()] = k.integer(it.key(), 1, 1, kMaxSteps);
  if (out.kinds.empty()) fail(where, field, "is an empty object: give {\"default\": N}");
  return out;
}

}  // namespace

std::vector<uint64_t> read_seeds(const json& j, const std::string& where, uint64_t first) {
  if (!j.contains("seeds")) return {first, first + 1, first + 2, first + 3, first + 4};
  const json& s = j["seeds"];
  std::vector<uint64_t> seeds;
  if (s.is_number_integer()) {
    ConfigReader r(j, where);
    const int64_t n = r.integer("seeds", 5, 1, 100000);
    for (int64_t k = 0; k < n; ++k) seeds.push_back(first + static_cast<uint64_t>(k));
    return seeds;
  }
  if (!s.is_array() || s.empty())
    fail(where, "seeds", "must be a count (5) or a non-empty list of seeds ([1, 2, 3])");
  std::set<uint64_t> seen;
  for (const auto& e : s) {
    if (!e.is_number_integer() || e.get<int64_t>() < 0)
      fail(where, "seeds", "must list non-negative integers, got " + e.dump());
    const uint64_t seed = e.get<uint64_t>();
    if (!seen.insert(seed).second)
      fail(where, "seeds", "lists seed " + std::to_string(seed) + " twice");
    seeds.push_back(seed);
  }
  return seeds;
}

namespace {

const json& array_field(const json& j, const std::string& key, const std::string& where,
                        const std::string& example) {
  if (!j.contains(key)) fail(where, key, "is required, e.g. \"" + key + "\": " + example);
  const json& a = j[key];
  if (!a.is_array() || a.empty())
    fail(where, key, "must be a non-empty list, e.g. \"" + key + "\": " + example);
  return a;
}

std::vector<SuiteClaim> read_claims(const json& j, const Suite& suite, const std::string& where) {
  const json& claims =
      array_field(j, "claims", where, R"([{"claim": "A beats B", "a": "A", "b": "B"}])");
  std::vector<SuiteClaim> out;
  for (size_t i = 0; i < claims.size(); ++i) {
    const std::string at = where + ": claims[" + std::to_string(i) + "]";
    if (!claims[i].is_object())
      fail(where, "claims", "must list objects {\"claim\", \"a\", \"b\"}");
    reject_unknown(claims[i], at, {"claim", "a", "b", "tasks"});
    ConfigReader r(claims[i], at);
    SuiteClaim c;
    for (const char* f : {"claim", "a", "b"})
      if (!r.has(f)) fail(at, f, "is required");
    c.claim = r.text("claim", "");
    c.a = r.text("a", "");
    c.b = r.text("b", "");
    for (const std::string* label : {&c.a, &c.b}) {
      bool found = false;
      for (const auto& algo : suite.algorithms)
        found = found || (algo.label == *label && algo.role == Role::kContender);
      if (!found)
        fail(at, label == &c.a ? "a" : "b",
             "= '" + *label + "' is not the label of a contender of the suite");
    }
    if (c.a == c.b) fail(at, "b", "names the same label as \"a\"");
    if (claims[i].contains("tasks")) {
      const json& t = claims[i]["tasks"];
      if (!t.is_array() || t.empty()) fail(at, "tasks", "must be a non-empty list of task labels");
      for (const auto& e : t) {
        bool found = false;
        for (const auto& task : suite.tasks) found = found || (e.is_string() && task.label == e);
        if (!found) fail(at, "tasks", "lists " + e.dump() + ", the label of no task of the suite");
        c.tasks.push_back(e.get<std::string>());
      }
    } else {
      for (const auto& task : suite.tasks) c.tasks.push_back(task.label);
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The protocol's references, after the contenders; and the checks that every contender uses the
// task's start and feedback as they are.
void add_references(Suite& suite, const std::string& where) {
  for (const auto& algo : suite.algorithms) {
    const std::string at = where + ": algorithm '" + algo.label + "'";
    if (algo.label == "start" || algo.label == "oracle")
      fail(at, "label",
           "= '" + algo.label + "' is reserved in a protocol suite: the runner adds the " +
               "references \"start\" and \"oracle\" itself");
    std::vector<json> configs = {algo.config}, policies = {algo.policy};
    for (const auto& [kind, c] : algo.config_by_kind) configs.push_back(c);
    for (const auto& [kind, p] : algo.policy_by_kind) policies.push_back(p);
    for (const auto& task : suite.tasks) {
      for (const json& c : configs)
        for (auto it = task.protocol->feedback.begin(); it != task.protocol->feedback.end(); ++it)
          if (c.contains(it.key()))
            fail(at, "config." + it.key(),
                 "is set, but on task '" + task.label + "' it is the task's feedback " +
                     "(protocol.feedback." + it.key() +
                     "): every contender learns from the same feedback; remove it here");
      for (const json& p : policies)
        for (auto it = task.protocol->start.begin(); it != task.protocol->start.end(); ++it)
          if (p.contains(it.key()))
            fail(at, "policy." + it.key(),
                 "is set, but on task '" + task.label + "' the start policy is the task's " +
                     "(protocol.start." + it.key() + "): every contender starts from it");
    }
  }
  for (const auto& task : suite.tasks) {
    for (auto it = task.protocol->feedback.begin(); it != task.protocol->feedback.end(); ++it) {
      bool used = false;
      for (const auto& algo : suite.algorithms)
        used = used || algo.resolved_config.contains(it.key());
      if (!used)
        fail(where + ": task '" + task.label + "': protocol.feedback", it.key(),
             "is a field of no contender (a misspelt one?)");
    }
  }
  SuiteAlgorithm start;
  start.label = start.name = "start";
  start.role = Role::kStart;
  SuiteAlgorithm oracle;
  oracle.label = "oracle";
  oracle.name = "ppo";
  oracle.role = Role::kOracle;
  for (SuiteAlgorithm* r : {&start, &oracle})
    r->resolved_config =
        algorithms::make_algorithm(r->name, r->config, where + ": reference '" + r->label + "'")
            ->config();
  suite.algorithms.push_back(std::move(start));
  suite.algorithms.push_back(std::move(oracle));
}

// The files and folders a run's configuration names exist, so a mistyped path fails when the suite
// is read rather than in every one of its runs (single_run.cc checks what is in them).
void check_named_paths(const json& config, const json& policy, const std::string& where) {
  auto named = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
  };
  const std::string reward_model = named(config, "reward_model");
  if (!reward_model.empty() && !fs::is_regular_file(fs::path(reward_model) / "reward_model.json"))
    throw Error(where + ": reward_model \"" + reward_model +
                "\" is not the folder of a finished `reward_model` run (no reward_model.json)");
  const std::string dataset = named(config, "dataset");
  if (!dataset.empty() && !fs::is_regular_file(dataset))
    throw Error(where + ": dataset \"" + dataset + "\" is not a file");
  const std::string start = named(policy, "start_from");
  if (!start.empty() && start.rfind("expert:", 0) != 0 &&
      !fs::is_regular_file(fs::path(start) / "checkpoint.pt"))
    throw Error(where + ": policy start_from \"" + start +
                "\" is not a run folder with a checkpoint.pt (nor an expert:SNAPSHOT name)");
}

}  // namespace

std::string SuiteRun::key() const {
  return task->label + "/" + algorithm->label + "/seed-" + std::to_string(seed);
}

Suite load_suite(const std::string& path) {
  const json j = read_json_file(path);
  Suite suite = suite_from_json(j, path, std::filesystem::path(path).stem().string());
  suite.source_file = path;
  return suite;
}

Suite suite_from_json(const json& j, const std::string& where, const std::string& default_name) {
  if (!j.is_object())
    throw Error(where + ": a suite is a JSON object, got " + std::string(j.type_name()));
  reject_unknown(j, where, kTopFields);
  Suite suite;
  ConfigReader top(j, where);
  suite.name = top.text("name", default_name);
  check_label(suite.name, where, "name");
  suite.threads = top.integer("threads", 1, 1, 256);
  const json eval = top.object("eval");
  ConfigReader eval_reader(eval, where + ": eval");
  const int64_t eval_interval = eval_reader.integer("interval", 20000, 1, kMaxSteps);
  const int64_t eval_episodes = eval_reader.integer("episodes", 10, 1, 1000000);
  eval_reader.finish();
  const StepsSpec steps = read_steps(j, where);
  suite.seeds = read_seeds(j, where, 1);

  // tasks
  const json& tasks = array_field(j, "tasks", where, "[{\"env\": \"Hopper-v5\"}]");
  std::set<std::string> kinds_used;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const std::string at = where + ": tasks[" + std::to_string(i) + "]";
    ConfigReader r(tasks[i], at);
    SuiteTask task;
    if (!r.has("env")) fail(at, "env", "is required: a registered env id (`tandem list envs`)");
    task.env_id = r.text("env", "");
    bool registered = false;
    std::string ids;
    for (const auto* reg : envs::registered_envs()) {
      registered = registered || reg->id == task.env_id;
      ids += (ids.empty() ? "" : ", ") + reg->id;
    }
    if (!registered) {
      fail(at, "env",
           "= '" + task.env_id + "' is not a registered env (registered: " + ids +
               "; see `tandem list envs`)");
    }
    task.options = r.object("options");
    task.label = r.text("label", slash_to_underscore(task.env_id));
    check_label(task.label, at, "label");
    // the report keeps its figures beside the task folders
    if (task.label == "figures") fail(at, "label", "= 'figures' is reserved for the report");
    if (task.label == "tuning")
      fail(at, "label", "= 'tuning' is reserved for the tuning phase's runs (tuning.h)");
    task.kind = r.text("kind", "default");
    kinds_used.insert(task.kind);
    if (r.has("steps")) {
      task.steps = r.integer("steps", 1, 1, kMaxSteps);
    } else if (!steps.by_kind) {
      task.steps = steps.all;
    } else {
      auto it = steps.kinds.find(task.kind);
      if (it == steps.kinds.end()) it = steps.kinds.find("default");
      if (it == steps.kinds.end()) {
        fail(at, "kind",
             "= '" + task.kind + "' has no entry in the suite's \"steps\" and there " +
                 "is no \"default\": add \"" + task.kind +
                 "\": N to \"steps\" or give this task its own \"steps\"");
      }
      task.steps = it->second;
    }
    const json task_eval = r.object("eval");
    ConfigReader er(task_eval, at + ": eval");
    task.eval_interval = er.integer("interval", eval_interval, 1, kMaxSteps);
    task.eval_episodes = er.integer("episodes", eval_episodes, 1, 1000000);
    er.finish();
    if (r.has("protocol")) {
      const json p = r.object("protocol");
      ConfigReader pr(p, at + ": protocol");
      task.protocol = TaskProtocol{pr.object("start"), pr.object("feedback"), pr.object("oracle")};
      pr.finish();
    }
    r.finish();
    if (i > 0 && task.protocol.has_value() != suite.tasks[0].protocol.has_value())
      fail(at, "protocol",
           "is given for some tasks and not others: a protocol suite gives every task its "
           "start and feedback");
    for (const auto& other : suite.tasks) {
      if (other.label == task.label) {
        fail(at, "label",
             "= '" + task.label + "' is used by two tasks: give each a distinct " +
                 "\"label\" (it names the results folder)");
      }
    }
    suite.tasks.push_back(std::move(task));
  }
  // a kind nobody uses is most likely a misspelt one
  for (const auto& [kind, n] : steps.kinds) {
    if (kind == "default" || kinds_used.count(kind)) continue;
    std::string list;
    for (const auto& k : kinds_used) list += (list.empty() ? "" : ", ") + k;
    fail(where + ": steps", kind,
         "names no task kind (kinds in use: " + (list.empty() ? "none" : list) +
             "); set a task's \"kind\" to it or remove it");
  }

  // algorithms
  const json& algos = array_field(j, "algorithms", where, "[{\"name\": \"ppo\"}]");
  for (size_t i = 0; i < algos.size(); ++i) {
    const std::string at = where + ": algorithms[" + std::to_string(i) + "]";
    ConfigReader r(algos[i], at);
    SuiteAlgorithm algo;
    if (!r.has("name"))
      fail(at, "name", "is required: a registered algorithm (`tandem list algorithms`)");
    algo.name = r.text("name", "");
    bool registered = false;
    std::string names;
    for (const auto* reg : algorithms::registered_algorithms()) {
      registered = registered || reg->name == algo.name;
      names += (names.empty() ? "" : ", ") + reg->name;
    }
    if (!registered) {
      fail(at, "name",
           "= '" + algo.name + "' is not a registered algorithm (registered: " + names +
               "; see `tandem list algorithms`)");
    }
    algo.label = r.text("label", algo.name);
    check_label(algo.label, at, "label");
    algo.config = r.object("config");
    algo.policy = r.object("policy");
    const json by_kind = r.object("by_kind");
    algo.steps = read_per_kind(r, algos[i], "steps", at);
    algo.eval_interval = read_per_kind(r, algos[i], "eval_interval", at);
    r.finish();
    for (auto it = by_kind.begin(); it != by_kind.end(); ++it) {
      const std::string kat = at + ": by_kind: " + it.key();
      if (!it->is_object())
        fail(at + ": by_kind", it.key(), "must be {\"config\": {...}, \"policy\": {...}}");
      ConfigReader k(*it, kat);
      algo.config_by_kind[it.key()] = k.object("config");
      algo.policy_by_kind[it.key()] = k.object("policy");
      k.finish();
    }
    for (const auto& other : suite.algorithms) {
      if (other.label == algo.label) {
        fail(at, "label",
             "= '" + algo.label + "' is used twice: the same algorithm may " +
                 "appear more than once, under distinct \"label\"s");
      }
    }
    suite.algorithms.push_back(std::move(algo));
  }

  // sweep: extra labels right after the swept one
  if (j.contains("sweep")) {
    const std::string at = where + ": sweep";
    const json& s = j["sweep"];
    if (!s.is_object())
      fail(where, "sweep", "must be an object {\"field\": ..., \"values\": [...]}");
    reject_unknown(s, at, {"algorithm", "field", "values", "short"});
    suite.sweep = s;
    ConfigReader r(s, at);
    std::string label = r.text("algorithm", "");
    if (label.empty()) {
      if (suite.algorithms.size() != 1)
        fail(at, "algorithm",
             "is required when the suite has several algorithms: the label to sweep");
      label = suite.algorithms[0].label;
    }
    if (!r.has("field")) fail(at, "field", "is required: \"config.NAME\" or \"policy.NAME\"");
    const FieldPath field = parse_field_path(r.text("field", ""), at, "field");
    const bool in_config = field.in_config;
    const std::string& path = field.path;
    const std::string short_name = r.text("short", path.substr(path.rfind('.') + 1));
    check_label(short_name, at, "short");
    const json& values = array_field(s, "values", at, "[0.001, 0.0003]");
    size_t base = suite.algorithms.size();
    for (size_t k = 0; k < suite.algorithms.size(); ++k)
      if (suite.algorithms[k].label == label) base = k;
    if (base == suite.algorithms.size())
      fail(at, "algorithm", "= '" + label + "' is not the label of any algorithm of the suite");
    std::vector<SuiteAlgorithm> expanded;
    for (const auto& v : values) {
      SuiteAlgorithm algo = suite.algorithms[base];
      algo.sweep_value = value_text(v, at);
      algo.label = label + "_" + short_name + "=" + algo.sweep_value;
      for (char& c : algo.label)
        if (!valid_label_char(c)) c = '_';
      set_path(in_config ? algo.config : algo.policy, path, v);
      for (const auto& other : suite.algorithms)
        if (other.label == algo.label)
          fail(at, "values", "gives the label '" + algo.label + "' twice");
      for (const auto& other : expanded)
        if (other.label == algo.label)
          fail(at, "values", "gives the label '" + algo.label + "' twice");
      expanded.push_back(std::move(algo));
    }
    suite.algorithms.insert(suite.algorithms.begin() + static_cast<std::ptrdiff_t>(base) + 1,
                            expanded.begin(), expanded.end());
  }

  // every algorithm config, and every task × policy pair, is built once here
  for (auto& algo : suite.algorithms) {
    const std::string at =
        where + ": algorithm '" + algo.label + "'" +
        (algo.sweep_value.empty() ? "" : " (sweep value " + algo.sweep_value + ")");
    algo.resolved_config = algorithms::make_algorithm(algo.name, algo.config, at)->config();
    std::set<std::string> kinds = {"default"};
    for (const auto& task : suite.tasks) kinds.insert(task.kind);
    for (const auto& [kind, config] : algo.config_by_kind) {
      if (!kinds.count(kind)) fail(at + ": by_kind", kind, "names no task kind of the suite");
      json merged = algo.config;
      merged.merge_patch(config);
      algorithms::make_algorithm(algo.name, merged, at + " on " + kind + " tasks");
    }
    for (const char* field : {"steps", "eval_interval"}) {
      const PerKind& given = std::string(field) == "steps" ? algo.steps : algo.eval_interval;
      for (const auto& [kind, n] : given.kinds)
        if (!kinds.count(kind)) fail(at + ": " + field, kind, "names no task kind of the suite");
    }
  }
  suite.protocol = suite.tasks[0].protocol.has_value();
  if (suite.protocol) add_references(suite, where);
  if (j.contains("claims")) suite.claims = read_claims(j, suite, where);
  if (j.contains("tuning")) {
    if (!suite.protocol)
      fail(where, "tuning",
           "needs a protocol suite (every task's \"protocol\"): the choice is made on scores "
           "normalized against the start and the oracle");
    suite.tuning = read_tuning(j, suite, where);
  }
  for (const auto& task : suite.tasks) {
    std::unique_ptr<envs::Env> env;
    try {
      env = envs::make_env(task.env_id, task.options);
    } catch (const Error& e) {
      throw Error(where + ": task '" + task.label + "': " + e.what());
    }
    for (const auto& algo : suite.algorithms) {
      const SuiteRun run{&task, &algo, 1};
      agents::check_policy_config(
          *env, run.policy(),
          where + ": algorithm '" + algo.label + "' policy on task '" + task.label + "'");
      check_named_paths(run.config(), run.policy(),
                        where + ": algorithm '" + algo.label + "' on task '" + task.label + "'");
      if (suite.protocol)  // the task's feedback (or oracle) fields over the algorithm's
        algorithms::make_algorithm(
            algo.name, run.config(),
            where + ": algorithm '" + algo.label + "' on task '" + task.label + "'");
    }
  }
  return suite;
}

int64_t PerKind::value(const std::string& kind, int64_t fallback) const {
  for (const std::string& k : {kind, std::string("default")}) {
    auto it = kinds.find(k);
    if (it != kinds.end()) return it->second;
  }
  return all.value_or(fallback);
}

json PerKind::to_json() const {
  if (all) return *all;
  return kinds;
}

int64_t SuiteRun::steps() const { return algorithm->steps.value(task->kind, task->steps); }

int64_t SuiteRun::eval_interval() const {
  return algorithm->eval_interval.value(task->kind, task->eval_interval);
}

json SuiteRun::config() const {
  json out = algorithm->config;
  if (auto it = algorithm->config_by_kind.find(task->kind); it != algorithm->config_by_kind.end())
    out.merge_patch(it->second);
  if (auto it = algorithm->config_by_task.find(task->label); it != algorithm->config_by_task.end())
    out.merge_patch(it->second);
  if (!task->protocol) return out;
  if (algorithm->role == Role::kOracle) out.merge_patch(task->protocol->oracle);
  if (algorithm->role == Role::kContender)
    for (auto it = task->protocol->feedback.begin(); it != task->protocol->feedback.end(); ++it)
      if (algorithm->resolved_config.contains(it.key())) out[it.key()] = it.value();
  return out;
}

json SuiteRun::policy() const {
  json out = algorithm->policy;
  if (auto it = algorithm->policy_by_kind.find(task->kind); it != algorithm->policy_by_kind.end())
    out.merge_patch(it->second);
  if (auto it = algorithm->policy_by_task.find(task->label); it != algorithm->policy_by_task.end())
    out.merge_patch(it->second);
  if (task->protocol) out.merge_patch(task->protocol->start);
  return out;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::kContender:
      return "contender";
    case Role::kStart:
      return "start";
    case Role::kOracle:
      return "oracle";
  }
  return "?";
}

std::vector<SuiteRun> Suite::runs() const {
  std::vector<SuiteRun> out;
  for (uint64_t seed : seeds)
    for (const auto& task : tasks)
      for (const auto& algo : algorithms) out.push_back(SuiteRun{&task, &algo, seed});
  return out;
}

json Suite::resolved() const {
  json t = json::array(), a = json::array();
  for (const auto& task : tasks) {
    json entry = {{"label", task.label},
                  {"env", task.env_id},
                  {"options", task.options},
                  {"kind", task.kind},
                  {"steps", task.steps},
                  {"eval", {{"interval", task.eval_interval}, {"episodes", task.eval_episodes}}}};
    if (task.protocol)
      entry["protocol"] = {{"start", task.protocol->start},
                           {"feedback", task.protocol->feedback},
                           {"oracle", task.protocol->oracle}};
    t.push_back(entry);
  }
  for (const auto& algo : algorithms) {
    json entry = {{"label", algo.label},
                  {"name", algo.name},
                  {"config", algo.resolved_config},
                  {"policy", algo.policy},
                  {"role", role_name(algo.role)}};
    if (!algo.config_by_kind.empty()) {
      json by_kind = json::object();
      for (const auto& [kind, config] : algo.config_by_kind)
        by_kind[kind] = {{"config", config}, {"policy", algo.policy_by_kind.at(kind)}};
      entry["by_kind"] = by_kind;
    }
    if (!algo.steps.empty()) entry["steps"] = algo.steps.to_json();
    if (!algo.eval_interval.empty()) entry["eval_interval"] = algo.eval_interval.to_json();
    if (!algo.sweep_value.empty()) entry["sweep_value"] = algo.sweep_value;
    if (!algo.config_by_task.empty() || !algo.policy_by_task.empty()) {
      json by_task = json::object();
      for (const auto& task : tasks) {
        auto c = algo.config_by_task.find(task.label);
        auto p = algo.policy_by_task.find(task.label);
        if (c == algo.config_by_task.end() && p == algo.policy_by_task.end()) continue;
        by_task[task.label] = {
            {"config", c == algo.config_by_task.end() ? json::object() : c->second},
            {"policy", p == algo.policy_by_task.end() ? json::object() : p->second}};
      }
      entry["by_task"] = by_task;
    }
    a.push_back(entry);
  }
  json out = {{"name", name},
              {"source", source_file},
              {"tasks", t},
              {"algorithms", a},
              {"seeds", seeds},
              {"threads", threads},
              {"runs", tasks.size() * algorithms.size() * seeds.size()}};
  if (!sweep.is_null()) out["sweep"] = sweep;
  if (!claims.empty()) {
    json c = json::array();
    for (const auto& claim : claims)
      c.push_back({{"claim", claim.claim}, {"a", claim.a}, {"b", claim.b}, {"tasks", claim.tasks}});
    out["claims"] = c;
  }
  out["protocol"] = protocol;
  if (tuning) {
    out["tuning"] = {{"seeds", tuning->seeds},
                     {"metric", tuning->metric},
                     {"points", tuning->points},
                     {"grids", tuning->as_written.value("grids", json::object())}};
    if (!tuning_selection.is_null()) out["tuning"]["selection"] = tuning_selection;
  }
  return out;
}

json Suite::expected_run_config(const SuiteRun& run) const {
  // what train_run will resolve: the task's env recommends settings of its own
  const TunedConfig tuned = apply_recommended(
      envs::make_env(run.task->env_id, run.task->options)->spec(), run.algorithm->name,
      run.config(), run.policy(), "suite algorithm '" + run.algorithm->label + "'");
  return {{"env", {{"id", run.task->env_id}, {"options", run.task->options}}},
          {"algorithm", {{"name", run.algorithm->name}, {"config", tuned.algorithm}}},
          {"policy", tuned.policy},
          {"seed", run.seed},
          {"steps", run.steps()},
          {"eval",
           {{"interval", run.eval_interval()},
            {"episodes", run.task->eval_episodes},
            {"deterministic", tuned.eval_deterministic}}},
          {"threads", threads}};
}

json comparable_run_config(const json& config) {
  json out = json::object();
  for (const char* key : {"env", "algorithm", "policy", "seed", "steps", "eval", "threads"}) {
    if (config.contains(key)) out[key] = config[key];
  }
  return out;
}

std::string first_difference(const json& expected, const json& actual, const std::string& asker) {
  const json patch = json::diff(actual, expected);
  if (patch.empty()) return "";
  const std::string path = patch[0].value("path", std::string("/"));
  const json::json_pointer pointer(path);
  const std::string was = actual.contains(pointer) ? actual[pointer].dump() : "(absent)";
  const std::string now = expected.contains(pointer) ? expected[pointer].dump() : "(absent)";
  return path.substr(1) + " is " + was + " in its config.json but " + now + " in " + asker;
}

bool matches_pattern(const std::string& key, const std::string& pattern) {
  if (pattern.find_first_of("*?[") != std::string::npos)
    return ::fnmatch(pattern.c_str(), key.c_str(), 0) == 0;
  return key.find(pattern) != std::string::npos;
}

}  // namespace tandem::suites
