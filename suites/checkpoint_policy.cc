#include "suites/checkpoint_policy.h"

#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "agents/policy_factory.h"
#include "algorithms/checkpoint.h"
#include "algorithms/rollout.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/cli_values.h"

namespace tandem::suites {
namespace fs = std::filesystem;

CheckpointPolicy load_checkpoint_policy(const std::string& checkpoint) {
  if (!fs::exists(checkpoint))
    throw Error(checkpoint + ": checkpoint not found (a run folder's checkpoint.pt)");
  const fs::path dir = fs::path(checkpoint).parent_path();
  const std::string config_path = ((dir.empty() ? fs::path(".") : dir) / "config.json").string();
  if (!fs::exists(config_path))
    throw Error(config_path +
                ": not found; a checkpoint is read with the config.json its run "
                "wrote beside it");
  const json config = read_json_file(config_path);
  CheckpointPolicy out;
  try {
    out.env_id = config.at("env").at("id").get<std::string>();
    out.env_options = config.at("env").at("options");
    json policy_config = config.at("policy");
    // an LM's every weight comes from the checkpoint: building it from its pretrained base
    // model first would only load (or even train) weights about to be replaced
    auto env = envs::make_env(out.env_id, out.env_options);
    if (env->spec().action_space.is_discrete()) policy_config["init"] = "random";
    out.policy = agents::make_policy(*env, policy_config, config_path + ": policy");
    out.deterministic = config.value("eval", json::object()).value("deterministic", true);
  } catch (const json::exception& e) {
    throw Error(config_path + ": not a run's config.json (" + e.what() + ")");
  }
  algorithms::load_checkpoint(checkpoint, *out.policy, nullptr, /*restore_rng=*/false);
  out.policy->eval();
  return out;
}

Actor Actor::with_policy(agents::Policy policy, const envs::Space& action_space, bool deterministic,
                         std::string name) {
  Actor a(Mode::kPolicy, action_space,
          std::move(name) + (deterministic ? " (mean action)" : " (sampled actions)"));
  a.policy_ = std::move(policy);
  a.deterministic_ = deterministic;
  a.start_episode();
  return a;
}

Actor Actor::random(const envs::Space& action_space, uint64_t seed) {
  Actor a(Mode::kRandom, action_space, "uniform random actions");
  a.rng_.seed(seed);
  return a;
}

Actor Actor::zeros(const envs::Space& action_space) {
  return Actor(Mode::kZero, action_space, "zero actions (no policy: --checkpoint or --random)");
}

void Actor::start_episode() {
  if (mode_ == Mode::kPolicy) state_ = policy_->initial_state(1);
}

std::vector<float> Actor::act(const std::vector<float>& obs) {
  const int64_t dim = space_.flat_size();
  switch (mode_) {
    case Mode::kZero:
      return std::vector<float>(dim, 0.0f);
    case Mode::kRandom: {
      std::vector<float> a(dim);
      if (space_.is_discrete()) {
        a[0] = static_cast<float>(std::uniform_int_distribution<int64_t>(0, space_.n - 1)(rng_));
        return a;
      }
      for (int64_t i = 0; i < dim; ++i) {
        const double lo = std::isfinite(space_.low[i]) ? space_.low[i] : -1.0;
        const double hi = std::isfinite(space_.high[i]) ? space_.high[i] : 1.0;
        a[i] = static_cast<float>(std::uniform_real_distribution<double>(lo, hi)(rng_));
      }
      return a;
    }
    case Mode::kPolicy:
      break;
  }
  torch::NoGradGuard no_grad;
  torch::Tensor o = torch::from_blob(const_cast<float*>(obs.data()),
                                     {1, static_cast<int64_t>(obs.size())}, torch::kFloat32)
                        .clone();  // [1, obs_dim]
  agents::ActResult r =
      policy_->act(policy_->preprocess(o, /*update=*/false), state_, deterministic_);
  state_ = r.state;
  torch::Tensor a = algorithms::clip_to_space(r.action.to(torch::kFloat32), space_).contiguous();
  return std::vector<float>(a.data_ptr<float>(), a.data_ptr<float>() + dim);
}

Watch make_watch(const WatchRequest& request) {
  std::string env_id = request.env_id;
  json options = json::object();
  CheckpointPolicy trained;
  if (!request.checkpoint.empty()) {
    trained = load_checkpoint_policy(request.checkpoint);
    const bool other_env = !env_id.empty() && env_id != trained.env_id;
    const bool other_xml = !request.xml.empty() && trained.env_id != "mujoco/xml";
    if (other_env || other_xml)
      throw Error(request.checkpoint + " was trained on " + trained.env_id +
                  "; leave out --env/--xml to watch it there");
    env_id = trained.env_id;
    options = trained.env_options;
  }
  if (!request.xml.empty()) {
    env_id = "mujoco/xml";
    options["xml"] = request.xml;
  }
  if (env_id.empty()) throw Error("no env: give --env ID, --xml PATH or --checkpoint PATH");
  for (const std::string& assignment : request.set) {
    if (assignment.rfind("env.", 0) != 0)
      throw Error("--set " + assignment +
                  ": only env.FIELD=VALUE here (the policy comes from the checkpoint)");
    apply_override(options, assignment.substr(4));
  }
  std::unique_ptr<envs::Env> env = envs::make_env(env_id, options);
  auto* mujoco = dynamic_cast<envs::MujocoEnv*>(env.get());
  if (mujoco == nullptr)
    throw Error(env_id +
                " is not a MuJoCo env: view and record draw MuJoCo models; for a text "
                "env, print completions with tandem sample --env " +
                env_id);
  torch::manual_seed(request.seed);
  const envs::Space& actions = env->spec().action_space;
  if (trained.policy) {
    Actor actor =
        Actor::with_policy(trained.policy, actions, trained.deterministic && !request.stochastic,
                           "checkpoint " + request.checkpoint);
    return Watch{std::move(env), mujoco, std::move(actor), env_id};
  }
  Actor actor = request.random ? Actor::random(actions, request.seed) : Actor::zeros(actions);
  return Watch{std::move(env), mujoco, std::move(actor), env_id};
}

void add_watch_options(CLI::App& command, WatchRequest* request) {
  command.add_option("--env", request->env_id, "env id (see `tandem list envs`)");
  command.add_option("--xml", request->xml, "any MuJoCo XML model (the mujoco/xml env)");
  auto* checkpoint = command.add_option(
      "--checkpoint", request->checkpoint,
      "a run's checkpoint.pt (config.json beside it names the env and the policy)");
  auto* random = command.add_flag("--random", request->random,
                                  "uniform random actions (without either: zero actions)");
  random->excludes(checkpoint);
  command.add_flag("--stochastic", request->stochastic,
                   "sample the policy's actions instead of taking its mean");
  command.add_option("--seed", request->seed, "seed of the first episode's reset and of sampling")
      ->capture_default_str()
      ->transform(seed_value());
  command.add_option("--set", request->set,
                     "env option override env.FIELD=VALUE (e.g. env.frame_skip=5); repeatable");
}

}  // namespace tandem::suites
