// Ant-v5: a four-legged 3-D walker that must move forward (Gymnasium v5 semantics).
//
// | observation (105) | qpos[2:] (z, torso quaternion, 8 hinge angles: 13) + qvel (14)          |
// |                   | + clip(cfrc_ext, contact_force_range) of bodies 1..13 (13 × 6 = 78)     |
// | action (8)        | hip/ankle torques in [-1, 1] (gear 150), order: hip_4 ankle_4 hip_1     |
// |                   | ankle_1 hip_2 ankle_2 hip_3 ankle_3                                     |
// | reward            | healthy_reward (1, only while healthy)                                  |
// |                   | + forward_reward_weight (1) · Δx / dt of main_body's xpos (torso)       |
// |                   | − ctrl_cost_weight (0.5) · Σ a²                                         |
// |                   | − contact_cost_weight (5e-4) · Σ clip(cfrc_ext, −1, 1)²                 |
// | terminated        | unhealthy: qpos or qvel not finite, or torso z ∉ [0.2, 1.0]             |
// |                   | (healthy_z_range, closed); never if terminate_when_unhealthy = false    |
// | truncated         | 1000 steps                                                              |
// | reset             | qpos0 + U(±0.1) (quaternion included, unnormalized), qvel 0.1 · N(0, 1) |
// | dt                | frame_skip 5 × timestep 0.01 = 0.05 s                                   |
//
// cfrc_ext is filled by mj_rnePostConstraint after the last substep (MuJoCo 2.2.2's mj_step
// leaves it at zero), as Gymnasium's MujocoEnv does; after a reset it is zero. Like Gymnasium,
// Δx uses the body's xpos, which mj_step leaves one substep behind qpos.
// Options (v5 names): exclude_current_positions_from_observation adds x, y (obs 107);
// include_cfrc_ext_in_observation = false drops the 78 contact values (obs 27).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Ant : public MujocoEnv {
 public:
  explicit Ant(const json& options) : Ant(ConfigReader(options, "Ant-v5 options")) {}

 private:
  explicit Ant(ConfigReader r)
      : MujocoEnv({"Ant-v5", Space::box(105, -kInf, kInf), Space::box(8, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("ant.xml"), r.integer("frame_skip", 5, 1, 1000),
                  /*needs_post_constraint=*/true),
        forward_reward_weight_(r.number("forward_reward_weight", 1.0, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 0.5, 0, 1e6)),
        contact_cost_weight_(r.number("contact_cost_weight", 5e-4, 0, 1e6)),
        healthy_reward_(r.number("healthy_reward", 1.0, -1e6, 1e6)),
        main_body_(static_cast<int>(r.integer("main_body", 1, 1, 1000000))),
        terminate_when_unhealthy_(r.flag("terminate_when_unhealthy", true)),
        healthy_z_range_(r.range("healthy_z_range", {0.2, 1.0})),
        contact_force_range_(r.range("contact_force_range", {-1.0, 1.0})),
        reset_noise_scale_(r.number("reset_noise_scale", 0.1, 0, 10)),
        exclude_xy_(r.flag("exclude_current_positions_from_observation", true)),
        include_cfrc_ext_(r.flag("include_cfrc_ext_in_observation", true)) {
    if (main_body_ >= model()->nbody)
      throw Error(r.where() + ": main_body " + std::to_string(main_body_) +
                  " is not a body of ant.xml (valid: 1.." + std::to_string(model()->nbody - 1) +
                  ", 1 = torso)");
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space = Space::box(observation_size(), -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  int observation_size() const {
    const mjModel* m = model();
    return (m->nq - (exclude_xy_ ? 2 : 0)) + m->nv + (include_cfrc_ext_ ? 6 * (m->nbody - 1) : 0);
  }

  bool is_healthy() const {
    const mjData* d = data();
    for (int i = 0; i < model()->nq; ++i)
      if (!std::isfinite(d->qpos[i])) return false;
    for (int i = 0; i < model()->nv; ++i)
      if (!std::isfinite(d->qvel[i])) return false;
    const double z = d->qpos[2];
    return healthy_z_range_[0] <= z && z <= healthy_z_range_[1];
  }

  double clipped_contact_force(int i) const {
    return std::clamp(data()->cfrc_ext[i], contact_force_range_[0], contact_force_range_[1]);
  }

  // Σ over every body (the world's entry is always zero) of the clipped contact wrench squared.
  double contact_cost() const {
    double s = 0;
    for (int i = 0; i < 6 * model()->nbody; ++i) {
      const double f = clipped_contact_force(i);
      s += f * f;
    }
    return contact_cost_weight_ * s;
  }

  void reset_model() override {
    std::vector<double> qpos = init_qpos_plus_uniform(reset_noise_scale_);
    std::vector<double> qvel(model()->nv);
    for (double& v : qvel) v = reset_noise_scale_ * normal();
    set_state(qpos, qvel);
  }

  std::vector<float> observation() const override {
    const mjModel* m = model();
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(observation_size());
    for (int i = exclude_xy_ ? 2 : 0; i < m->nq; ++i) obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < m->nv; ++i) obs.push_back(static_cast<float>(d->qvel[i]));
    if (include_cfrc_ext_) {
      for (int i = 6; i < 6 * m->nbody; ++i)
        obs.push_back(static_cast<float>(clipped_contact_force(i)));
    }
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    const double* xpos = data()->xpos + 3 * main_body_;
    const double x_before = xpos[0], y_before = xpos[1];
    simulate(action);
    const double x_velocity = (xpos[0] - x_before) / dt();
    const double y_velocity = (xpos[1] - y_before) / dt();

    const bool healthy = is_healthy();
    const double forward = forward_reward_weight_ * x_velocity;
    const double survive = healthy ? healthy_reward_ : 0.0;
    const double ctrl = ctrl_cost_weight_ * squared_norm(action);
    const double contact = contact_cost();

    const mjData* d = data();
    StepResult r;
    r.obs = observation();
    r.reward = forward + survive - ctrl - contact;
    r.terminated = terminate_when_unhealthy_ && !healthy;
    r.info = {{"x_position", d->qpos[0]},
              {"y_position", d->qpos[1]},
              {"distance_from_origin", std::hypot(d->qpos[0], d->qpos[1])},
              {"x_velocity", x_velocity},
              {"y_velocity", y_velocity},
              {"reward_forward", forward},
              {"reward_ctrl", -ctrl},
              {"reward_contact", -contact},
              {"reward_survive", survive}};
    return r;
  }

  double forward_reward_weight_, ctrl_cost_weight_, contact_cost_weight_, healthy_reward_;
  int main_body_;
  bool terminate_when_unhealthy_;
  std::vector<double> healthy_z_range_, contact_force_range_;
  double reset_noise_scale_;
  bool exclude_xy_, include_cfrc_ext_;
};

}  // namespace

TANDEM_REGISTER_ENV("Ant-v5", Ant);

}  // namespace tandem::envs
