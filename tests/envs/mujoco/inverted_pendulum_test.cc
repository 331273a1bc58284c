#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_pendulum(const json& options = json::object()) {
  return make_env("InvertedPendulum-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

TEST(InvertedPendulum, SpacesMatchGymnasiumV5) {
  auto env = make_pendulum();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 4);
  EXPECT_EQ(env->spec().action_space.flat_size(), 1);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>{-3.0});
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>{3.0});
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 2);
  EXPECT_EQ(m->nv, 2);
  EXPECT_EQ(m->nu, 1);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.02);
  EXPECT_EQ(m->opt.integrator, mjINT_RK4);
  EXPECT_DOUBLE_EQ(m->actuator_gear[0], 100.0);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.04);
}

TEST(InvertedPendulum, SameSeedSameResetObservation) {
  auto a = make_pendulum(), b = make_pendulum();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // qpos and qvel start within U(±0.01) of zero
  std::vector<float> obs = a->reset(3);
  for (int i = 0; i < 4; ++i) EXPECT_LE(std::abs(obs[i]), 0.01 + 1e-7) << "obs[" << i << "]";
}

TEST(InvertedPendulum, RewardIsOneWhileUprightAndZeroOnTheTerminalStep) {
  auto env = make_pendulum();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  // a steady push tips the pole over well before the time limit
  int steps = 0;
  StepResult r;
  do {
    r = env->step({0.5f});
    ++steps;
    const mjData* d = m.data();
    const bool upright = std::isfinite(d->qpos[1]) && std::abs(d->qpos[1]) <= 0.2;
    EXPECT_EQ(r.terminated, !upright) << "step " << steps;
    EXPECT_DOUBLE_EQ(r.reward, upright ? 1.0 : 0.0) << "step " << steps;
    // observation: qpos then qvel
    EXPECT_FLOAT_EQ(r.obs[0], d->qpos[0]);
    EXPECT_FLOAT_EQ(r.obs[1], d->qpos[1]);
    EXPECT_FLOAT_EQ(r.obs[2], d->qvel[0]);
    EXPECT_FLOAT_EQ(r.obs[3], d->qvel[1]);
  } while (!r.terminated && !r.truncated);
  EXPECT_TRUE(r.terminated);
  EXPECT_LT(steps, 100);
  EXPECT_GT(std::abs(m.data()->qpos[1]), 0.2);
  EXPECT_THROW(env->step({0}), Error) << "stepping a finished episode must fail";
}

TEST(InvertedPendulum, BalancedWithoutNoiseTruncatesAtTheTimeLimit) {
  // with no reset noise the pole starts exactly upright and zero force keeps it there
  auto env = make_pendulum({{"reset_noise_scale", 0.0}, {"max_episode_steps", 5}});
  std::vector<float> obs = env->reset(0);
  EXPECT_EQ(obs, std::vector<float>(4, 0.0f));
  double total = 0;
  StepResult r;
  for (int t = 0; t < 5; ++t) {
    r = env->step({0});
    total += r.reward;
  }
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_DOUBLE_EQ(total, 5.0);
}

TEST(InvertedPendulum, ResetDrawsThePositionNoiseBeforeTheVelocityNoise) {
  // Gymnasium's order, whatever the compiler: the env's stream seeded with the seed, qpos's two
  // U(±0.01) first, then qvel's two (gcc built the reverse; a clang build the order here)
  auto env = make_pendulum();
  const std::vector<float> obs = env->reset(7);
  std::mt19937_64 rng(7);
  std::vector<double> expected;
  for (int i = 0; i < 4; ++i)
    expected.push_back(std::uniform_real_distribution<double>(-0.01, 0.01)(rng));
  ASSERT_EQ(obs.size(), 4u);  // qpos (cart, pole), qvel
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(obs[i], static_cast<float>(expected[i])) << i;
}

TEST(InvertedPendulum, UnknownOptionsAreErrors) {
  try {
    make_pendulum({{"reset_noise", 0.1}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reset_noise"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("reset_noise_scale"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_pendulum({{"frame_skip", 0}}), Error);
}

}  // namespace
}  // namespace tandem::envs
