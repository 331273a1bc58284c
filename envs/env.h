// The environment interface every task implements, control and text alike.
//
// An episode is a sequence of (observation, action, reward) steps. `terminated` means the task
// itself ended the episode (fell over, end-of-text); `truncated` means the time limit cut it off,
// so learners bootstrap from the last state's value. The time limit is enforced here, once, for
// every env: implementations only report termination.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "envs/space.h"

namespace tandem::envs {

struct EnvSpec {
  std::string id;
  Space observation_space;
  Space action_space;
  int64_t max_episode_steps = 1000;
};

// Named scalars an env reports beside the reward (its reward terms, x velocity, ...).
using Info = std::vector<std::pair<std::string, double>>;

struct StepResult {
  std::vector<float> obs;
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
  Info info;
};

class Env {
 public:
  virtual ~Env() = default;

  const EnvSpec& spec() const { return spec_; }

  // With a seed, reseeds the env's random stream first; without, continues it.
  std::vector<float> reset(std::optional<uint64_t> seed = std::nullopt);
  // Actions outside the action space are passed on as they are (as Gymnasium does);
  // clipping is the caller's choice.
  StepResult step(const std::vector<float>& action);

  int64_t elapsed_steps() const { return elapsed_; }

  // Evaluation mode: envs with held-out episode sources (text tasks' eval prompts) draw from
  // them; control envs have nothing to switch.
  virtual void set_evaluation(bool evaluation) {}

 protected:
  explicit Env(EnvSpec spec) : spec_(std::move(spec)) {}

  virtual std::vector<float> reset_impl() = 0;
  // Fills obs, reward, terminated and info; truncation is added by step().
  virtual StepResult step_impl(const std::vector<float>& action) = 0;

  std::mt19937_64& rng() { return rng_; }
  double uniform(double lo, double hi);
  double normal();
  EnvSpec& mutable_spec() { return spec_; }

 private:
  EnvSpec spec_;
  std::mt19937_64 rng_{0};
  int64_t elapsed_ = 0;
  bool needs_reset_ = true;
};

}  // namespace tandem::envs
