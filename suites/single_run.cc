#include "suites/single_run.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "agents/module_load.h"
#include "agents/policy_factory.h"
#include "agents/trajectory_reward.h"
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/expert.h"
#include "algorithms/feedback.h"
#include "algorithms/metrics.h"
#include "algorithms/reward_model.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/suite.h"

namespace tandem::suites {
namespace fs = std::filesystem;

std::string run_name(const std::string& env_id, const std::string& algorithm, uint64_t seed) {
  std::string env = env_id;
  for (char& c : env)
    if (c == '/') c = '_';
  return env + "__" + algorithm + "__" + std::to_string(seed);
}

std::string git_revision() {
  std::string cmd =
      std::string("git -C '") + TANDEM_SOURCE_DIR + "' rev-parse --short HEAD 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "unknown";
  char buf[64] = "";
  std::string rev = std::fgets(buf, sizeof(buf), p) ? buf : "unknown";
  ::pclose(p);
  while (!rev.empty() && (rev.back() == '\n' || rev.back() == '\r')) rev.pop_back();
  return rev.empty() ? "unknown" : rev;
}

TunedConfig apply_recommended(const envs::EnvSpec& spec, const std::string& algorithm,
                              const json& algorithm_config, const json& policy_config,
                              const std::string& where) {
  const json& recommended = spec.recommended;
  const json defaults = algorithms::make_algorithm(algorithm, json::object(), where)->config();
  json tuned = json::object();
  const json suggested = recommended.value("algorithm", json::object());
  for (const std::string& key : {std::string("*"), algorithm}) {
    const json fields = suggested.value(key, json::object());
    for (const auto& [field, value] : fields.items())
      if (defaults.contains(field)) tuned[field] = value;
  }
  tuned.merge_patch(algorithm_config);
  TunedConfig out;
  // building it validates every field and fills in the defaults
  out.algorithm = algorithms::make_algorithm(algorithm, tuned, where)->config();
  out.policy = recommended.value("policy", json::object());
  out.policy.merge_patch(policy_config);
  out.eval_deterministic =
      recommended.value("evaluation", json::object()).value("deterministic", true);
  return out;
}

namespace {

// A request resolved and built: its config.json, and the env and starting policy (start_from
// loaded) it was resolved against.
struct PreparedRun {
  json resolved;
  std::unique_ptr<envs::Env> env;
  agents::Policy policy;
};

PreparedRun prepare_run(const RunRequest& request) {
  json file = json::object();
  if (!request.config_file.empty()) file = read_json_file(request.config_file);
  const std::string where = request.config_file.empty() ? "command line" : request.config_file;
  ConfigReader top(file, where);
  json algorithm = top.object("algorithm"), policy = top.object("policy"), env = top.object("env");
  top.finish();
  for (const std::string& assignment : request.set) {
    if (assignment.rfind("policy.", 0) == 0) {
      apply_override(policy, assignment.substr(7));
    } else if (assignment.rfind("env.", 0) == 0) {
      apply_override(env, assignment.substr(4));
    } else {
      apply_override(algorithm, assignment);
    }
  }
  PreparedRun out;
  out.env = envs::make_env(request.env_id, env);
  const TunedConfig tuned = apply_recommended(out.env->spec(), request.algorithm, algorithm, policy,
                                              where + ": algorithm '" + request.algorithm + "'");
  const json& policy_config = tuned.policy;
  const bool deterministic = tuned.eval_deterministic;
  out.policy = agents::make_policy(*out.env, policy_config, where + ": policy", request.progress);
  out.resolved = {{"env", {{"id", request.env_id}, {"options", env}}},
                  {"algorithm", {{"name", request.algorithm}, {"config", tuned.algorithm}}},
                  {"policy", policy_config},
                  {"policy_description", out.policy->describe()},
                  {"seed", request.seed},
                  {"steps", request.steps},
                  {"eval",
                   {{"interval", request.eval_interval},
                    {"episodes", request.eval_episodes},
                    {"deterministic", deterministic}}},
                  {"threads", request.threads},
                  {"git_revision", git_revision()}};
  // "env"."options" and "policy" as given build the run (cache keys come from them); these are
  // every option and field in effect, defaults included, for the reader
  out.resolved["resolved"] = {{"env_options", out.env->spec().options},
                              {"policy", agents::resolved_policy_config(
                                             out.env->spec(), policy_config, where + ": policy")}};
  return out;
}

// A string field of a config object ("" when absent or not a string).
std::string string_field(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key) || !config[key].is_string()) return "";
  return config[key].get<std::string>();
}

