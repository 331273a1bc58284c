#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

std::unique_ptr<Env> make_humanoid(const json& options = json::object()) {
  return make_env("Humanoid-v5", options);
}

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Σ a² of the action as the env sees it (floats widened to double).
double sum_squares(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return s;
}

// x of the centre of mass: Σ m_b xipos_b / Σ m_b.
double com_x(const mjModel* m, const mjData* d) {
  double mass = 0, x = 0;
  for (int b = 0; b < m->nbody; ++b) {
    mass += m->body_mass[b];
    x += m->body_mass[b] * d->xipos[3 * b];
  }
  return x / mass;
}

TEST(Humanoid, SpacesMatchGymnasiumV5) {
  auto env = make_humanoid();
  EXPECT_EQ(env->spec().observation_space.flat_size(), 348);
  EXPECT_EQ(env->spec().action_space.flat_size(), 17);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(17, -0.4));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(17, 0.4));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->nq, 24);
  EXPECT_EQ(m->nv, 23);
  EXPECT_EQ(m->nu, 17);
  EXPECT_EQ(m->nbody, 14);
  EXPECT_DOUBLE_EQ(m->qpos0[2], 1.4);
  EXPECT_NEAR(mj(*env).dt(), 0.015, 1e-15);
  const double gears[17] = {100, 100, 100, 100, 100, 300, 200, 100, 100,
                            300, 200, 25,  25,  25,  25,  25,  25};
  for (int i = 0; i < 17; ++i) EXPECT_DOUBLE_EQ(m->actuator_gear[6 * i], gears[i]) << i;
  EXPECT_EQ(make_humanoid({{"exclude_current_positions_from_observation", false}})
                ->spec()
                .observation_space.flat_size(),
            350);
  EXPECT_EQ(make_humanoid({{"include_cinert_in_observation", false},
                           {"include_cvel_in_observation", false},
                           {"include_qfrc_actuator_in_observation", false},
                           {"include_cfrc_ext_in_observation", false}})
                ->spec()
                .observation_space.flat_size(),
            45);
}

// Gymnasium's humanoid.xml sets <option timestep="0.003" integrator="RK4" iterations="50"
// solver="PGS">. The solver changes contact dynamics (Newton and PGS drift apart by radians
// within a few hundred steps), so it is checked both as a setting and by its effect.
TEST(Humanoid, SolverOptionsMatchGymnasium) {
  auto env = make_humanoid();
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(m->opt.solver, mjSOL_PGS);
  EXPECT_EQ(m->opt.iterations, 50);
  EXPECT_EQ(m->opt.integrator, mjINT_RK4);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.003);
}

// qpos after each of `actions.size()` env steps (frame_skip 5) of a model stepped by hand from
// the env's post-reset state, with the solver forced to `solver`.
std::vector<std::vector<double>> reference_trajectory(
    const mjData* start, mjtSolver solver, const std::vector<std::vector<float>>& actions) {
  MjModelPtr m = load_mujoco_model(mujoco_asset_path("humanoid.xml"));
  m->opt.solver = solver;
  MjDataPtr d(mj_makeData(m.get()));
  mju_copy(d->qpos, start->qpos, m->nq);
  mju_copy(d->qvel, start->qvel, m->nv);
  mju_copy(d->qacc_warmstart, start->qacc_warmstart, m->nv);
  mj_forward(m.get(), d.get());
  std::vector<std::vector<double>> qpos;
  for (const auto& action : actions) {
    for (int i = 0; i < m->nu; ++i) d->ctrl[i] = action[i];
    for (int k = 0; k < 5; ++k) mj_step(m.get(), d.get());
    qpos.emplace_back(d->qpos, d->qpos + m->nq);
  }
  return qpos;
}

double max_abs_difference(const std::vector<std::vector<double>>& a,
                          const std::vector<std::vector<double>>& b) {
  double worst = 0;
  for (size_t t = 0; t < a.size(); ++t)
    for (size_t i = 0; i < a[t].size(); ++i) worst = std::max(worst, std::abs(a[t][i] - b[t][i]));
  return worst;
}

