#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_double(const json& options = json::object()) {
  return make_env("InvertedDoublePendulum-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

TEST(InvertedDoublePendulum, SpacesMatchGymnasiumV5) {
  auto env = make_double();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 9);
  EXPECT_EQ(env->spec().action_space.flat_size(), 1);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>{-1.0});
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>{1.0});
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 3);
  EXPECT_EQ(m->nv, 3);
  EXPECT_EQ(m->nu, 1);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.01);
  EXPECT_EQ(m->opt.integrator, mjINT_RK4);
  EXPECT_DOUBLE_EQ(m->actuator_gear[0], 500.0);
  EXPECT_GE(mj_name2id(m, mjOBJ_SITE, "tip"), 0);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.05);
}

TEST(InvertedDoublePendulum, SameSeedSameResetObservation) {
  auto a = make_double(), b = make_double();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  std::vector<float> obs = a->reset(3);
  EXPECT_LE(std::abs(obs[0]), 0.1 + 1e-7) << "cart x starts within U(±0.1)";
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(obs[1 + i] * obs[1 + i] + obs[3 + i] * obs[3 + i], 1.0, 1e-6) << "hinge " << i;
    EXPECT_LE(std::abs(obs[1 + i]), std::sin(0.1) + 1e-7) << "angles start within U(±0.1)";
  }
}

TEST(InvertedDoublePendulum, RewardIsSumOfDocumentedTerms) {
  auto env = make_double();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  const int tip = mj_name2id(m.model(), mjOBJ_SITE, "tip");
  int steps = 0;
  StepResult r;
  do {
    r = env->step({0.2f});
    ++steps;
    const mjData* d = m.data();
    const double x = d->site_xpos[3 * tip], z = d->site_xpos[3 * tip + 2];
    const bool terminated = z <= 1.0;
    const double expected = (terminated ? 0.0 : 10.0) - (0.01 * x * x + (z - 2) * (z - 2)) -
                            (1e-3 * d->qvel[1] * d->qvel[1] + 5e-3 * d->qvel[2] * d->qvel[2]);
    EXPECT_EQ(r.terminated, terminated) << "step " << steps;
    EXPECT_NEAR(r.reward, expected, 1e-9) << "step " << steps;
    // observation: x, sin θ1, sin θ2, cos θ1, cos θ2, clipped qvel, clipped slider constraint
    EXPECT_FLOAT_EQ(r.obs[0], d->qpos[0]);
    for (int i = 0; i < 2; ++i) {
      EXPECT_FLOAT_EQ(r.obs[1 + i], std::sin(d->qpos[1 + i]));
      EXPECT_FLOAT_EQ(r.obs[3 + i], std::cos(d->qpos[1 + i]));
    }
    for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(r.obs[5 + i], std::clamp(d->qvel[i], -10.0, 10.0));
    EXPECT_FLOAT_EQ(r.obs[8], std::clamp(d->qfrc_constraint[0], -10.0, 10.0));
  } while (!r.terminated && !r.truncated);
  EXPECT_TRUE(r.terminated) << "a steady push must topple the poles";
  EXPECT_LT(steps, 200);
}

TEST(InvertedDoublePendulum, HealthyRewardOptionAndUnknownOptions) {
  auto a = make_double(), b = make_double({{"healthy_reward", 3.0}});
  a->reset(5);
  b->reset(5);
  StepResult ra = a->step({0}), rb = b->step({0});
  ASSERT_FALSE(ra.terminated);
  EXPECT_NEAR(ra.reward - rb.reward, 7.0, 1e-9);
  EXPECT_THROW(make_double({{"healthy_rewards", 1.0}}), Error);
}

TEST(InvertedDoublePendulum, TimeLimitTruncates) {
  auto env = make_double({{"max_episode_steps", 3}, {"reset_noise_scale", 0.0}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 3; ++t) r = env->step({0});
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

}  // namespace
}  // namespace tandem::envs
