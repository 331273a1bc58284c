#include "suites/single_run.h"

#include <cstdio>
#include <filesystem>

#include "agents/policy_factory.h"
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
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

json resolve_run_config(const RunRequest& request) {
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
  auto env_instance = envs::make_env(request.env_id, env);
  const TunedConfig tuned =
      apply_recommended(env_instance->spec(), request.algorithm, algorithm, policy,
                        where + ": algorithm '" + request.algorithm + "'");
  const json& policy_config = tuned.policy;
  const bool deterministic = tuned.eval_deterministic;
  auto policy_instance =
      agents::make_policy(*env_instance, policy_config, where + ": policy", request.progress);
  return {{"env", {{"id", request.env_id}, {"options", env}}},
          {"algorithm", {{"name", request.algorithm}, {"config", tuned.algorithm}}},
          {"policy", policy_config},
          {"policy_description", policy_instance->describe()},
          {"seed", request.seed},
          {"steps", request.steps},
          {"eval",
           {{"interval", request.eval_interval},
            {"episodes", request.eval_episodes},
            {"deterministic", deterministic}}},
          {"threads", request.threads},
          {"git_revision", git_revision()}};
}

RunOutcome train_run(const RunRequest& request) {
  const json resolved = resolve_run_config(request);
  RunOutcome outcome;
  outcome.out_dir =
      request.out_dir.empty()
          ? "results/runs/" + run_name(request.env_id, request.algorithm, request.seed)
          : request.out_dir;
  fs::create_directories(outcome.out_dir);
  const std::string config_path = outcome.out_dir + "/config.json";
  if (request.resume && fs::exists(outcome.out_dir + "/done"))
    throw Error(outcome.out_dir +
                " holds a finished run (its `done` exists): nothing to resume; "
                "drop --resume to train it again from scratch");
  outcome.resumed =
      request.resume && fs::exists(outcome.out_dir + "/checkpoint.pt") && fs::exists(config_path);
  if (outcome.resumed) {
    const std::string diff =
        first_difference(comparable_run_config(resolved),
                         comparable_run_config(read_json_file(config_path)), "this request");
    if (!diff.empty())
      throw Error(config_path + ": --resume continues a run of the same configuration, but " +
                  diff + "; use another --out, or drop --resume to start over");
  } else {
    // a fresh run: earlier metrics of the same folder would interleave with the new ones
    fs::remove(outcome.out_dir + "/metrics.jsonl");
    fs::remove(outcome.out_dir + "/samples.jsonl");
    fs::remove(outcome.out_dir + "/checkpoint.pt");
  }
  fs::remove(outcome.out_dir + "/done");
  write_file_atomic(config_path, resolved.dump(2) + "\n");

  algorithms::RunOptions options;
  options.env_id = request.env_id;
  options.env_options = resolved["env"]["options"];
  options.policy = resolved["policy"];
  options.seed = request.seed;
  options.total_steps = request.steps;
  options.eval_interval = request.eval_interval;
  options.eval_episodes = request.eval_episodes;
  options.eval_deterministic = resolved["eval"]["deterministic"];
  options.out_dir = outcome.out_dir;
  options.threads = request.threads;
  options.progress = request.progress;
  options.resume = outcome.resumed;
  algorithms::RunContext ctx(options);
  auto algo =
      algorithms::make_algorithm(request.algorithm, resolved["algorithm"]["config"], "config.json");
  algo->train(ctx);
  TANDEM_CHECK(ctx.last_evaluation().has_value(), "a run ends with an evaluation");
  outcome.final_eval = *ctx.last_evaluation();
  outcome.wall_seconds = ctx.wall_seconds();
  write_file_atomic(outcome.out_dir + "/done",
                    json({{"wall_seconds", outcome.wall_seconds},
                          {"final_return_mean", outcome.final_eval.return_mean}})
                            .dump() +
                        "\n");
  return outcome;
}

algorithms::EvalStats eval_checkpoint(const EvalRequest& request) {
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
