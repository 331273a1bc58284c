// A suite: tasks × algorithms × seeds, described by one JSON file and expanded into runs that
// write results/<suite>/<task label>/<algorithm label>/seed-<k>/.
//
// Schema (every field but "tasks" and "algorithms" has a default; unknown fields and
// out-of-range values are errors naming the file and the field):
//
//   {
//     "name": "smoke",                  // default: the file name without .json; the results
//                                       //   folder; letters, digits and . _ - = +
//     "tasks": [                        // at least one
//       {"env": "Hopper-v5",            // a registered env id (`tandem list envs`)
//        "options": {},                 // env options, as `--set env.NAME=VALUE` (default {})
//        "label": "Hopper-v5",          // folder name (default: the env id, '/' → '_');
//                                       //   unique within the suite
//        "kind": "control",             // names an entry of the suite's "steps" (default
//                                       //   "default"); a free name, e.g. "text"
//        "steps": 200000,               // this task's budget, over the suite's "steps"
//        "eval": {"interval": 10000, "episodes": 5},   // over the suite's "eval", field by field
//        "protocol": {                  // optional (all tasks or none): a fair comparison
//          "start": {"start_from": "expert:early"},  // π₀: policy fields of every run of the
//                                       //   task (contenders and references); {} the default
//          "feedback": {"pairs": 500, "demonstrations": 10},  // algorithm fields every
//                                       //   contender that has them uses: one feedback set
//          "oracle": {"kl_coef": 0.05}}}  // the oracle's ppo config (its anchor)
//     ],
//     "algorithms": [                   // at least one
//       {"name": "ppo",                 // a registered algorithm (`tandem list algorithms`)
//        "label": "ppo",                // folder name (default: the name); unique, so the same
//                                       //   algorithm may appear twice with different configs
//        "config": {"learning_rate": 1e-4},   // algorithm fields over its defaults
//        "policy": {"hidden": [64, 64]},      // policy fields over its defaults (optional)
//        "by_kind": {"text": {"config": {"pairs": 1000}, "policy": {}}},  // on tasks of a
//                                       //   kind, these fields over "config" and "policy"
//        "steps": {"text": 2000},       // this algorithm's budget, over the tasks' (a number,
//                                       //   or by task kind, falling back to "default" and
//                                       //   then to the task's): offline learners count
//                                       //   pairs or demonstrations processed, not env steps
//        "eval_interval": {"control": 1000}}  // its evaluations' spacing, over the tasks'
//                                       //   (the same forms): an offline learner's early
//                                       //   stopping acts only at evaluations
//     ],
//     "seeds": [1, 2, 3],               // a list of distinct seeds, or a count n: seeds 1..n
//                                       //   (default 5)
//     "steps": 1000000,                 // env steps per run: a number for every task, or
//                                       //   {"default": 1000000, "text": 20000} keyed by task
//                                       //   kind (default 1000000, as `tandem train`)
//     "eval": {"interval": 20000, "episodes": 10},   // evaluation, as `tandem train` (default)
//     "threads": 1,                     // torch and env threads per run (default 1); part of
//                                       //   the experiment: results depend on it
//     "claims": [                       // optional: what the suite tests; the report gives each
//       {"claim": "APA beats PPO",      //   the CI of the difference of normalized scores and
//        "a": "apa", "b": "ppo",        //   its verdict (holds / refuted / inconclusive);
//        "tasks": ["text_sort"]}],      //   labels of contenders; tasks: default all (a
//                                       //   protocol suite's: scores are 0 = start, 1 = oracle)
//     "tuning": {"seeds": 2, "grids": {"ppo": {"config.learning_rate": [3e-4, 1e-4]}}},
//                                       // optional, a protocol suite's: fair tuning (tuning.h)
//     "sweep": {                        // optional: one field, several values
//       "algorithm": "ppo",             // the label to sweep (default: the only algorithm)
//       "field": "config.learning_rate",// "config.NAME" or "policy.NAME" (nested with dots)
//       "values": [1e-3, 1e-4],         // each adds the label "<label>_<short>=<value>"
//       "short": "lr"}                  // the name in the labels (default: the field's last
//                                       //   component), so "ppo_lr=0.001", "ppo_lr=0.0001"
//   }
//
// A protocol suite (docs/protocol.md) adds two references to every task, after the
// suite's algorithms, the contenders: "start" (the start policy π₀, evaluated, trained not at
// all: score 0) and "oracle" (PPO on the task's own reward — a text task's gold reward, a control
// env's true reward — from π₀, with the task's env-step budget: score 1). The labels "start" and
// "oracle" are then reserved. Every contender on a task starts from the task's π₀ and uses its
// feedback fields; a contender that sets one of them itself (config, by_kind or policy) is an
// error, as is a feedback field no contender has.
//
// A sweep keeps the swept algorithm's own label (the baseline of the comparison) and adds one
// label per value. Every task × algorithm pair is checked when the suite is read (the env and
// the policy are built, the algorithm config validated), so a typo fails before any run starts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "envs/config.h"
#include "suites/tuning.h"

