// tandem — the command line: list what is registered, train one run, evaluate a checkpoint.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "algorithms/algorithm.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/single_run.h"

namespace {

using tandem::json;

int list_envs() {
  std::printf("%-28s %-26s %-26s %s\n", "id", "observation", "action", "max steps");
  for (const auto* reg : tandem::envs::registered_envs()) {
    if (reg->id == "mujoco/xml") {
      std::printf("%-28s %-26s %-26s %s\n", reg->id.c_str(), "qpos+qvel of --xml PATH",
                  "its actuators", "option");
      continue;
    }
    auto env = reg->factory(json::object());
    const auto& s = env->spec();
    std::printf("%-28s %-26s %-26s %lld\n", s.id.c_str(), s.observation_space.describe().c_str(),
                s.action_space.describe().c_str(), static_cast<long long>(s.max_episode_steps));
  }
  return 0;
}

int list_algorithms() {
  for (const auto* reg : tandem::algorithms::registered_algorithms()) {
    auto algo = reg->factory(json::object(), "defaults");
    std::printf("%s\n", reg->name.c_str());
    const json c = algo->config();
    for (auto it = c.begin(); it != c.end(); ++it)
      std::printf("  %-24s %s\n", it.key().c_str(), it.value().dump().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tandem: the same alignment algorithms (PPO, APA, DPO, AIHF) on token generation and "
      "MuJoCo control"};
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "list registered envs or algorithms");
  std::string what;
  list->add_option("what", what, "envs | algorithms")
      ->required()
      ->check(CLI::IsMember({"envs", "algorithms"}));

  tandem::suites::RunRequest run;
  std::string xml;
  auto* train = app.add_subcommand("train", "train one run and write results/runs/ENV__ALGO__SEED/");
  train->add_option("--env", run.env_id, "env id (see `tandem list envs`)")->capture_default_str();
  train->add_option("--xml", xml, "train on any MuJoCo XML model (the mujoco/xml env)");
  train->add_option("--algo", run.algorithm, "algorithm (see `tandem list algorithms`)")
      ->capture_default_str();
  train->add_option("--seed", run.seed, "seed of torch, the envs and evaluation")
      ->capture_default_str();
  train->add_option("--steps", run.steps, "env steps of training")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 50));
  train->add_option("--eval-interval", run.eval_interval, "env steps between evaluations")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 50));
  train->add_option("--eval-episodes", run.eval_episodes, "episodes per evaluation")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 50));
  train->add_option("--threads", run.threads, "torch and env-stepping threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  train->add_option("--config", run.config_file,
                    "JSON file: {\"algorithm\": {...}, \"policy\": {...}, \"env\": {...}}");
  train->add_option("--set", run.set,
                    "override KEY=VALUE: algorithm field (learning_rate=1e-4), policy.FIELD, "
                    "env.FIELD; repeatable");
  train->add_option("--out", run.out_dir, "run folder (default results/runs/ENV__ALGO__SEED)");
  bool quiet = false;
  train->add_flag("--quiet", quiet, "no progress bar");

  tandem::suites::EvalRequest eval;
  bool stochastic = false;
  auto* ev = app.add_subcommand("eval", "evaluate a checkpoint (config.json must sit beside it)");
  ev->add_option("--checkpoint", eval.checkpoint, "path to a run's checkpoint.pt")->required();
  ev->add_option("--episodes", eval.episodes, "episodes")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 50));
  ev->add_option("--seed", eval.seed, "seed of the evaluation envs")->capture_default_str();
  ev->add_flag("--stochastic", stochastic, "sample actions instead of taking the mean");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*list) return what == "envs" ? list_envs() : list_algorithms();
    if (*train) {
      if (!xml.empty()) {
        run.env_id = "mujoco/xml";
        run.set.push_back("env.xml=\"" + xml + "\"");
      }
      run.progress = !quiet;
      auto outcome = tandem::suites::train_run(run);
      std::printf("run folder: %s\n", outcome.out_dir.c_str());
      std::printf("final evaluation return: %.1f ± %.1f over %lld episodes (%.0f s)\n",
                  outcome.final_eval.return_mean, outcome.final_eval.return_std,
                  static_cast<long long>(run.eval_episodes), outcome.wall_seconds);
      return 0;
    }
    if (*ev) {
      eval.deterministic = !stochastic;
      auto s = tandem::suites::eval_checkpoint(eval);
      std::printf("evaluation return: %.1f ± %.1f (min %.1f, max %.1f) over %lld episodes, "
                  "mean length %.0f\n",
                  s.return_mean, s.return_std, s.return_min, s.return_max,
                  static_cast<long long>(eval.episodes), s.length_mean);
      return 0;
    }
  } catch (const tandem::Error& e) {
    std::fprintf(stderr, "tandem: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
