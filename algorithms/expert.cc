#include "algorithms/expert.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "agents/policy_factory.h"
#include "agents/torch_seed.h"
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/evaluation.h"
#include "envs/cache_build.h"
#include "envs/error.h"
#include "envs/file_lock.h"
#include "envs/human_format.h"
#include "envs/registry.h"
#include "envs/text/hash.h"
#include "envs/text/tokenizer.h"

namespace tandem::algorithms {
namespace fs = std::filesystem;
namespace {

// 2: trained after the MuJoCo envs drew their reset noise in one order on every compiler
constexpr int kVersion = 2;
constexpr uint64_t kSeed = 1;          // the expert's run seed
constexpr int64_t kEvalEpisodes = 10;  // per snapshot
constexpr int64_t kDefaultSteps = 1000000;

std::atomic<int64_t> trainings{0};

// The run seed's evaluation starts (as RunContext::report): the late snapshot's return is the
// training run's final evaluation.
uint64_t eval_seed() { return kSeed * 1000003ull + 1000000007ull; }

json without_start_from(const json& policy_config) {
  json arch = policy_config.is_null() ? json::object() : policy_config;
  arch.erase("start_from");
  return arch;
}

// PPO's defaults, the env's recommended settings for it ("*" fields PPO has, then "ppo"), and
// the snapshots to keep.
json expert_ppo_config(const envs::EnvSpec& spec, const std::vector<int64_t>& keep) {
  const std::string where = spec.id + " expert: ppo";
  const json defaults = make_algorithm("ppo", json::object(), where)->config();
  json tuned = json::object();
  const json suggested = spec.recommended.value("algorithm", json::object());
  for (const std::string key : {"*", "ppo"}) {
    const json fields = suggested.value(key, json::object());
    for (const auto& [field, value] : fields.items())
      if (defaults.contains(field)) tuned[field] = value;
  }
  tuned["keep_checkpoints"] = keep;
  return make_algorithm("ppo", tuned, where)->config();
}

// Torch's thread settings (intra-op and OpenBLAS's own pool, which RunContext sets), restored
// when the scope ends.
class ThreadScope {
 public:
  ThreadScope() : threads_(torch::get_num_threads()) {}
  ~ThreadScope() {
    torch::set_num_threads(threads_);
    using SetThreads = void (*)(int);
    if (auto set_blas_threads =
            reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set_blas_threads(threads_);
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int threads_;
};

// The run config of a snapshot folder (as single_run writes one), so `start_from`, `expert`
// and `tandem eval` read it like any run's.
json snapshot_run_config(const std::string& env_id, const json& env_options, const json& policy,
                         const json& ppo, int64_t env_steps, int64_t budget, bool deterministic,
                         const std::string& name) {
  return {{"env", {{"id", env_id}, {"options", env_options}}},
          {"algorithm", {{"name", "ppo"}, {"config", ppo}}},
          {"policy", policy},
          {"seed", kSeed},
          {"steps", env_steps},
          {"eval", {{"episodes", kEvalEpisodes}, {"deterministic", deterministic}}},
          {"threads", 1},
          {"expert", {{"snapshot", name}, {"env_steps", env_steps}, {"budget", budget}}}};
}

// Reads expert.json; throws tandem::Error naming the file when it is not one this code wrote.
ExpertRun read_expert(const std::string& dir) {
  const std::string path = dir + "/expert.json";
  const json j = read_json_file(path);
  const std::string hint = " (delete " + dir + " to train the expert again)";
  if (!j.is_object() || j.value("version", 0) != kVersion)
    throw Error(path + ": \"version\" must be " + std::to_string(kVersion) + hint);
  ExpertRun run;
  run.dir = dir;
  try {
    run.steps = j.at("steps").get<int64_t>();
    run.train_seconds = j.at("train_seconds").get<double>();
    for (const json& s : j.at("snapshots")) {
      ExpertSnapshot snap;
      snap.name = s.at("name").get<std::string>();
      snap.fraction = s.at("fraction").get<double>();
      snap.dir = dir + "/" + s.at("dir").get<std::string>();
      snap.env_steps = s.at("env_steps").get<int64_t>();
      snap.return_mean = s.at("return_mean").get<double>();
      snap.return_std = s.at("return_std").get<double>();
      run.snapshots.push_back(snap);
    }
  } catch (const json::exception& e) {
    throw Error(path + ": " + e.what() + hint);
  }
  if (run.snapshots.size() != expert_snapshots().size())
    throw Error(path + ": needs " + std::to_string(expert_snapshots().size()) + " snapshots" +
                hint);
  for (size_t i = 0; i < run.snapshots.size(); ++i) {
    if (run.snapshots[i].name != expert_snapshots()[i].first)
      throw Error(path + ": snapshot " + std::to_string(i) + " must be \"" +
                  expert_snapshots()[i].first + "\"" + hint);
    if (!fs::exists(run.snapshots[i].dir + "/checkpoint.pt"))
      throw Error(run.snapshots[i].dir + "/checkpoint.pt: missing" + hint);
  }
  return run;
}

ExpertRun train_expert(const std::string& dir, const std::string& env_id, const json& env_options,
                       const json& arch, int64_t steps, const json& ppo,
                       const std::vector<int64_t>& keep, bool progress) {
  ++trainings;
  fs::remove_all(dir);  // what a killed training left
  fs::create_directories(dir + "/train");
  const std::unique_ptr<envs::Env> probe = envs::make_env(env_id, env_options);
  const bool deterministic =
      probe->spec().recommended.value("evaluation", json::object()).value("deterministic", true);
  if (progress)
    std::fprintf(stderr,
                 "expert: training PPO on %s's own reward for %s steps, once (cached in %s)\n",
                 env_id.c_str(), human_count(steps).c_str(), dir.c_str());

  RunOptions o;
  o.env_id = env_id;
  o.env_options = env_options;
  o.policy = arch;
  o.seed = kSeed;
  o.total_steps = steps;
  o.eval_interval = std::max<int64_t>(1, steps / 10);
  o.eval_episodes = kEvalEpisodes;
  o.eval_deterministic = deterministic;
  o.out_dir = dir + "/train";
  o.threads = 1;  // the expert is the same whichever run trains it
  o.progress = progress;
  json train_config =
      snapshot_run_config(env_id, env_options, arch, ppo, steps, steps, deterministic, "train");
  train_config.erase("expert");
  train_config["eval"]["interval"] = o.eval_interval;
  write_file_atomic(o.out_dir + "/config.json", train_config.dump(2) + "\n");
  double seconds = 0;
  {
    // the caller's random stream and thread settings come back afterwards
    agents::TorchSeedScope seeded(kSeed);
    ThreadScope threads;
    torch::AutoGradMode grad(true);
    WithoutDataParallel own_work;  // one rank builds the cache entry, the others wait
    RunContext ctx(o);
    make_algorithm("ppo", ppo, dir + "/train/config.json")->train(ctx);
    seconds = ctx.wall_seconds();
  }

  // the snapshots: run-like folders, each evaluated on the evaluation starts
  json snapshots = json::array();
  for (const auto& [name, fraction] : expert_snapshots()) {
    const std::string from = name == "late" ? o.out_dir + "/checkpoint.pt"
                                            : o.out_dir + "/checkpoint-" +
                                                  std::to_string(keep.at(snapshots.size())) + ".pt";
    const std::string to = dir + "/" + name;
    fs::create_directories(to);
    fs::copy_file(from, to + "/checkpoint.pt", fs::copy_options::overwrite_existing);
    agents::Policy policy = agents::make_policy(*probe, arch, to);
    const json counters = load_checkpoint(to + "/checkpoint.pt", *policy, nullptr, false);
    const int64_t env_steps = counters.value("env_steps", int64_t{0});
    write_file_atomic(
        to + "/config.json",
        snapshot_run_config(env_id, env_options, arch, ppo, env_steps, steps, deterministic, name)
                .dump(2) +
            "\n");
    const EvalStats eval = evaluate_policy(
        *policy,
        [&] {
          auto env = envs::make_env(env_id, env_options);
          env->set_evaluation(true);
          return env;
        },
        kEvalEpisodes, eval_seed(), deterministic);
    snapshots.push_back({{"name", name},
                         {"fraction", fraction},
                         {"dir", name},
                         {"env_steps", env_steps},
                         {"return_mean", eval.return_mean},
                         {"return_std", eval.return_std}});
  }
  const json summary = {
      {"version", kVersion},      {"env", {{"id", env_id}, {"options", env_options}}},
      {"policy", arch},           {"algorithm", {{"name", "ppo"}, {"config", ppo}}},
      {"steps", steps},           {"seed", kSeed},
      {"train_seconds", seconds}, {"snapshots", snapshots}};
  write_file_atomic(dir + "/expert.json", summary.dump(2) + "\n");
  ExpertRun run = read_expert(dir);
  if (progress) {
    std::fprintf(stderr,
                 "expert: trained in %s; evaluation return:", human_seconds(seconds).c_str());
    for (const ExpertSnapshot& s : run.snapshots)
      std::fprintf(stderr, " %s %.4g", s.name.c_str(), s.return_mean);
    std::fprintf(stderr, "\n");
  }
  return run;
}

// The agents/ start_from resolver: names of expert snapshots into their folders. Names mean
// the expert of the env with its default options; the spec tells the cheap differences.
std::string resolve_start_from(const std::string& start_from, const envs::EnvSpec& spec,
                               const json& policy_config, const std::string& where, bool progress) {
  if (!is_expert_name(start_from)) return start_from;
  // a text policy starts from the pretrained base model; an expert there would be a silent
  // million-step PPO run on the task's own reward
  if (spec.action_space.is_discrete())
    throw Error(where + ": start_from \"" + start_from + "\": expert snapshots are for control " +
                "envs; " + spec.id + "'s policy starts from its pretrained base model (the " +
                "default), or give the folder of a finished run");
  const envs::EnvSpec defaults = envs::make_env(spec.id)->spec();
  if (defaults.max_episode_steps != spec.max_episode_steps ||
      defaults.observation_space.describe() != spec.observation_space.describe() ||
      defaults.action_space.describe() != spec.action_space.describe())
    throw Error(where + ": start_from \"" + start_from + "\" names a snapshot of " + spec.id +
                "'s cached expert, trained with the env's default options; with other env "
                "options, train a PPO run and give its folder");
  return resolve_expert_name(start_from, spec.id, json::object(), policy_config, 0, progress,
                             where + ": start_from");
}

const bool resolver_installed = [] {
  agents::set_start_from_resolver(resolve_start_from);
  return true;
}();

}  // namespace

const std::vector<std::pair<std::string, double>>& expert_snapshots() {
  static const std::vector<std::pair<std::string, double>> snapshots = {
      {"random", 0.0}, {"early", 0.1}, {"mid", 0.3}, {"late", 1.0}};
  return snapshots;
}

const ExpertSnapshot& ExpertRun::snapshot(const std::string& name) const {
  std::string names;
  for (const ExpertSnapshot& s : snapshots) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw Error("expert " + dir + ": no snapshot \"" + name + "\" (snapshots: " + names + ")");
}

int64_t recommended_expert_steps(const envs::EnvSpec& spec) {
  return spec.recommended.value("expert_training", json::object()).value("steps", kDefaultSteps);
}

int64_t expert_trainings() { return trainings.load(); }

ExpertRun cached_expert(const std::string& env_id, const json& env_options,
                        const json& policy_config, int64_t steps, bool progress) {
  // building, training and loading policies draws from torch's stream: the caller's comes back
  agents::TorchSeedScope seeded(kSeed);
  const std::unique_ptr<envs::Env> env = envs::make_env(env_id, env_options);
  if (steps <= 0) steps = recommended_expert_steps(env->spec());
  const json arch = without_start_from(policy_config);
  // the snapshots before the last: the first iteration at or past each fraction of the budget
  std::vector<int64_t> keep;
  for (const auto& [name, fraction] : expert_snapshots())
    if (fraction < 1.0) keep.push_back(static_cast<int64_t>(fraction * steps + 0.5));
  const json ppo = expert_ppo_config(env->spec(), keep);
  // building the policy checks the architecture before anything is trained
  agents::check_policy_config(*env, arch, env_id + " expert: policy");

  const std::string key = "expert v" + std::to_string(kVersion) + "|" + env_id + "|" +
                          env_options.dump() + "|" + arch.dump() + "|" + std::to_string(steps) +
                          "|" + ppo.dump();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(text::fnv1a64(key)));
  std::string id = env_id;
  for (char& c : id)
    if (c == '/') c = '_';
  const fs::path root = fs::path(text::default_cache_dir()) / "experts";
  fs::create_directories(root);
  const std::string dir = fs::absolute(root / (id + "-" + hex)).string();
  FileLock lock(dir + ".lock");
  if (fs::exists(dir + "/expert.json")) return read_expert(dir);
  envs::CacheBuild status(dir, "expert for " + env_id + " (PPO on its own reward)",
                          static_cast<double>(steps), "env steps", dir + "/train/metrics.jsonl");
  return train_expert(dir, env_id, env_options, arch, steps, ppo, keep, progress);
}

bool is_expert_name(const std::string& value) { return value.rfind("expert:", 0) == 0; }

std::string resolve_expert_name(const std::string& name, const std::string& env_id,
                                const json& env_options, const json& policy_config, int64_t steps,
                                bool progress, const std::string& where) {
  std::string names;
  for (const auto& [snapshot, fraction] : expert_snapshots())
    names += (names.empty() ? "" : "|") + snapshot;
  const std::string form =
      "expert:" + names + " with an optional @STEPS (e.g. expert:early@300000)";
  if (!is_expert_name(name)) throw Error(where + ": \"" + name + "\" is no expert name; " + form);
  std::string snapshot = name.substr(7);
  const size_t at = snapshot.find('@');
  if (at != std::string::npos) {
    const std::string budget = snapshot.substr(at + 1);
    snapshot = snapshot.substr(0, at);
    size_t used = 0;
    try {
      steps = std::stoll(budget, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != budget.size() || budget.empty() || steps < 1)
      throw Error(where + ": \"" + name + "\": the budget after @ must be a positive integer");
  }
  bool known = false;
  for (const auto& [s, fraction] : expert_snapshots()) known = known || s == snapshot;
  if (!known) throw Error(where + ": \"" + name + "\": unknown snapshot; " + form);
  if (!env_options.is_null() && !env_options.empty())
    throw Error(where + ": \"" + name + "\" names a snapshot of " + env_id +
                "'s cached expert, trained with the env's default options; with env options " +
                env_options.dump() + ", train a PPO run and give its folder");
  return cached_expert(env_id, json::object(), policy_config, steps, progress)
      .snapshot(snapshot)
      .dir;
}

agents::Policy load_run_policy(const std::string& dir, const envs::Env& env) {
  const json config = read_json_file(dir + "/config.json");
  if (!config.contains("env") || !config["env"].contains("id") || !config.contains("policy"))
    throw Error(dir + "/config.json: not a run's config (needs \"env\".\"id\" and \"policy\")");
  if (config["env"]["id"] != env.spec().id)
    throw Error(dir + ": the policy was trained on " + config["env"]["id"].dump() + ", not " +
                env.spec().id);
  agents::Policy policy = agents::make_policy(env, config["policy"], dir + "/config.json");
  load_checkpoint(dir + "/checkpoint.pt", *policy, nullptr, /*restore_rng=*/false);
  return policy;
}

}  // namespace tandem::algorithms