namespace tandem::suites {

// What a protocol task fixes for every contender.
struct TaskProtocol {
  json start = json::object();     // policy fields of π₀
  json feedback = json::object();  // algorithm fields of the feedback (pairs, demonstrations, ...)
  json oracle = json::object();    // the oracle's ppo config overrides
};

struct SuiteTask {
  std::string label;
  std::string env_id;
  json options = json::object();
  std::string kind = "default";
  int64_t steps = 1000000;
  int64_t eval_interval = 20000;
  int64_t eval_episodes = 10;
  std::optional<TaskProtocol> protocol;
};

// A label's part in a protocol suite: contenders are ranked, references frame them.
enum class Role { kContender, kStart, kOracle };
const char* role_name(Role role);  // "contender", "start", "oracle"

// A number an algorithm gives once or per task kind: "steps": 40000, or
// "steps": {"control": 40000, "text": 4000, "default": 20000}.
struct PerKind {
  std::optional<int64_t> all;
  std::map<std::string, int64_t> kinds;
  // For a task of `kind`: its kind's entry, else "default"'s, else `all`, else `fallback`.
  int64_t value(const std::string& kind, int64_t fallback) const;
  bool empty() const { return !all && kinds.empty(); }
  json to_json() const;  // as written
};

struct SuiteAlgorithm {
  std::string label;
  std::string name;
  json config = json::object();           // the overrides, as written in the suite
  json resolved_config = json::object();  // every field, defaults included
  json policy = json::object();           // policy overrides
  std::string sweep_value;                // the swept value as it appears in the label, or ""
  Role role = Role::kContender;
  std::map<std::string, json> config_by_kind, policy_by_kind;  // "by_kind" overrides
  // by task label, over by_kind: a tuned choice (tuning.h), or a tuning point
  std::map<std::string, json> config_by_task, policy_by_task;
  PerKind steps;  // the budget, over the task's
  // Evaluations' spacing, over the task's: an offline learner's budget counts pairs processed,
  // and its early stopping (patience) acts only at evaluations, so it may need its own.
  PerKind eval_interval;
};

// One task × algorithm × seed.
struct SuiteRun {
  const SuiteTask* task = nullptr;
  const SuiteAlgorithm* algorithm = nullptr;
  uint64_t seed = 1;
  // The run's budget, algorithm config and policy config: the algorithm's, with its overrides
  // for the task's kind, and on a protocol task its start (policy) and feedback (config) or, for
  // the oracle, its oracle config.
  int64_t steps() const;
  int64_t eval_interval() const;  // the algorithm's for the task's kind, else the task's
  json config() const;
  json policy() const;
  // "<task label>/<algorithm label>/seed-<k>": the run folder under results/<suite>/, and what
  // `tandem run --only PATTERN` matches.
  std::string key() const;
};

// "A beats B": the report's verdict on the difference of normalized scores A − B.
struct SuiteClaim {
  std::string claim;               // in words
  std::string a, b;                // algorithm labels
  std::vector<std::string> tasks;  // task labels (all when none were given)
};

struct Suite {
  std::string name;
  std::string source_file;
  std::vector<SuiteTask> tasks;
  std::vector<SuiteAlgorithm> algorithms;  // sweep labels included
  std::vector<uint64_t> seeds;
  int64_t threads = 1;
  json sweep;  // as written, or null
  std::vector<SuiteClaim> claims;
  bool protocol = false;  // every task has a protocol; the references are among the algorithms
  std::optional<SuiteTuning> tuning;  // "tuning" (a protocol suite's): its grids, tuning seeds
  json tuning_selection;              // the evaluation phase's choice (tuning.h), else null

  // Every run, seed-major (all tasks and algorithms of the first seed first), so a suite cut
  // short holds complete comparisons for its first seeds rather than all seeds of one task.
  std::vector<SuiteRun> runs() const;
  // The suite with everything resolved (labels, budgets, full algorithm configs, seed list):
  // what results/<suite>/suite.json holds.
  json resolved() const;
  // The part of a run's config.json that must match for a finished run to count as this
  // suite's run (env, algorithm with every field, policy, seed, steps, eval, threads).
  json expected_run_config(const SuiteRun& run) const;
};

// Reads and validates a suite file.
Suite load_suite(const std::string& path);
// The same from JSON already read; `where` names the source in messages, `default_name` is the
// name when the JSON has none.
Suite suite_from_json(const json& j, const std::string& where, const std::string& default_name);

// True when `pattern` selects `key`: a glob (fnmatch, '*' also crosses '/') when it holds any of
// * ? [, else a substring.
bool matches_pattern(const std::string& key, const std::string& pattern);

// The compared part of a config.json (see Suite::expected_run_config).
json comparable_run_config(const json& config);
// The first difference between the configuration asked for and a run folder's config.json,
// "" when none: "algorithm/config/learning_rate is 0.001 in its config.json but 0.0003 in
// <asker>".
std::string first_difference(const json& expected, const json& actual, const std::string& asker);

}  // namespace tandem::suites
