#include "envs/env.h"

#include "envs/error.h"

namespace tandem::envs {

std::vector<float> Env::reset(std::optional<uint64_t> seed) {
  // without a seed the next one is drawn from the stream, so every episode has a seed to
  // replay it from (context())
  seed_ = seed ? *seed : rng_();
  rng_.seed(seed_);
  elapsed_ = 0;
  needs_reset_ = false;
  return reset_impl();
}

std::vector<float> Env::reset_to_context(const json& context) {
  elapsed_ = 0;
  needs_reset_ = false;
  return reset_to_context_impl(context);
}

std::vector<float> Env::reset_to_context_impl(const json& context) {
  if (!context.is_object() || !context.contains("seed") || !context["seed"].is_number_unsigned())
    throw Error(spec_.id + ": an episode context needs \"seed\" (a non-negative integer), got " +
                context.dump());
  seed_ = context["seed"].get<uint64_t>();
  rng_.seed(seed_);
  return reset_impl();
}

StepResult Env::step(const std::vector<float>& action) {
  if (needs_reset_)
    throw Error(spec_.id + ": step() called before reset() or after the episode ended");
  if (static_cast<int64_t>(action.size()) != spec_.action_space.flat_size()) {
    throw Error(spec_.id + ": action has " + std::to_string(action.size()) +
                " elements, the action space " + spec_.action_space.describe() + " needs " +
                std::to_string(spec_.action_space.flat_size()));
  }
  StepResult r = step_impl(action);
  ++elapsed_;
  r.truncated = !r.terminated && elapsed_ >= spec_.max_episode_steps;
  needs_reset_ = r.terminated || r.truncated;
  return r;
}

double Env::uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng_);
}

double Env::normal() { return std::normal_distribution<double>(0.0, 1.0)(rng_); }

}  // namespace tandem::envs
