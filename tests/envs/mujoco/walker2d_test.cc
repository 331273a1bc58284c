#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_walker(const json& options = json::object()) {
  return make_env("Walker2d-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Σ a² of the action as the env sees it (floats widened to double).
double sum_squares(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return s;
}

// Gymnasium v5's health rule with the default ranges: open intervals on z and the angle.
bool healthy(const mjData* d) {
  return 0.8 < d->qpos[1] && d->qpos[1] < 2.0 && -1.0 < d->qpos[2] && d->qpos[2] < 1.0;
}

TEST(Walker2d, SpacesMatchGymnasiumV5) {
  auto env = make_walker();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 17);
  EXPECT_EQ(env->spec().action_space.flat_size(), 6);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(6, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(6, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 9);
  EXPECT_EQ(m->nv, 9);
  EXPECT_EQ(m->nu, 6);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.008);
  // v5's model: both feet have friction 1.9
  const int right = mj_name2id(m, mjOBJ_GEOM, "foot_geom");
  const int left = mj_name2id(m, mjOBJ_GEOM, "foot_left_geom");
  ASSERT_GE(right, 0);
  ASSERT_GE(left, 0);
  EXPECT_DOUBLE_EQ(m->geom_friction[3 * right], 1.9);
  EXPECT_DOUBLE_EQ(m->geom_friction[3 * left], 1.9);
}

TEST(Walker2d, SameSeedSameResetObservation) {
  auto a = make_walker(), b = make_walker();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // noise is at most reset_noise_scale around the initial state (qpos[1] = torso z = 1.25)
  std::vector<float> obs = a->reset(3);
  ASSERT_EQ(obs.size(), 17u);
  EXPECT_NEAR(obs[0], 1.25, 5e-3 + 1e-6);
  for (int i = 1; i < 17; ++i) EXPECT_LE(std::abs(obs[i]), 5e-3 + 1e-7) << "obs[" << i << "]";
}

TEST(Walker2d, RewardIsSumOfDocumentedTerms) {
  auto env = make_walker();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int t = 0; t < 50; ++t) {
    std::vector<float> action(6);
    for (float& a : action) a = u(rng);
    const double x_before = m.data()->qpos[0];
    StepResult r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (d->qpos[0] - x_before) / 0.008;
    const double ctrl = 1e-3 * sum_squares(action);
    const bool ok = healthy(d);
    EXPECT_NEAR(r.reward, (ok ? 1.0 : 0.0) + x_velocity - ctrl, 1e-9) << "step " << t;
    EXPECT_EQ(r.terminated, !ok);
    // observation: qpos[1:] then qvel clipped to ±10
    for (int i = 1; i < 9; ++i) EXPECT_FLOAT_EQ(r.obs[i - 1], d->qpos[i]);
    for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(r.obs[8 + i], std::clamp(d->qvel[i], -10.0, 10.0));
    if (r.terminated) break;
  }
}

TEST(Walker2d, FallingTerminatesUnlessDisabled) {
  // full torque on every joint throws the walker over within a few hundred steps
  const std::vector<float> push(6, 1.0f);
  auto env = make_walker();
  env->reset(0);
  int steps = 0;
  StepResult r;
  do {
    r = env->step(push);
    ++steps;
  } while (!r.terminated && !r.truncated);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(healthy(mj(*env).data()));
  EXPECT_THROW(env->step(push), Error) << "stepping a finished episode must fail";

  // with terminate_when_unhealthy = false the same episode runs on, and an unhealthy step earns
  // no healthy reward
  auto cont = make_walker({{"terminate_when_unhealthy", false}, {"max_episode_steps", steps + 5}});
  cont->reset(0);
  for (int t = 0; t < steps + 5; ++t) {
    const double x_before = mj(*cont).data()->qpos[0];
    r = cont->step(push);
    const mjData* d = mj(*cont).data();
    const double expected =
        (healthy(d) ? 1.0 : 0.0) + (d->qpos[0] - x_before) / 0.008 - 1e-3 * sum_squares(push);
    EXPECT_NEAR(r.reward, expected, 1e-9) << "step " << t;
    EXPECT_FALSE(r.terminated);
  }
  EXPECT_TRUE(r.truncated);
}

TEST(Walker2d, OptionsChangeTheRewardAndUnknownOptionsAreErrors) {
  auto env = make_walker(
      {{"healthy_reward", 0.0}, {"forward_reward_weight", 0.0}, {"ctrl_cost_weight", 1.0}});
  env->reset(0);
  StepResult r = env->step(std::vector<float>(6, 1.0f));
  EXPECT_NEAR(r.reward, -6.0, 1e-9);

  // a healthy range that excludes the start height ends the episode at once
  auto low = make_walker({{"healthy_z_range", {0.1, 0.5}}});
  low->reset(0);
  EXPECT_TRUE(low->step(std::vector<float>(6, 0.0f)).terminated);

  // x first in the observation when asked for
  auto with_x = make_walker({{"exclude_current_positions_from_observation", false}});
  EXPECT_EQ(with_x->spec().observation_space.flat_size(), 18);
  std::vector<float> obs = with_x->reset(2);
  ASSERT_EQ(obs.size(), 18u);
  EXPECT_FLOAT_EQ(obs[0], mj(*with_x).data()->qpos[0]);
  EXPECT_FLOAT_EQ(obs[1], mj(*with_x).data()->qpos[1]);

  try {
    make_walker({{"healthy_rewrd", 1.0}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("healthy_rewrd"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("healthy_reward"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_walker({{"healthy_z_range", {2.0, 0.8}}}), Error);
  EXPECT_THROW(make_walker({{"healthy_angle_range", json::array({1.0})}}), Error);
  EXPECT_THROW(make_walker({{"frame_skip", 0}}), Error);
}

TEST(Walker2d, TimeLimitTruncates) {
  auto env = make_walker({{"max_episode_steps", 5}, {"terminate_when_unhealthy", false}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 5; ++t) r = env->step(std::vector<float>(6, 0.0f));
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

}  // namespace
}  // namespace tandem::envs
