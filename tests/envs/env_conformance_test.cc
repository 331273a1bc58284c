// The generic checker run over every registered env (as Gymnasium's check_env and mujoco_mpc's
// task test do): seeding, spaces, finiteness, the episode-end contract and the time limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"
#include "tests/text_support.h"

namespace tandem::envs {
namespace {

// Options every env needs to be built: mujoco/xml needs a model, the shipped example.
json base_options(const std::string& id) {
  if (id == "mujoco/xml") return {{"xml", mujoco_asset_path("examples/point_mass.xml")}};
  // hermetic and quick: the generated corpus and the built-in lexicon, a small vocabulary
  if (id == "text/sentiment")
    return {{"vocab_size", 400}, {"task", {{"corpus", "synthetic"}, {"lexicon", "builtin"}}}};
  return json::object();
}

std::unique_ptr<Env> make(const std::string& id, json extra = json::object()) {
  json options = base_options(id);
  options.update(extra);
  return make_env(id, options);
}

// A random element of the space: uniform within the bounds (unbounded sides: within [-1, 1]),
// or a uniform index for a Discrete space.
std::vector<float> sample(const Space& space, std::mt19937& gen) {
  if (space.is_discrete()) {
    return {static_cast<float>(std::uniform_int_distribution<int64_t>(0, space.n - 1)(gen))};
  }
  std::vector<float> x(space.flat_size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double lo = std::isfinite(space.low[i]) ? space.low[i] : -1.0;
    const double hi = std::isfinite(space.high[i]) ? space.high[i] : 1.0;
    x[i] = static_cast<float>(std::uniform_real_distribution<double>(lo, hi)(gen));
    // rounding to float may land just outside the double bounds (e.g. -0.4f < -0.4)
    while (x[i] < lo) x[i] = std::nextafter(x[i], HUGE_VALF);
    while (x[i] > hi) x[i] = std::nextafter(x[i], -HUGE_VALF);
  }
  return x;
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

// A valid test name: every character that is not a letter or a digit becomes '_'.
std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

std::vector<std::string> env_ids() {
  std::vector<std::string> ids;
  for (const EnvRegistration* reg : registered_envs()) ids.push_back(reg->id);
  return ids;
}

class EnvConformance : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam().rfind("text/", 0) == 0) TANDEM_SKIP_WITHOUT_TEXT();
  }
};

TEST_P(EnvConformance, SpecMatchesTheEnv) {
  auto env = make(GetParam());
  const EnvSpec& spec = env->spec();
  EXPECT_EQ(spec.id, GetParam());
  EXPECT_GT(spec.observation_space.flat_size(), 0);
  EXPECT_GT(spec.action_space.flat_size(), 0);
  EXPECT_GE(spec.max_episode_steps, 1);
  if (spec.action_space.is_box()) {
    ASSERT_EQ(static_cast<int64_t>(spec.action_space.low.size()), spec.action_space.flat_size());
    for (size_t i = 0; i < spec.action_space.low.size(); ++i)
      EXPECT_LT(spec.action_space.low[i], spec.action_space.high[i]) << "action " << i;
  }
  std::vector<float> obs = env->reset(0);
  EXPECT_EQ(static_cast<int64_t>(obs.size()), spec.observation_space.flat_size());
  EXPECT_TRUE(spec.observation_space.contains(obs));
  EXPECT_TRUE(all_finite(obs));
  EXPECT_EQ(env->elapsed_steps(), 0);
}

// config.json records spec().options: every option in effect, defaults included, and an env
// built from them is the same env.
TEST_P(EnvConformance, OptionsRecordEveryDefaultAndRebuildTheSameEnv) {
  auto env = make(GetParam());
  const json& options = env->spec().options;
  ASSERT_TRUE(options.is_object());
  const json given = base_options(GetParam());
  for (const auto& [key, value] : given.items()) EXPECT_TRUE(options.contains(key)) << key;
  EXPECT_TRUE(options.contains("max_episode_steps") || options.contains("max_new_tokens"))
      << options.dump();
  auto again = make_env(GetParam(), options);
  EXPECT_EQ(again->spec().options, options);
  EXPECT_EQ(again->spec().max_episode_steps, env->spec().max_episode_steps);
  EXPECT_EQ(again->reset(3), env->reset(3));
}