// A run folder named by `what` was trained on this run's env, when its config.json says.
void check_trained_on(const std::string& dir, const std::string& what, const std::string& env_id) {
  const std::string path = dir + "/config.json";
  if (!fs::exists(path)) return;
  const std::string trained_on = string_field(read_json_file(path).value("env", json()), "id");
  if (!trained_on.empty() && trained_on != env_id)
    throw Error(what + " \"" + dir + "\" was trained on " + trained_on +
                " (its config.json), not " + env_id);
}

// The files the configuration names — the reward model, the preference dataset, the
// demonstrating expert's run, the start policy's run — loaded as the algorithm will load them, so
// a missing or mismatched one fails before the run folder is touched.
void check_named_files(const PreparedRun& run, const RunRequest& request) {
  const json& config = run.resolved["algorithm"]["config"];
  const std::string& env_id = request.env_id;
  const std::string where = "algorithm '" + request.algorithm + "'";

  const std::string reward_model = string_field(config, "reward_model");
  if (!reward_model.empty()) {
    const std::string what = where + ": reward_model";
    if (!fs::is_directory(reward_model))
      throw Error(what + " \"" + reward_model +
                  "\" is not a folder (give the folder of a finished `reward_model` run)");
    check_trained_on(reward_model, what, env_id);
    const std::string misfit = what + " \"" + reward_model + "\" does not fit " +
                               run.policy->describe() + " on " + env_id +
                               " (a reward model of another env or architecture?): ";
    try {
      agents::TrajectoryReward loaded =
          algorithms::load_reward_model(reward_model, *run.policy, run.env->spec());
      // loading takes tensors of any shape: compare with the model this run would build
      const std::string info_path = reward_model + "/reward_model.json";
      ConfigReader info(read_json_file(info_path), info_path);
      const json mlp = info.object("mlp");
      const std::string pooling = info.text("pooling", "last");
      agents::TrajectoryReward fresh = agents::make_trajectory_reward(
          *run.policy, run.env->spec().observation_space.flat_size(),
          run.env->spec().action_space.flat_size(), mlp, info_path, pooling);
      const std::string difference = agents::shape_difference(*fresh, *loaded);
      if (!difference.empty()) throw Error(misfit + difference);
    } catch (const c10::Error& e) {
      throw Error(misfit + e.what_without_backtrace());
    }
  }

  const std::string dataset = string_field(config, "dataset");
  if (!dataset.empty()) {
    if (!fs::is_regular_file(dataset))
      throw Error(where + ": dataset \"" + dataset +
                  "\" is not a file (give a preference file, see algorithms/feedback.h)");
    // replaying its episodes checks that they are episodes of this env
    try {
      algorithms::load_preferences(
          dataset, [&] { return envs::make_env(env_id, run.resolved["env"]["options"]); });
    } catch (const Error& e) {
      const std::string why = e.what();
      if (why.find(dataset) != std::string::npos) throw;
      throw Error(where + ": dataset \"" + dataset + "\" does not replay on " + env_id +
                  " (a preference file of another env?): " + why);
    }
  }

  const std::string expert = string_field(config, "expert");
  if (!expert.empty() && expert != "auto" && !algorithms::is_expert_name(expert)) {
    if (!fs::exists(expert + "/checkpoint.pt"))
      throw Error(where + ": expert \"" + expert +
                  "\" holds no checkpoint.pt (\"expert\" names a finished run's folder, \"auto\" "
                  "or \"expert:SNAPSHOT\")");
    try {
      algorithms::load_run_policy(expert, *run.env);
    } catch (const c10::Error& e) {
      throw Error(where + ": expert \"" + expert + "\": " + e.what_without_backtrace());
    }
  }

  // start_from's weights were loaded when the policy was built; its env is checked here
  const std::string start_from = string_field(run.resolved["policy"], "start_from");
  if (!start_from.empty() && !algorithms::is_expert_name(start_from))
    check_trained_on(start_from, "policy: start_from", env_id);
}

bool has_content(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0 && !ec;
}

// What a folder holds for `tandem train`.
enum class FolderRun {
  kNone,        // no run, or nothing a new run would lose (a start that never got going)
  kUnfinished,  // an interrupted run: a checkpoint or metrics that a fresh start would discard
  kFinished,    // its `done` exists
};

