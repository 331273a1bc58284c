// What `tandem view`, `record` and `sample` share: rebuilding a trained policy and its env from a
// run folder (config.json beside checkpoint.pt), and choosing the actions of one env, episode by
// episode — a policy's, uniform random ones, or zeros.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "envs/config.h"
#include "envs/env.h"
#include "envs/mujoco/mujoco_env.h"

namespace CLI {
class App;
}

namespace tandem::suites {

struct CheckpointPolicy {
  std::string env_id;
  json env_options;
  agents::Policy policy;
  bool deterministic = true;  // how the run evaluates: the mean (argmax) action, unless its env
                              // recommends sampling
};

// Reads config.json beside `checkpoint`, builds the policy it names and loads the weights.
// Throws tandem::Error naming the file when either is missing or does not fit.
CheckpointPolicy load_checkpoint_policy(const std::string& checkpoint);

// Chooses the actions of one env, carrying the policy's state from step to step.
class Actor {
 public:
  static Actor with_policy(agents::Policy policy, const envs::Space& action_space,
                           bool deterministic, std::string name);
  // Uniform in the action space (unbounded coordinates: in [-1, 1]).
  static Actor random(const envs::Space& action_space, uint64_t seed);
  static Actor zeros(const envs::Space& action_space);

  // Call at every reset: the policy's state starts over.
  void start_episode();
  std::vector<float> act(const std::vector<float>& obs);
  // "checkpoint PATH (mean action)", "uniform random actions", "zero actions".
  const std::string& description() const { return description_; }

 private:
  enum class Mode { kPolicy, kRandom, kZero };
  Actor(Mode mode, envs::Space space, std::string description)
      : mode_(mode), space_(std::move(space)), description_(std::move(description)) {}

  Mode mode_;
  envs::Space space_;
  std::string description_;
  agents::Policy policy_;
  agents::PolicyState state_;
  bool deterministic_ = true;
  std::mt19937_64 rng_{0};
};

// What `view` and `record` show: a MuJoCo env and who acts in it, as the command line says.
struct WatchRequest {
  std::string env_id;            // empty: the checkpoint's env, or mujoco/xml with `xml`
  std::string xml;               // a MuJoCo XML file, for the mujoco/xml env
  std::vector<std::string> set;  // env.FIELD=VALUE, over the checkpoint's env options
  std::string checkpoint;        // a run's checkpoint.pt; empty: no policy
  bool random = false;           // without a checkpoint: uniform random actions (else zeros)
  bool stochastic = false;       // sample the policy's actions instead of its mean
  uint64_t seed = 1;             // the first episode's reset, and torch's sampling
};

struct Watch {
  std::unique_ptr<envs::Env> env;
  envs::MujocoEnv* mujoco = nullptr;  // the same env
  Actor actor;
  std::string env_id;
};

// Throws tandem::Error for an env that is not a MuJoCo env (text envs: `tandem sample`), a
// checkpoint trained on another env than --env names, or a --set that is not env.FIELD=VALUE.
Watch make_watch(const WatchRequest& request);

// The command-line flags of a WatchRequest, shared by `view` and `record`.
void add_watch_options(CLI::App& command, WatchRequest* request);

}  // namespace tandem::suites