TEST_P(EnvConformance, SameSeedSameResetObservation) {
  auto env = make(GetParam()), other = make(GetParam());
  const std::vector<float> first = env->reset(11);
  EXPECT_EQ(env->reset(11), first) << "reset twice with one seed";
  EXPECT_EQ(other->reset(11), first) << "a second instance, same seed";

  // stepping in between must not leak into the next seeded reset
  std::mt19937 gen(1);
  for (int t = 0; t < 10; ++t) {
    if (env->step(sample(env->spec().action_space, gen)).terminated) break;
  }
  EXPECT_EQ(env->reset(11), first) << "reset after stepping";
}

TEST_P(EnvConformance, RandomActionsGiveFiniteValuesAndTheEpisodeEndContractHolds) {
  auto env = make(GetParam());
  const EnvSpec& spec = env->spec();
  std::mt19937 gen(2024);
  env->reset(3);
  int64_t length = 0, episodes_ended = 0;
  for (int t = 0; t < 300; ++t) {
    const std::vector<float> action = sample(spec.action_space, gen);
    ASSERT_TRUE(spec.action_space.contains(action)) << "the sampler left the action space";
    StepResult r = env->step(action);
    ++length;
    ASSERT_EQ(static_cast<int64_t>(r.obs.size()), spec.observation_space.flat_size())
        << "step " << t;
    EXPECT_TRUE(spec.observation_space.contains(r.obs)) << "step " << t;
    ASSERT_TRUE(all_finite(r.obs)) << "step " << t;
    ASSERT_TRUE(std::isfinite(r.reward)) << "step " << t;
    for (const auto& [name, value] : r.info) {
      EXPECT_FALSE(name.empty()) << "step " << t;
      EXPECT_FALSE(value.values.empty()) << "info '" << name << "' is empty at step " << t;
      for (double x : value.values)
        EXPECT_TRUE(std::isfinite(x)) << "info '" << name << "' = " << value << " at step " << t;
    }
    EXPECT_FALSE(r.terminated && r.truncated) << "an episode ends one way, step " << t;
    EXPECT_EQ(env->elapsed_steps(), length);
    EXPECT_LE(length, spec.max_episode_steps);
    if (r.terminated || r.truncated) {
      ++episodes_ended;
      EXPECT_THROW(env->step(action), Error) << "step after the episode ended, step " << t;
      EXPECT_THROW(env->step(action), Error) << "and again: the env stays ended until reset";
      env->reset();
      length = 0;
      EXPECT_EQ(env->elapsed_steps(), 0);
    }
  }
  // a step with the wrong action size is an error, not undefined behaviour
  std::vector<float> too_long(spec.action_space.flat_size() + 1, 0.0f);
  EXPECT_THROW(env->step(too_long), Error);
  RecordProperty("episodes_ended", static_cast<int>(episodes_ended));
}

TEST_P(EnvConformance, StepBeforeTheFirstResetThrows) {
  auto env = make(GetParam());
  std::mt19937 gen(5);
  EXPECT_THROW(env->step(sample(env->spec().action_space, gen)), Error);
}

TEST_P(EnvConformance, SameSeedSameActionsSameTrajectory) {
  auto a = make(GetParam()), b = make(GetParam());
  std::mt19937 gen(77);
  ASSERT_EQ(a->reset(9), b->reset(9));
  for (int t = 0; t < 50; ++t) {
    const std::vector<float> action = sample(a->spec().action_space, gen);
    StepResult ra = a->step(action), rb = b->step(action);
    ASSERT_EQ(ra.obs, rb.obs) << "step " << t;
    ASSERT_EQ(ra.reward, rb.reward) << "step " << t;
    ASSERT_EQ(ra.terminated, rb.terminated) << "step " << t;
    ASSERT_EQ(ra.truncated, rb.truncated) << "step " << t;
    if (ra.terminated || ra.truncated) {
      ASSERT_EQ(a->reset(), b->reset()) << "step " << t;
    }
  }
}