FolderRun folder_run(const std::string& dir) {
  if (fs::exists(dir + "/done")) return FolderRun::kFinished;
  if (fs::exists(dir + "/checkpoint.pt") || has_content(dir + "/metrics.jsonl"))
    return FolderRun::kUnfinished;
  return FolderRun::kNone;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The run folder before an attempt writes to it. An attempt that fails before it wrote results
// of its own (a checkpoint, a metrics line) takes back what it did: the folders it created go,
// config.json, metrics.jsonl and samples.jsonl get their bytes back (or go, when they were not
// there) — the folder is as it was.
class FolderSnapshot {
 public:
  explicit FolderSnapshot(const std::string& dir) : dir_(dir) {
    for (fs::path p = fs::absolute(dir); !fs::exists(p); p = p.parent_path()) {
      created_.push_back(p);
      if (p == p.parent_path()) break;
    }
    for (const char* name : {"config.json", "metrics.jsonl", "samples.jsonl"}) {
      const std::string path = dir_ + "/" + name;
      std::optional<std::string> bytes;
      if (fs::is_regular_file(path)) bytes = read_bytes(path);
      files_.emplace_back(path, std::move(bytes));
    }
  }

  // The folder is ready and the algorithm about to run: its own results are what changes now.
  void mark_start() {
    checkpoint_ = stamp(checkpoint_path());
    metrics_size_ = stamp(metrics_path()).size;
  }

  bool wrote_results() const {
    return stamp(checkpoint_path()) != checkpoint_ || stamp(metrics_path()).size != metrics_size_;
  }

  // Best effort: the error that brought us here is the one to report.
  void restore() const noexcept {
    try {
      std::error_code ec;
      for (const auto& [path, bytes] : files_) {
        if (!bytes) {
          fs::remove(path, ec);
        } else if (!fs::is_regular_file(path, ec) || read_bytes(path) != *bytes) {
          write_file_atomic(path, *bytes);
        }
      }
      for (const fs::path& d : created_)  // innermost first, each only when empty
        if (!fs::remove(d, ec)) break;
    } catch (const std::exception&) {
    }
  }

 private:
  struct Stamp {
    bool exists = false;
    uintmax_t size = 0;  // 0 when absent
    fs::file_time_type time{};
    bool operator!=(const Stamp& o) const {
      return exists != o.exists || size != o.size || time != o.time;
    }
  };
  static Stamp stamp(const std::string& path) {
    std::error_code ec;
    Stamp s;
    s.exists = fs::is_regular_file(path, ec);
    if (s.exists) {
      s.size = fs::file_size(path, ec);
      s.time = fs::last_write_time(path, ec);
    }
    return s;
  }
  std::string checkpoint_path() const { return dir_ + "/checkpoint.pt"; }
  std::string metrics_path() const { return dir_ + "/metrics.jsonl"; }

  std::string dir_;
  std::vector<fs::path> created_;  // innermost first
  std::vector<std::pair<std::string, std::optional<std::string>>> files_;
  Stamp checkpoint_;
  uintmax_t metrics_size_ = 0;
};

// The last evaluation of a metrics file, which must have reached `steps` env steps (or be the
// one where an offline learner stopped early).
algorithms::EvalStats final_evaluation(const std::string& metrics_path, int64_t steps) {
  const std::vector<json> lines = algorithms::read_metrics(metrics_path);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->contains("eval/return_mean")) continue;
    if (it->value("env_steps", int64_t{0}) < steps && !it->contains("offline/stopped_early")) break;
    algorithms::EvalStats s;
    s.return_mean = it->value("eval/return_mean", 0.0);
    s.return_std = it->value("eval/return_std", 0.0);
    s.return_min = it->value("eval/return_min", 0.0);
    s.return_max = it->value("eval/return_max", 0.0);
    s.length_mean = it->value("eval/length_mean", 0.0);
    return s;
  }
  throw Error(metrics_path +
              ": the run's checkpoint is at the end of its budget, but no "
              "evaluation there; remove the folder to train it again");
}

// Temporary files a killed save left in a run folder ("checkpoint.pt.tmp.<pid>", written by
// write_file_atomic): never a result, so a resumed run clears them.
void remove_leftover_temporaries(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 == name.size()) continue;
    if (name.find_first_not_of("0123456789", at + 5) != std::string::npos) continue;
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
}

// What rank 0 of a data-parallel run tells the other ranks before training: whether the run
// starts, and how.
enum RankWord : int64_t { kNoWord = 0, kStartFresh = 1, kResume = 2, kFailed = 3 };

std::string run_folder(const RunRequest& request) {
  return request.out_dir.empty()
             ? "results/runs/" + run_name(request.env_id, request.algorithm, request.seed)
             : request.out_dir;
}