TEST(Humanoid, StepsLikeTheModelWithGymnasiumsPgsSolver) {
  auto env = make_humanoid({{"terminate_when_unhealthy", false}});
  env->reset(11);
  const mjData* d = mj(*env).data();
  MjDataPtr start(mj_makeData(mj(*env).model()));
  mj_copyData(start.get(), mj(*env).model(), d);

  // a fixed, smooth action sequence that swings every joint (and puts the feet on the floor)
  std::vector<std::vector<float>> actions(60, std::vector<float>(17));
  for (size_t t = 0; t < actions.size(); ++t)
    for (int i = 0; i < 17; ++i)
      actions[t][i] = static_cast<float>(0.4 * std::sin(0.37 * static_cast<double>(t) + i));

  std::vector<std::vector<double>> env_qpos;
  for (const auto& action : actions) {
    env->step(action);
    env_qpos.emplace_back(d->qpos, d->qpos + mj(*env).model()->nq);
  }
  const auto pgs = reference_trajectory(start.get(), mjSOL_PGS, actions);
  const auto newton = reference_trajectory(start.get(), mjSOL_NEWTON, actions);
  // the trajectory is long enough to tell the two solvers apart ...
  EXPECT_GT(max_abs_difference(pgs, newton), 1e-6);
  // ... and the env follows PGS to rounding
  EXPECT_LE(max_abs_difference(env_qpos, pgs), 1e-12)
      << "Humanoid-v5 does not step like its model with solver=\"PGS\"";
}

// Gymnasium v5's step info: tendon_length and tendon_velocity are data.ten_length and
// data.ten_velocity, arrays over the two hip_y-knee tendons; the other entries are scalars.
TEST(Humanoid, InfoHasGymnasiumV5KeysAndTendonArrays) {
  auto env = make_humanoid();
  env->reset(6);
  const mjModel* m = mj(*env).model();
  const mjData* d = mj(*env).data();
  ASSERT_EQ(m->ntendon, 2);
  // the tendons are (-hip_y + knee), left then right: qpos 16, 17 and 12, 13
  EXPECT_NEAR(d->ten_length[0], -d->qpos[16] + d->qpos[17], 1e-12);
  EXPECT_NEAR(d->ten_length[1], -d->qpos[12] + d->qpos[13], 1e-12);
  for (int t = 0; t < 5; ++t) {
    StepResult r = env->step(std::vector<float>(17, 0.1f));
    std::vector<std::string> keys;
    for (const auto& [key, value] : r.info) {
      keys.push_back(key);
      if (key == "tendon_length") {
        EXPECT_EQ(value.values, std::vector<double>(d->ten_length, d->ten_length + 2));
      } else if (key == "tendon_velocity") {
        EXPECT_EQ(value.values, std::vector<double>(d->ten_velocity, d->ten_velocity + 2));
      } else {
        EXPECT_TRUE(value.is_scalar()) << key;
      }
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"x_position", "y_position", "tendon_length",
                                              "tendon_velocity", "distance_from_origin",
                                              "x_velocity", "y_velocity", "reward_forward",
                                              "reward_ctrl", "reward_contact", "reward_survive"}));
  }
  EXPECT_NE(d->ten_velocity[0], 0.0) << "the legs moved, so the tendons did";
}

TEST(Humanoid, SameSeedSameResetObservation) {
  auto a = make_humanoid(), b = make_humanoid();
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  // noise is U(±1e-2) on qpos (around z 1.4, identity quaternion) and on qvel
  std::vector<float> obs = a->reset(3);
  EXPECT_NEAR(obs[0], 1.4, 1e-2 + 1e-6);
  EXPECT_NEAR(obs[1], 1.0, 1e-2 + 1e-6);
  for (int i = 2; i < 22; ++i) EXPECT_LE(std::abs(obs[i]), 1e-2 + 1e-6) << "qpos[" << i + 2 << "]";
  for (int i = 22; i < 45; ++i)
    EXPECT_LE(std::abs(obs[i]), 1e-2 + 1e-6) << "qvel[" << i - 22 << "]";
  for (int i = 270; i < 348; ++i) EXPECT_EQ(obs[i], 0.0f) << "cfrc_ext obs[" << i << "]";
}

