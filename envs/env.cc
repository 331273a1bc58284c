#include "envs/env.h"

#include <ostream>
#include <sstream>

#include "envs/byte_stream.h"
#include "envs/error.h"

namespace tandem::envs {

InfoValue::operator double() const {
  if (values.size() != 1)
    throw Error("info value has " + std::to_string(values.size()) +
                " elements, not one: read it through .values");
  return values[0];
}

std::ostream& operator<<(std::ostream& os, const InfoValue& value) {
  if (value.is_scalar()) return os << value.values[0];
  os << '[';
  for (size_t i = 0; i < value.values.size(); ++i) os << (i ? ", " : "") << value.values[i];
  return os << ']';
}

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

std::string Env::save_state() const {
  ByteWriter out;
  out.text(spec_.id);
  std::ostringstream rng;
  rng << rng_;
  out.text(rng.str());
  out.pod(seed_);
  out.pod(elapsed_);
  out.pod(needs_reset_);
  save_state_impl(out);
  return out.str();
}

void Env::load_state(const std::string& state) {
  ByteReader in(state, spec_.id);
  const std::string id = in.text();
  if (id != spec_.id) throw Error(spec_.id + ": cannot load the saved state of " + id);
  std::istringstream rng(in.text());
  std::mt19937_64 stream;
  if (!(rng >> stream)) throw Error(spec_.id + ": the saved random stream is damaged");
  const uint64_t seed = in.pod<uint64_t>();
  const int64_t elapsed = in.pod<int64_t>();
  const bool needs_reset = in.pod<bool>();
  load_state_impl(in);
  if (!in.at_end()) throw Error(spec_.id + ": the saved env state has unread bytes");
  rng_ = stream;
  seed_ = seed;
  elapsed_ = elapsed;
  needs_reset_ = needs_reset;
}

double Env::uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng_);
}

double Env::normal() { return std::normal_distribution<double>(0.0, 1.0)(rng_); }

}  // namespace tandem::envs