algorithms::RunOptions run_options(const RunRequest& request, const json& resolved,
                                   const std::string& dir) {
  algorithms::RunOptions options;
  options.env_id = request.env_id;
  options.env_options = resolved["env"]["options"];
  options.policy = resolved["policy"];
  options.seed = request.seed;
  options.total_steps = request.steps;
  options.eval_interval = request.eval_interval;
  options.eval_episodes = request.eval_episodes;
  options.eval_deterministic = resolved["eval"]["deterministic"];
  options.out_dir = dir;
  options.threads = request.threads;
  options.progress = request.progress;
  return options;
}

// After training, every rank of a data-parallel run digests its parameters; rank 0 writes them
// to data_parallel.json and fails the run when they differ (the ranks left step: a bug).
void check_ranks_in_step(algorithms::Algorithm& algo, const std::string& dir) {
  algorithms::DataParallel* dp = algorithms::data_parallel();
  if (!dp) return;
  const uint64_t digest = algorithms::parameter_digest(*algo.policy());
  // two exact halves: a float64 holds 32 bits without rounding
  const torch::Tensor rows = dp->gather_rows(
      torch::tensor({static_cast<double>(digest >> 32), static_cast<double>(digest & 0xffffffffu)},
                    torch::kFloat64));
  if (dp->rank() > 0) return;
  json digests = json::array();
  bool identical = true;
  for (int r = 0; r < dp->world(); ++r) {
    const uint64_t d = (static_cast<uint64_t>(rows[r][0].item<double>()) << 32) |
                       static_cast<uint64_t>(rows[r][1].item<double>());
    char hex[20];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(d));
    digests.push_back(hex);
    identical = identical && d == digest;
  }
  write_file_atomic(dir + "/data_parallel.json", json({{"world", dp->world()},
                                                       {"parameter_digests", digests},
                                                       {"identical_parameters", identical}})
                                                         .dump(2) +
                                                     "\n");
  if (!identical)
    throw Error(dir +
                "/data_parallel.json: the data-parallel ranks' parameters differ after "
                "training (digests " +
                digests.dump() + "): the ranks left step, a bug");
}

// Rank r > 0: rank 0 checks and prepares the folder; this one trains beside it, from the same
// configuration, and writes nothing of the run's.
RunOutcome train_other_rank(const RunRequest& request, algorithms::DataParallel& dp) {
  const int64_t word = dp.max(kNoWord);
  if (word == kFailed)
    throw Error("data-parallel rank " + std::to_string(dp.rank()) +
                ": rank 0 could not start the run (its error says why)");
  RunOutcome outcome;
  outcome.out_dir = run_folder(request);
  const json resolved = prepare_run(request).resolved;
  algorithms::RunOptions options = run_options(request, resolved, outcome.out_dir);
  options.progress = false;
  options.resume = outcome.resumed = word == kResume;
  algorithms::RunContext ctx(options);
  auto algo =
      algorithms::make_algorithm(request.algorithm, resolved["algorithm"]["config"], "config.json");
  algo->train(ctx);
  check_ranks_in_step(*algo, outcome.out_dir);
  outcome.wall_seconds = ctx.wall_seconds();
  return outcome;
}

RunOutcome train_first_rank(const RunRequest& request, const std::function<void(int64_t)>& tell);

}  // namespace

json resolve_run_config(const RunRequest& request) { return prepare_run(request).resolved; }

RunOutcome train_run(const RunRequest& request) {
  algorithms::DataParallel* dp = algorithms::data_parallel();
  if (dp && dp->rank() > 0) return train_other_rank(request, *dp);
  // the other ranks wait for rank 0's word, which a failure before training must give too
  bool told = false;
  auto tell = [&](int64_t word) {
    if (!dp || told) return;
    told = true;
    dp->max(word);
  };
  try {
    return train_first_rank(request, tell);
  } catch (...) {
    tell(kFailed);
    throw;
  }
}

