#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_swimmer(const json& options = json::object()) {
  return make_env("Swimmer-v5", options);
}

constexpr double kPi = 3.14159265358979323846;

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Σ a² of the action as the env sees it (floats widened to double).
double sum_squares(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return s;
}

double info_value(const StepResult& r, const std::string& key) {
  for (const auto& [name, value] : r.info)
    if (name == key) return value;
  ADD_FAILURE() << "info has no " << key;
  return NAN;
}

TEST(Swimmer, SpacesMatchGymnasiumV5) {
  auto env = make_swimmer();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 8);
  EXPECT_EQ(env->spec().action_space.flat_size(), 2);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(2, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(2, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 5);
  EXPECT_EQ(m->nv, 5);
  EXPECT_EQ(m->nu, 2);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.04);
  // the fluid that makes swimming possible
  EXPECT_DOUBLE_EQ(m->opt.density, 4000);
  EXPECT_DOUBLE_EQ(m->opt.viscosity, 0.1);
}

TEST(Swimmer, SameSeedSameResetObservation) {
  auto a = make_swimmer(), b = make_swimmer();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // qpos0 and the initial velocity are zero; both get U(±0.1)
  std::vector<float> obs = a->reset(3);
  ASSERT_EQ(obs.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_LE(std::abs(obs[i]), 0.1 + 1e-7) << "obs[" << i << "]";
}

TEST(Swimmer, RewardIsSumOfDocumentedTermsAndNeverTerminates) {
  auto env = make_swimmer();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  StepResult r;
  for (int t = 0; t < 1000; ++t) {
    std::vector<float> action(2);
    for (float& a : action) a = u(rng);
    const double x_before = m.data()->qpos[0], y_before = m.data()->qpos[1];
    r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (d->qpos[0] - x_before) / 0.04;
    ASSERT_NEAR(r.reward, x_velocity - 1e-4 * sum_squares(action), 1e-9) << "step " << t;
    ASSERT_NEAR(info_value(r, "y_velocity"), (d->qpos[1] - y_before) / 0.04, 1e-9);
    ASSERT_FALSE(r.terminated) << "step " << t;
    // observation: qpos[2:] then qvel, unclipped
    for (int i = 2; i < 5; ++i) ASSERT_FLOAT_EQ(r.obs[i - 2], d->qpos[i]);
    for (int i = 0; i < 5; ++i) ASSERT_FLOAT_EQ(r.obs[3 + i], d->qvel[i]);
    if (t < 999) {
      ASSERT_FALSE(r.truncated) << "step " << t;
    }
  }
  EXPECT_TRUE(r.truncated) << "the 1000-step time limit ends the episode";
}

TEST(Swimmer, UndulatingSwimsForward) {
  // a travelling wave along the body (joint 2 lagging joint 1) propels the swimmer; the sign of
  // the lag sets the direction, so one of the two must make clear progress along x
  double best = -1e9;
  for (double lag : {kPi / 2, -kPi / 2}) {
    auto env = make_swimmer({{"reset_noise_scale", 0.0}});
    env->reset(0);
    double x = 0;
    for (int t = 0; t < 300; ++t) {
      const double phase = 2 * kPi * t * 0.04 / 1.5;  // 1.5 s period
      StepResult r = env->step(
          {static_cast<float>(std::sin(phase)), static_cast<float>(std::sin(phase - lag))});
      x = info_value(r, "x_position");
    }
    best = std::max(best, x);
  }
  EXPECT_GT(best, 0.1) << "neither wave direction moved the swimmer forward";
}

TEST(Swimmer, OptionsChangeTheRewardAndUnknownOptionsAreErrors) {
  auto env = make_swimmer({{"forward_reward_weight", 0.0}, {"ctrl_cost_weight", 1.0}});
  env->reset(0);
  StepResult r = env->step({1.0f, -1.0f});
  EXPECT_NEAR(r.reward, -2.0, 1e-9);

  // x and y first in the observation when asked for
  auto with_xy = make_swimmer({{"exclude_current_positions_from_observation", false}});
  EXPECT_EQ(with_xy->spec().observation_space.flat_size(), 10);
  std::vector<float> obs = with_xy->reset(2);
  ASSERT_EQ(obs.size(), 10u);
  EXPECT_FLOAT_EQ(obs[0], mj(*with_xy).data()->qpos[0]);
  EXPECT_FLOAT_EQ(obs[1], mj(*with_xy).data()->qpos[1]);

  try {
    make_swimmer({{"ctrl_cost_wieght", 1.0}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ctrl_cost_wieght"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ctrl_cost_weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_swimmer({{"frame_skip", 0}}), Error);
}

TEST(Swimmer, TimeLimitTruncates) {
  auto env = make_swimmer({{"max_episode_steps", 5}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 5; ++t) r = env->step({0.0f, 0.0f});
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

}  // namespace
}  // namespace tandem::envs
