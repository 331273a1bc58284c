#include <cmath>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_reacher(const json& options = json::object()) {
  return make_env("Reacher-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

TEST(Reacher, SpacesMatchGymnasiumV5) {
  auto env = make_reacher();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 10);
  EXPECT_EQ(env->spec().action_space.flat_size(), 2);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(2, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(2, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 50);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 4);
  EXPECT_EQ(m->nv, 4);
  EXPECT_EQ(m->nu, 2);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.01);
  EXPECT_EQ(m->opt.integrator, mjINT_RK4);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.02);
}

TEST(Reacher, ResetPutsTheTargetInsideTheDisc) {
  auto a = make_reacher(), b = make_reacher();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  const mjData* d = mj(*a).data();
  const int target = mj_name2id(mj(*a).model(), mjOBJ_BODY, "target");
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::vector<float> obs = a->reset(seed);
    EXPECT_LT(std::hypot(d->qpos[2], d->qpos[3]), 0.2) << "seed " << seed;
    EXPECT_LE(std::abs(d->qpos[0]), 0.1);
    EXPECT_LE(std::abs(d->qpos[1]), 0.1);
    EXPECT_LE(std::abs(d->qvel[0]), 0.005);
    EXPECT_LE(std::abs(d->qvel[1]), 0.005);
    EXPECT_EQ(d->qvel[2], 0.0);
    EXPECT_EQ(d->qvel[3], 0.0);
    // the target slides are laid out so that its world xy equals its qpos
    EXPECT_NEAR(d->xpos[3 * target], d->qpos[2], 1e-12);
    EXPECT_NEAR(d->xpos[3 * target + 1], d->qpos[3], 1e-12);
    EXPECT_FLOAT_EQ(obs[4], d->qpos[2]);
    EXPECT_FLOAT_EQ(obs[5], d->qpos[3]);
  }
}

TEST(Reacher, RewardIsSumOfDocumentedTerms) {
  auto env = make_reacher();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  const int tip = mj_name2id(m.model(), mjOBJ_BODY, "fingertip");
  const int target = mj_name2id(m.model(), mjOBJ_BODY, "target");
  const std::vector<float> action = {0.4f, -0.7f};
  for (int t = 0; t < 20; ++t) {
    StepResult r = env->step(action);
    const mjData* d = m.data();
    double dist2 = 0;
    for (int i = 0; i < 3; ++i) {
      const double v = d->xpos[3 * tip + i] - d->xpos[3 * target + i];
      dist2 += v * v;
    }
    const double ctrl = double(action[0]) * action[0] + double(action[1]) * action[1];
    EXPECT_NEAR(r.reward, -std::sqrt(dist2) - ctrl, 1e-9) << "step " << t;
    EXPECT_FALSE(r.terminated);
    // observation: cos θ, sin θ, target xy, arm rates, fingertip − target xy
    EXPECT_FLOAT_EQ(r.obs[0], std::cos(d->qpos[0]));
    EXPECT_FLOAT_EQ(r.obs[1], std::cos(d->qpos[1]));
    EXPECT_FLOAT_EQ(r.obs[2], std::sin(d->qpos[0]));
    EXPECT_FLOAT_EQ(r.obs[3], std::sin(d->qpos[1]));
    EXPECT_FLOAT_EQ(r.obs[4], d->qpos[2]);
    EXPECT_FLOAT_EQ(r.obs[5], d->qpos[3]);
    EXPECT_FLOAT_EQ(r.obs[6], d->qvel[0]);
    EXPECT_FLOAT_EQ(r.obs[7], d->qvel[1]);
    EXPECT_FLOAT_EQ(r.obs[8], d->xpos[3 * tip] - d->xpos[3 * target]);
    EXPECT_FLOAT_EQ(r.obs[9], d->xpos[3 * tip + 1] - d->xpos[3 * target + 1]);
  }
}

TEST(Reacher, NeverTerminatesAndTruncatesAtFiftySteps) {
  auto env = make_reacher();
  env->reset(0);
  int steps = 0;
  StepResult r;
  do {
    r = env->step({1, -1});
    ++steps;
    EXPECT_FALSE(r.terminated);
  } while (!r.truncated);
  EXPECT_EQ(steps, 50);
}

TEST(Reacher, RewardWeightsAreOptions) {
  auto env = make_reacher({{"reward_dist_weight", 0.0}, {"reward_control_weight", 0.5}});
  env->reset(0);
  EXPECT_NEAR(env->step({1, 1}).reward, -1.0, 1e-9);
  EXPECT_THROW(make_reacher({{"reward_ctrl_weight", 1.0}}), Error);
}

}  // namespace
}  // namespace tandem::envs