TEST(Humanoid, ObservationBlocksComeFromMjData) {
  auto env = make_humanoid();
  env->reset(4);
  std::vector<float> action(17, 0.2f);
  StepResult r;
  for (int t = 0; t < 10; ++t) r = env->step(action);
  const mjData* d = mj(*env).data();
  ASSERT_EQ(r.obs.size(), 348u);
  for (int i = 0; i < 22; ++i) EXPECT_FLOAT_EQ(r.obs[i], d->qpos[2 + i]);
  for (int i = 0; i < 23; ++i) EXPECT_FLOAT_EQ(r.obs[22 + i], d->qvel[i]);
  for (int i = 0; i < 130; ++i) EXPECT_FLOAT_EQ(r.obs[45 + i], d->cinert[10 + i]);
  for (int i = 0; i < 78; ++i) EXPECT_FLOAT_EQ(r.obs[175 + i], d->cvel[6 + i]);
  for (int i = 0; i < 17; ++i) EXPECT_FLOAT_EQ(r.obs[253 + i], d->qfrc_actuator[6 + i]);
  for (int i = 0; i < 78; ++i) EXPECT_FLOAT_EQ(r.obs[270 + i], d->cfrc_ext[6 + i]);
}

TEST(Humanoid, RewardIsSumOfDocumentedTerms) {
  auto env = make_humanoid();
  env->reset(1);
  const MujocoEnv& m = mj(*env);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.4f, 0.4f);
  bool saw_contact = false;
  for (int t = 0; t < 100; ++t) {
    std::vector<float> action(17);
    for (float& a : action) a = u(rng);
    const double x_before = com_x(m.model(), m.data());
    StepResult r = env->step(action);
    const mjData* d = m.data();
    const double x_velocity = (com_x(m.model(), d) - x_before) / 0.015;
    double cfrc_sq = 0;
    for (int i = 0; i < 6 * 14; ++i) {
      cfrc_sq += d->cfrc_ext[i] * d->cfrc_ext[i];
      saw_contact = saw_contact || d->cfrc_ext[i] != 0;
    }
    const bool healthy = d->qpos[2] > 1.0 && d->qpos[2] < 2.0;
    const double expected = (healthy ? 5.0 : 0.0) + 1.25 * x_velocity - 0.1 * sum_squares(action) -
                            std::min(5e-7 * cfrc_sq, 10.0);
    EXPECT_NEAR(r.reward, expected, 1e-9) << "step " << t;
    EXPECT_EQ(r.terminated, !healthy);
    if (r.terminated) break;
  }
  EXPECT_TRUE(saw_contact) << "cfrc_ext stayed zero: mj_rnePostConstraint was not run";
}

TEST(Humanoid, ContactCostIsCappedAtTen) {
  auto env = make_humanoid({{"contact_cost_weight", 1.0}});
  env->reset(0);
  bool capped = false;
  for (int t = 0; t < 100 && !capped; ++t) {
    StepResult r = env->step(std::vector<float>(17, 0.0f));
    for (const auto& [key, value] : r.info) {
      if (key != "reward_contact") continue;
      EXPECT_GE(value, -10.0);
      capped = capped || value == -10.0;
    }
    if (r.terminated) break;
  }
  EXPECT_TRUE(capped) << "feet on the floor with weight 1 should hit the cap of 10";
}

TEST(Humanoid, ZeroActionFallsAndTerminates) {
  auto env = make_humanoid();
  env->reset(0);
  int steps = 0;
  StepResult r;
  do {
    r = env->step(std::vector<float>(17, 0.0f));
    ++steps;
  } while (!r.terminated && !r.truncated);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_LT(steps, 300);
  EXPECT_LE(mj(*env).data()->qpos[2], 1.0);
  EXPECT_THROW(env->step(std::vector<float>(17, 0.0f)), Error);

  auto keep_going =
      make_humanoid({{"terminate_when_unhealthy", false}, {"max_episode_steps", 300}});
  keep_going->reset(0);
  for (int t = 0; t < 300; ++t) r = keep_going->step(std::vector<float>(17, 0.0f));
  EXPECT_FALSE(r.terminated);
  EXPECT_TRUE(r.truncated);
}

TEST(Humanoid, UnknownOptionsAreErrors) {
  EXPECT_THROW(make_humanoid({{"healthy_z_range", {2.0, 1.0}}}), Error);
  try {
    make_humanoid({{"contact_cost_range", {0.0, 10.0}}});
    FAIL() << "an unknown option must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("contact_cost_max"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tandem::envs
