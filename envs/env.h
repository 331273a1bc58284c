// The environment interface every task implements, control and text alike.
//
// An episode is a sequence of (observation, action, reward) steps. `terminated` means the task
// itself ended the episode (fell over, end-of-text); `truncated` means the time limit cut it off,
// so learners bootstrap from the last state's value. The time limit is enforced here, once, for
// every env: implementations only report termination.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "envs/config.h"
#include "envs/space.h"

namespace tandem::envs {

struct EnvSpec {
  std::string id;
  Space observation_space;
  Space action_space;
  int64_t max_episode_steps = 1000;
  // Settings the env suggests to whoever trains on it (like a benchmark's tuned
  // hyperparameters), below anything a user sets and above an algorithm's own defaults:
  //   {"algorithm": {"*": {field: value}, "<algorithm name>": {...}}, "policy": {...}}
  // An algorithm takes only the fields its config has; "*" applies to every algorithm.
  json recommended = json::object();
  // Every option the env was built with, defaults included (ConfigReader::resolved()): what a
  // run's config.json records, and building the env again from it gives the same env.
  json options = json::object();
};

// One value an env reports beside the reward: a scalar (one element) or a small array
// (Humanoid's tendon lengths). It converts both ways with double, so scalar entries are
// written {"x_velocity", v} and read as doubles; reading an array as a double throws.
struct InfoValue {
  std::vector<double> values;

  // implicit both ways on purpose: see above
  InfoValue(double scalar) : values{scalar} {}
  InfoValue(std::vector<double> array) : values(std::move(array)) {}
  operator double() const;  // the scalar; throws tandem::Error for an array

  bool is_scalar() const { return values.size() == 1; }
};
// Prints a scalar as a number and an array as [a, b, ...].
std::ostream& operator<<(std::ostream& os, const InfoValue& value);

// Named values an env reports beside the reward (its reward terms, x velocity, ...), in order.
using Info = std::vector<std::pair<std::string, InfoValue>>;

struct StepResult {
  std::vector<float> obs;
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
  Info info;
};

class ByteWriter;
class ByteReader;

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

  // What the current episode started from, enough to start it again: {"seed": s} by default
  // (a control env draws its initial state from the seed), {"prompt": "..."} for text tasks.
  // Feedback datasets store it, so a learner can sample its own episode from a
  // demonstration's start.
  json context() const { return context_impl(); }
  // Starts an episode from a context() of this env. Throws tandem::Error naming the missing
  // or ill-typed field.
  std::vector<float> reset_to_context(const json& context);
  // The episode so far, for people (samples in reports): context() by default; text tasks add
  // the completion.
  virtual json describe_episode() const { return context(); }

  // Everything the next step() or reset() reads, as bytes: the random stream, the episode's
  // counters and the simulator's state (MuJoCo: its whole mjData). A run's checkpoint keeps it,
  // so a resumed run continues the episodes in flight exactly. load_state() takes a state of the
  // same env and model only (anything else throws tandem::Error).
  std::string save_state() const;
  void load_state(const std::string& state);

  // Evaluation mode: envs with held-out episode sources (text tasks' eval prompts) draw from
  // them; control envs have nothing to switch.
  virtual void set_evaluation(bool evaluation) {}

 protected:
  explicit Env(EnvSpec spec) : spec_(std::move(spec)) {}

  virtual std::vector<float> reset_impl() = 0;
  // Fills obs, reward, terminated and info; truncation is added by step().
  virtual StepResult step_impl(const std::vector<float>& action) = 0;
  virtual json context_impl() const { return {{"seed", seed_}}; }
  // The subclass's own part of save_state()/load_state() (envs whose episode state lives
  // outside Env: the simulator).
  virtual void save_state_impl(ByteWriter& out) const {}
  virtual void load_state_impl(ByteReader& in) {}
  // Default: reseed from context["seed"], then reset_impl().
  virtual std::vector<float> reset_to_context_impl(const json& context);

  std::mt19937_64& rng() { return rng_; }
  double uniform(double lo, double hi);
  double normal();
  EnvSpec& mutable_spec() { return spec_; }

 private:
  EnvSpec spec_;
  std::mt19937_64 rng_{0};
  uint64_t seed_ = 0;  // the seed the current episode was reset with
  int64_t elapsed_ = 0;
  bool needs_reset_ = true;
};

}  // namespace tandem::envs