namespace {

RunOutcome train_first_rank(const RunRequest& request, const std::function<void(int64_t)>& tell) {
  RunOutcome outcome;
  outcome.out_dir = run_folder(request);
  const std::string& dir = outcome.out_dir;
  const std::string config_path = dir + "/config.json";

  // a run in the folder is never discarded: refused before anything is built or written
  const FolderRun before = folder_run(dir);
  if (before == FolderRun::kFinished)
    throw Error(dir + " holds a finished run (its `done` exists), which `tandem train` never " +
                "overwrites" +
                (request.resume ? std::string(": --resume has nothing to continue there")
                                : std::string(" (--resume only continues an unfinished run)")) +
                "; give a fresh --out DIR for a new run, or remove " + dir + " to redo it");
  if (before == FolderRun::kUnfinished && !request.resume) {
    const bool checkpoint = fs::exists(dir + "/checkpoint.pt");
    throw Error(dir + " holds an unfinished run (the " + (checkpoint ? "checkpoint" : "metrics") +
                " of an interrupted attempt), which a fresh start would discard: " +
                (checkpoint ? "--resume continues it from its checkpoint (same configuration)"
                            : "--resume starts it over (it has no checkpoint to continue)") +
                ", or give a fresh --out DIR for a new run");
  }

  // everything that can fail before the run starts fails here, with the folder untouched
  json resolved;
  {
    PreparedRun prepared = prepare_run(request);
    check_named_files(prepared, request);
    resolved = std::move(prepared.resolved);
  }
  outcome.resumed = request.resume && fs::exists(dir + "/checkpoint.pt") && fs::exists(config_path);
  if (outcome.resumed) {
    const std::string diff =
        first_difference(comparable_run_config(resolved),
                         comparable_run_config(read_json_file(config_path)), "this request");
    if (!diff.empty())
      throw Error(config_path + ": --resume continues a run of the same configuration, but " +
                  diff + "; use another --out for this one");
  }

  algorithms::RunOptions options = run_options(request, resolved, dir);
  options.resume = outcome.resumed;

  FolderSnapshot snapshot(dir);
  bool started = false;
  try {
    fs::create_directories(dir);
    if (outcome.resumed) remove_leftover_temporaries(dir);
    if (!outcome.resumed) {
      // a fresh run (--resume without a checkpoint starts over): earlier metrics of the folder
      // would interleave with the new ones
      fs::remove(dir + "/metrics.jsonl");
      fs::remove(dir + "/samples.jsonl");
    }
    write_file_atomic(config_path, resolved.dump(2) + "\n");
    snapshot.mark_start();
    started = true;
    tell(outcome.resumed ? kResume : kStartFresh);
    algorithms::RunContext ctx(options);
    auto algo = algorithms::make_algorithm(request.algorithm, resolved["algorithm"]["config"],
                                           "config.json");
    algo->train(ctx);
    check_ranks_in_step(*algo, dir);
    if (ctx.last_evaluation()) {
      outcome.final_eval = *ctx.last_evaluation();
    } else {
      // resumed from the checkpoint at the end of the budget (killed before `done` was written):
      // the final evaluation is the metrics' last line
      TANDEM_CHECK(outcome.resumed, "a run ends with an evaluation");
      outcome.final_eval = final_evaluation(dir + "/metrics.jsonl", request.steps);
    }
    outcome.wall_seconds = ctx.wall_seconds();
  } catch (...) {
    // a start that failed before the run wrote anything of its own leaves the folder as it was
    if (!started || !snapshot.wrote_results()) snapshot.restore();
    throw;
  }
  // what the report checks the folder against later: a metrics file cut short or edited since
  // shows as a damaged run instead of a different final score
  const size_t metrics_lines = fs::exists(dir + "/metrics.jsonl")
                                   ? algorithms::read_metrics(dir + "/metrics.jsonl", true).size()
                                   : 0;
  write_file_atomic(dir + "/done", json({{"wall_seconds", outcome.wall_seconds},
                                         {"final_return_mean", outcome.final_eval.return_mean},
                                         {"metrics_lines", metrics_lines}})
                                           .dump() +
                                       "\n");
  return outcome;
}

}  // namespace

algorithms::EvalStats eval_checkpoint(const EvalRequest& given) {
  EvalRequest request = given;
  // a run folder stands for its checkpoint
  if (fs::is_directory(request.checkpoint))
    request.checkpoint = (fs::path(request.checkpoint) / "checkpoint.pt").string();
  if (!fs::is_regular_file(request.checkpoint))
    throw Error(request.checkpoint +
                ": no such checkpoint (give a run folder or the checkpoint.pt in it)");
  const fs::path dir = fs::path(request.checkpoint).parent_path();
  const std::string config_path = (dir.empty() ? fs::path(".") : dir).string() + "/config.json";
  const json config = read_json_file(config_path);
  const std::string env_id = config.at("env").at("id");
  const json env_options = config.at("env").at("options");
  auto make = [&] { return envs::make_env(env_id, env_options); };
  agents::Policy policy = agents::make_policy(*make(), config.at("policy"), config_path);
  algorithms::load_checkpoint(request.checkpoint, *policy, nullptr, /*restore_rng=*/false);
  const bool deterministic =
      request.deterministic && config.at("eval").value("deterministic", true);
  return algorithms::evaluate_policy(*policy, make, request.episodes, request.seed, deterministic);
}

}  // namespace tandem::suites
