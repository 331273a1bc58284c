#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_hopper(const json& options = json::object()) {
  return make_env("Hopper-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

TEST(Hopper, SpacesMatchGymnasiumV5) {
  auto env = make_hopper();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 11);
  EXPECT_EQ(env->spec().action_space.flat_size(), 3);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(3, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(3, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  EXPECT_EQ(mj(*env).model()->nq, 6);
  EXPECT_EQ(mj(*env).model()->nv, 6);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.008);
}

TEST(Hopper, SameSeedSameResetObservation) {
  auto a = make_hopper(), b = make_hopper();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // noise is at most reset_noise_scale around the initial state (torso height 1.25, joints 0)
  std::vector<float> obs = a->reset(3);
  EXPECT_NEAR(obs[0], 1.25, 5e-3 + 1e-6);
  for (int i = 1; i < 5; ++i) EXPECT_LE(std::abs(obs[i]), 5e-3 + 1e-7) << "qpos[" << i + 1 << "]";
}

TEST(Hopper, ZeroActionFallsAndTerminates) {
  auto env = make_hopper();
  env->reset(0);
  int steps = 0;
  StepResult r;
  do {
    r = env->step({0, 0, 0});
    ++steps;
  } while (!r.terminated && !r.truncated);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_LT(steps, 200);
  const mjData* d = mj(*env).data();
  EXPECT_TRUE(d->qpos[1] <= 0.7 || std::abs(d->qpos[2]) >= 0.2);
  EXPECT_THROW(env->step({0, 0, 0}), Error) << "stepping a finished episode must fail";
}

TEST(Hopper, RewardIsSumOfDocumentedTerms) {
  auto env = make_hopper();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::vector<float> action = {0.3f, -0.5f, 0.9f};
  for (int t = 0; t < 20; ++t) {
    const double x_before = m.data()->qpos[0];
    StepResult r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (d->qpos[0] - x_before) / 0.008;
    const double ctrl = 1e-3 * (0.09 + 0.25 + 0.81);
    bool healthy = d->qpos[1] > 0.7 && std::abs(d->qpos[2]) < 0.2;
    for (int i = 2; i < 6; ++i) healthy = healthy && std::abs(d->qpos[i]) < 100;
    for (int i = 0; i < 6; ++i) healthy = healthy && std::abs(d->qvel[i]) < 100;
    EXPECT_NEAR(r.reward, (healthy ? 1.0 : 0.0) + x_velocity - ctrl, 1e-9) << "step " << t;
    EXPECT_EQ(r.terminated, !healthy);
    // observation: qpos[1:] then qvel clipped to ±10
    for (int i = 1; i < 6; ++i) EXPECT_FLOAT_EQ(r.obs[i - 1], d->qpos[i]);
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(r.obs[5 + i], std::clamp(d->qvel[i], -10.0, 10.0));
    if (r.terminated) break;
  }
}

// Gymnasium v5's step info: z_distance_from_origin = qpos[1] - init_qpos[1] (1.25).
TEST(Hopper, InfoHasGymnasiumV5Keys) {
  auto env = make_hopper();
  env->reset(2);
  const mjData* d = mj(*env).data();
  for (int t = 0; t < 10; ++t) {
    StepResult r = env->step({0.5f, -0.2f, 0.1f});
    std::vector<std::string> keys;
    for (const auto& [key, value] : r.info) {
      keys.push_back(key);
      EXPECT_TRUE(value.is_scalar()) << key;
      if (key == "x_position") {
        EXPECT_EQ(value, d->qpos[0]);
      }
      if (key == "z_distance_from_origin") {
        EXPECT_EQ(value, d->qpos[1] - 1.25);
      }
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"x_position", "z_distance_from_origin", "x_velocity",
                                              "reward_forward", "reward_ctrl", "reward_survive"}));
  }
}

TEST(Hopper, OptionsChangeTheRewardAndUnknownOptionsAreErrors) {
  auto env = make_hopper(
      {{"healthy_reward", 0.0}, {"forward_reward_weight", 0.0}, {"ctrl_cost_weight", 1.0}});
  env->reset(0);
  StepResult r = env->step({1, 1, 1});
  EXPECT_NEAR(r.reward, -3.0, 1e-9);
  try {
    make_hopper({{"healthy_rewrd", 1.0}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("healthy_rewrd"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("healthy_reward"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_hopper({{"frame_skip", 0}}), Error);
}

TEST(Hopper, TimeLimitTruncates) {
  auto env = make_hopper({{"max_episode_steps", 5}, {"terminate_when_unhealthy", false}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 5; ++t) r = env->step({0, 0, 0});
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

}  // namespace
}  // namespace tandem::envs