// What a checkpoint keeps of an env: a fresh env loaded with a saved state steps exactly as the
// original goes on to step, across episode ends (the random stream comes back too).
TEST_P(EnvConformance, ASavedStateContinuesExactly) {
  auto a = make(GetParam()), b = make(GetParam());
  std::mt19937 gen(31);
  a->reset(4);
  for (int t = 0; t < 17; ++t) {
    StepResult r = a->step(sample(a->spec().action_space, gen));
    if (r.terminated || r.truncated) a->reset();
  }
  b->reset(99);  // somewhere else entirely
  b->load_state(a->save_state());
  EXPECT_EQ(b->elapsed_steps(), a->elapsed_steps());
  for (int t = 0; t < 60; ++t) {
    const std::vector<float> action = sample(a->spec().action_space, gen);
    StepResult ra = a->step(action), rb = b->step(action);
    ASSERT_EQ(ra.obs, rb.obs) << "step " << t;
    ASSERT_EQ(ra.reward, rb.reward) << "step " << t;
    ASSERT_EQ(ra.terminated, rb.terminated) << "step " << t;
    if (ra.terminated || ra.truncated) {
      ASSERT_EQ(a->reset(), b->reset()) << "step " << t;
    }
  }
  // a damaged state is refused, never half-applied
  const std::string state = a->save_state();
  EXPECT_THROW(b->load_state(state.substr(0, state.size() / 2)), Error);
}

TEST(EnvState, AnotherEnvsStateIsRefused) {
  auto hopper = make("Hopper-v5"), walker = make("Walker2d-v5");
  hopper->reset(1);
  walker->reset(1);
  EXPECT_THROW(walker->load_state(hopper->save_state()), Error);
}

TEST_P(EnvConformance, TimeLimitTruncatesExactlyAtMaxEpisodeSteps) {
  constexpr int64_t kLimit = 5;
  std::unique_ptr<Env> env;
  try {
    env = make(GetParam(), {{"max_episode_steps", kLimit}});
  } catch (const Error& e) {
    GTEST_SKIP() << GetParam() << " has no max_episode_steps option: " << e.what();
  }
  ASSERT_EQ(env->spec().max_episode_steps, kLimit);
  std::mt19937 gen(31);
  int truncations = 0;
  for (int episode = 0; episode < 20; ++episode) {
    env->reset(static_cast<uint64_t>(episode));
    StepResult r;
    for (int64_t t = 1; t <= kLimit; ++t) {
      r = env->step(sample(env->spec().action_space, gen));
      if (r.terminated) break;
      if (t < kLimit) {
        ASSERT_FALSE(r.truncated) << "episode " << episode << " truncated early at step " << t;
      } else {
        ASSERT_TRUE(r.truncated) << "episode " << episode << " not truncated at the limit";
        ++truncations;
      }
    }
    EXPECT_NE(r.terminated, r.truncated) << "episode " << episode << " must have ended";
    EXPECT_THROW(env->step(sample(env->spec().action_space, gen)), Error);
  }
  EXPECT_GT(truncations, 0) << "no episode survived " << kLimit << " steps to test the limit";
}

INSTANTIATE_TEST_SUITE_P(AllRegisteredEnvs, EnvConformance, testing::ValuesIn(env_ids()),
                         test_name);

TEST(Registry, HoldsEveryShippedEnvSortedById) {
  const std::vector<std::string> ids = env_ids();
  for (const char* id :
       {"Ant-v5", "HalfCheetah-v5", "Hopper-v5", "Humanoid-v5", "InvertedDoublePendulum-v5",
        "InvertedPendulum-v5", "Reacher-v5", "Swimmer-v5", "Walker2d-v5", "mujoco/xml"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id << " is not registered";
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const EnvRegistration* reg : registered_envs())
    EXPECT_NE(reg->source_file.find(".cc"), std::string::npos) << reg->id;
}

TEST(Registry, UnknownIdListsTheRegisteredOnes) {
  try {
    make_env("Hoper-v5");
    FAIL() << "an unknown id must be rejected";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'Hoper-v5'"), std::string::npos) << message;
    for (const std::string& id : env_ids())
      EXPECT_NE(message.find(id), std::string::npos) << id << " missing from: " << message;
  }
}

}  // namespace
}  // namespace tandem::envs
