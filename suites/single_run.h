// One training run: env × algorithm × seed, resolved from defaults, a JSON config file and
// --set overrides, written to its run folder (config.json, metrics.jsonl, checkpoint.pt, done).
// The CLI's `train` and `eval` commands and the suite runner all go through here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "algorithms/evaluation.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::suites {

struct RunRequest {
  std::string env_id = "Hopper-v5";
  std::string algorithm = "ppo";
  uint64_t seed = 1;
  int64_t steps = 1000000;
  int64_t eval_interval = 20000;
  int64_t eval_episodes = 10;
  int threads = 1;
  std::string out_dir;           // empty: results/runs/{env}__{algo}__{seed}
  std::string config_file;       // optional JSON: {"algorithm": {}, "policy": {}, "env": {}}
  std::vector<std::string> set;  // KEY=VALUE; "policy.x", "env.x", anything else: the algorithm
  bool progress = true;
  // Continue an interrupted run of the same configuration in out_dir from its checkpoint
  // (on-policy algorithms; the others start again); a different configuration, or a finished
  // run, is an error. Without it, a run in out_dir is an error (train_run).
  bool resume = false;
};

struct RunOutcome {
  std::string out_dir;
  bool resumed = false;  // continued from a checkpoint
  algorithms::EvalStats final_eval;
  double wall_seconds = 0;
};

// What a run on an env resolves to once the env's recommended settings (EnvSpec::recommended)
// sit between the algorithm's defaults and the user's values.
struct TunedConfig {
  json algorithm;  // the algorithm's full config
  json policy;     // the policy config (recommended fields, then the user's)
  bool eval_deterministic = true;
};
TunedConfig apply_recommended(const envs::EnvSpec& spec, const std::string& algorithm,
                              const json& algorithm_config, const json& policy_config,
                              const std::string& where);

// The fully resolved configuration of a request (defaults included), as config.json holds it.
json resolve_run_config(const RunRequest& request);
// Trains the run into out_dir. Never discards a run there: a finished one (`done`) is refused,
// an interrupted one (a checkpoint, metrics lines) too unless request.resume continues it; an
// empty, absent or unrelated folder is fine. Everything that can fail before the run starts —
// the configuration, the env, the policy (start_from), the files the algorithm config names
// (reward_model, dataset, expert; each checked to be of this env) — fails before the folder is
// touched, and a failure before the run wrote a checkpoint or a metrics line puts back what it
// changed. Throws tandem::Error naming the folder and --resume / --out.
RunOutcome train_run(const RunRequest& request);

struct EvalRequest {
  std::string checkpoint;  // a run's checkpoint.pt; its config.json must sit beside it
  int64_t episodes = 10;
  uint64_t seed = 12345;
  bool deterministic = true;
};
algorithms::EvalStats eval_checkpoint(const EvalRequest& request);

// "Hopper-v5__ppo__1": the run name (slashes in ids become underscores).
std::string run_name(const std::string& env_id, const std::string& algorithm, uint64_t seed);
std::string git_revision();

}  // namespace tandem::suites
