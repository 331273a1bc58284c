#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_ant(const json& options = json::object()) {
  return make_env("Ant-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Σ a² of the action as the env sees it (floats widened to double).
double sum_squares(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return s;
}

TEST(Ant, SpacesMatchGymnasiumV5) {
  auto env = make_ant();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 105);
  EXPECT_EQ(env->spec().action_space.flat_size(), 8);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(8, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(8, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 15);
  EXPECT_EQ(m->nv, 14);
  EXPECT_EQ(m->nu, 8);
  EXPECT_EQ(m->nbody, 14);
  for (int i = 0; i < m->nu; ++i) EXPECT_DOUBLE_EQ(m->actuator_gear[6 * i], 150.0);
  EXPECT_DOUBLE_EQ(m->qpos0[2], 0.75);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.05);
  // optional blocks change the size as in Gymnasium
  EXPECT_EQ(make_ant({{"exclude_current_positions_from_observation", false}})
                ->spec().observation_space.flat_size(), 107);
  EXPECT_EQ(make_ant({{"include_cfrc_ext_in_observation", false}})
                ->spec().observation_space.flat_size(), 27);
}

TEST(Ant, SameSeedSameResetObservation) {
  auto a = make_ant(), b = make_ant();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // qpos noise is U(±0.1) around qpos0 (torso z 0.75, identity quaternion, hinges 0)
  std::vector<float> obs = a->reset(3);
  const mjData* d = mj(*a).data();
  EXPECT_NEAR(obs[0], 0.75, 0.1 + 1e-6);
  EXPECT_NEAR(obs[1], 1.0, 0.1 + 1e-6);
  for (int i = 2; i < 13; ++i) EXPECT_LE(std::abs(obs[i]), 0.1 + 1e-6) << "qpos[" << i + 2 << "]";
  for (int i = 0; i < 13; ++i) EXPECT_FLOAT_EQ(obs[i], d->qpos[i + 2]);
  for (int i = 0; i < 14; ++i) EXPECT_FLOAT_EQ(obs[13 + i], d->qvel[i]);
  // no contact has been resolved yet: the contact block is zero after a reset
  for (int i = 27; i < 105; ++i) EXPECT_EQ(obs[i], 0.0f) << "obs[" << i << "]";
}

TEST(Ant, RewardIsSumOfDocumentedTerms) {
  auto env = make_ant();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  bool saw_contact = false;
  for (int t = 0; t < 60; ++t) {
    std::vector<float> action(8);
    for (float& a : action) a = u(rng);
    const double x_before = m.data()->xpos[3 * 1];  // body 1 = torso
    StepResult r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (d->xpos[3 * 1] - x_before) / 0.05;
    double contact = 0;
    for (int i = 0; i < 6 * 14; ++i) {
      const double f = std::clamp(d->cfrc_ext[i], -1.0, 1.0);
      contact += f * f;
      saw_contact = saw_contact || d->cfrc_ext[i] != 0;
    }
    bool healthy = d->qpos[2] >= 0.2 && d->qpos[2] <= 1.0;
    for (int i = 0; i < 15; ++i) healthy = healthy && std::isfinite(d->qpos[i]);
    for (int i = 0; i < 14; ++i) healthy = healthy && std::isfinite(d->qvel[i]);
    const double expected =
        (healthy ? 1.0 : 0.0) + x_velocity - 0.5 * sum_squares(action) - 5e-4 * contact;
    EXPECT_NEAR(r.reward, expected, 1e-9) << "step " << t;
    EXPECT_EQ(r.terminated, !healthy);
    // observation: qpos[2:], qvel, then the clipped contact wrenches of bodies 1..13
    ASSERT_EQ(r.obs.size(), 105u);
    for (int i = 0; i < 6 * 13; ++i)
      EXPECT_FLOAT_EQ(r.obs[27 + i], std::clamp(d->cfrc_ext[6 + i], -1.0, 1.0));
    if (r.terminated) break;
  }
  EXPECT_TRUE(saw_contact) << "cfrc_ext stayed zero: mj_rnePostConstraint was not run";
}

TEST(Ant, UnhealthyHeightTerminates) {
  // the ant starts at z ≈ 0.75, outside [2, 3]: unhealthy from the first step
  auto env = make_ant({{"healthy_z_range", {2.0, 3.0}}});
  env->reset(0);
  StepResult r = env->step(std::vector<float>(8, 0.0f));
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_THROW(env->step(std::vector<float>(8, 0.0f)), Error);
  for (const auto& [key, value] : r.info) {
    if (key == "reward_survive") {
      EXPECT_EQ(value, 0.0);
    }
  }

  auto keep_going =
      make_ant({{"healthy_z_range", {2.0, 3.0}}, {"terminate_when_unhealthy", false}});
  keep_going->reset(0);
  EXPECT_FALSE(keep_going->step(std::vector<float>(8, 0.0f)).terminated);
}

TEST(Ant, RestingAntStaysHealthyUntilTheTimeLimit) {
  auto env = make_ant();
  env->reset(2);
  StepResult r;
  int steps = 0;
  do {
    r = env->step(std::vector<float>(8, 0.0f));
    ++steps;
  } while (!r.terminated && !r.truncated);
  EXPECT_EQ(steps, 1000);
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

TEST(Ant, OptionsAreCheckedAndUnknownOptionsAreErrors) {
  EXPECT_THROW(make_ant({{"healthy_z_range", {1.0, 0.5}}}), Error);
  EXPECT_THROW(make_ant({{"contact_force_range", json::array({-1.0})}}), Error);
  EXPECT_THROW(make_ant({{"main_body", 14}}), Error);
  try {
    make_ant({{"contact_cost_wieght", 1.0}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("contact_cost_weight"), std::string::npos) << e.what();
  }
  // with every weight but the control cost at zero, the reward is −w_ctrl Σ a²
  auto env = make_ant({{"healthy_reward", 0.0}, {"forward_reward_weight", 0.0},
                       {"contact_cost_weight", 0.0}, {"ctrl_cost_weight", 1.0}});
  env->reset(0);
  EXPECT_NEAR(env->step(std::vector<float>(8, 1.0f)).reward, -8.0, 1e-9);
}

}  // namespace
}  // namespace tandem::envs
