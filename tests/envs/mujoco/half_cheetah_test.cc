#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_cheetah(const json& options = json::object()) {
  return make_env("HalfCheetah-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Σ a² of the action as the env sees it (floats widened to double).
double sum_squares(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return s;
}

TEST(HalfCheetah, SpacesMatchGymnasiumV5) {
  auto env = make_cheetah();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 17);
  EXPECT_EQ(env->spec().action_space.flat_size(), 6);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(6, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(6, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  EXPECT_EQ(mj(*env).model()->nq, 9);
  EXPECT_EQ(mj(*env).model()->nv, 9);
  EXPECT_EQ(mj(*env).model()->nu, 6);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.05);
}

TEST(HalfCheetah, SameSeedSameResetObservation) {
  auto a = make_cheetah(), b = make_cheetah();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // positions: qpos0 (all zero) + U(±0.1); velocities: 0.1 · N(0, 1), so not all tiny
  std::vector<float> obs = a->reset(3);
  ASSERT_EQ(obs.size(), 17u);
  for (int i = 0; i < 8; ++i) EXPECT_LE(std::abs(obs[i]), 0.1 + 1e-7) << "qpos[" << i + 1 << "]";
  double velocity_spread = 0;
  for (int i = 8; i < 17; ++i) velocity_spread += obs[i] * obs[i];
  EXPECT_GT(velocity_spread, 0.0);
  EXPECT_LT(velocity_spread, 9 * 0.25) << "0.1 · N(0, 1) noise should stay well under 0.5";
}

TEST(HalfCheetah, RewardIsSumOfDocumentedTermsAndNeverTerminates) {
  auto env = make_cheetah();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  StepResult r;
  for (int t = 0; t < 1000; ++t) {
    std::vector<float> action(6);
    for (float& a : action) a = u(rng);
    const double x_before = m.data()->qpos[0];
    r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (d->qpos[0] - x_before) / 0.05;
    ASSERT_NEAR(r.reward, x_velocity - 0.1 * sum_squares(action), 1e-9) << "step " << t;
    ASSERT_FALSE(r.terminated) << "step " << t;
    // observation: qpos[1:] then qvel, unclipped
    for (int i = 1; i < 9; ++i) ASSERT_FLOAT_EQ(r.obs[i - 1], d->qpos[i]);
    for (int i = 0; i < 9; ++i) ASSERT_FLOAT_EQ(r.obs[8 + i], d->qvel[i]);
    if (t < 999) {
      ASSERT_FALSE(r.truncated) << "step " << t;
    }
  }
  EXPECT_TRUE(r.truncated) << "the 1000-step time limit ends the episode";
}

TEST(HalfCheetah, OptionsChangeTheRewardAndUnknownOptionsAreErrors) {
  auto env = make_cheetah({{"forward_reward_weight", 0.0}, {"ctrl_cost_weight", 1.0}});
  env->reset(0);
  StepResult r = env->step(std::vector<float>(6, 1.0f));
  EXPECT_NEAR(r.reward, -6.0, 1e-9);

  // no noise: the reset state is exactly the model's initial state
  auto still = make_cheetah({{"reset_noise_scale", 0.0}});
  for (float x : still->reset(4)) EXPECT_EQ(x, 0.0f);

  // x first in the observation when asked for
  auto with_x = make_cheetah({{"exclude_current_positions_from_observation", false}});
  EXPECT_EQ(with_x->spec().observation_space.flat_size(), 18);
  std::vector<float> obs = with_x->reset(2);
  ASSERT_EQ(obs.size(), 18u);
  EXPECT_FLOAT_EQ(obs[0], mj(*with_x).data()->qpos[0]);

  try {
    make_cheetah({{"healthy_reward", 1.0}});
    FAIL() << "HalfCheetah has no health rule, so healthy_reward must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("healthy_reward"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ctrl_cost_weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_cheetah({{"frame_skip", 0}}), Error);
}

TEST(HalfCheetah, TimeLimitTruncates) {
  auto env = make_cheetah({{"max_episode_steps", 5}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 5; ++t) r = env->step(std::vector<float>(6, 0.0f));
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

}  // namespace
}  // namespace tandem::envs
