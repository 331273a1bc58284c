// Humanoid-v5: a 3-D biped that must walk forward without falling (Gymnasium v5 semantics).
//
// | observation (348) | qpos[2:] (z, torso quaternion, 17 hinge angles: 22) + qvel (23)         |
// |                   | + cinert of bodies 1..13 (13 × 10 = 130) + cvel of bodies 1..13 (78)    |
// |                   | + qfrc_actuator[6:] (17) + cfrc_ext of bodies 1..13 (78, unclipped)     |
// | action (17)       | joint torques in [-0.4, 0.4] (gears 100 / 300 hips_y / 200 knees / 25   |
// |                   | arms), order: abdomen y z x, right hip x z y, right knee, left hip      |
// |                   | x z y, left knee, right shoulder1 2, elbow, left shoulder1 2, elbow     |
// | reward            | healthy_reward (5, only while healthy)                                  |
// |                   | + forward_reward_weight (1.25) · Δx / dt of the centre of mass          |
// |                   | − ctrl_cost_weight (0.1) · Σ a²                                         |
// |                   | − min(contact_cost_weight (5e-7) · Σ cfrc_ext², contact_cost_max (10))  |
// | terminated        | unhealthy: torso z ∉ (1.0, 2.0) (healthy_z_range, open);                |
// |                   | never if terminate_when_unhealthy = false                               |
// | truncated         | 1000 steps                                                              |
// | reset             | qpos0 + U(±1e-2), qvel U(±1e-2)                                         |
// | dt                | frame_skip 5 × timestep 0.003 = 0.015 s                                 |
//
// The centre of mass is Σ body_mass · xipos / Σ body_mass, from xipos, which mj_step leaves one
// substep behind qpos (as in Gymnasium). cfrc_ext is filled by mj_rnePostConstraint after the last
// substep (MuJoCo 2.2.2's mj_step leaves it at zero), as Gymnasium's MujocoEnv does; after a reset
// it is zero. Options (v5 names): exclude_current_positions_from_observation adds x, y (obs 350);
// include_cinert / cvel / qfrc_actuator / cfrc_ext_in_observation = false drop those blocks.
// Gymnasium's contact_cost_range (-inf, 10) is the single number contact_cost_max here (the cost
// is never negative, so only the upper end acts). Gymnasium's ctrl cost reads data.ctrl, which
// holds the action as given (MuJoCo clamps only when computing forces), so Σ a² is the same.
// Info, in Gymnasium's order: x_position, y_position, tendon_length and tendon_velocity (arrays
// of 2: left, right hip_y-knee tendon; ten_length as mj_step leaves it), distance_from_origin,
// x_velocity, y_velocity, then the reward terms.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Humanoid : public MujocoEnv {
 public:
  explicit Humanoid(const json& options) : Humanoid(ConfigReader(options, "Humanoid-v5 options")) {}

 private:
  explicit Humanoid(ConfigReader r)
      : MujocoEnv({"Humanoid-v5", Space::box(348, -kInf, kInf), Space::box(17, -0.4, 0.4),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("humanoid.xml"), r.integer("frame_skip", 5, 1, 1000),
                  /*needs_post_constraint=*/true),
        forward_reward_weight_(r.number("forward_reward_weight", 1.25, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 0.1, 0, 1e6)),
        contact_cost_weight_(r.number("contact_cost_weight", 5e-7, 0, 1e6)),
        contact_cost_max_(r.number("contact_cost_max", 10.0, 0, kInf)),
        healthy_reward_(r.number("healthy_reward", 5.0, -1e6, 1e6)),
        terminate_when_unhealthy_(r.flag("terminate_when_unhealthy", true)),
        healthy_z_range_(r.range("healthy_z_range", {1.0, 2.0})),
        reset_noise_scale_(r.number("reset_noise_scale", 1e-2, 0, 10)),
        exclude_xy_(r.flag("exclude_current_positions_from_observation", true)),
        include_cinert_(r.flag("include_cinert_in_observation", true)),
        include_cvel_(r.flag("include_cvel_in_observation", true)),
        include_qfrc_actuator_(r.flag("include_qfrc_actuator_in_observation", true)),
        include_cfrc_ext_(r.flag("include_cfrc_ext_in_observation", true)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space = Space::box(observation_size(), -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  int observation_size() const {
    const mjModel* m = model();
    const int bodies = m->nbody - 1;  // the world body is left out of every per-body block
    return (m->nq - (exclude_xy_ ? 2 : 0)) + m->nv + (include_cinert_ ? 10 * bodies : 0) +
           (include_cvel_ ? 6 * bodies : 0) + (include_qfrc_actuator_ ? m->nv - 6 : 0) +
           (include_cfrc_ext_ ? 6 * bodies : 0);
  }

  bool is_healthy() const {
    const double z = data()->qpos[2];
    return healthy_z_range_[0] < z && z < healthy_z_range_[1];
  }

  // x, y of the mass-weighted mean of the bodies' centres of mass.
  std::pair<double, double> mass_center() const {
    const mjModel* m = model();
    const mjData* d = data();
    double mass = 0, x = 0, y = 0;
    for (int b = 0; b < m->nbody; ++b) {
      mass += m->body_mass[b];
      x += m->body_mass[b] * d->xipos[3 * b];
      y += m->body_mass[b] * d->xipos[3 * b + 1];
    }
    return {x / mass, y / mass};
  }

  double contact_cost() const {
    double s = 0;
    for (int i = 0; i < 6 * model()->nbody; ++i) s += data()->cfrc_ext[i] * data()->cfrc_ext[i];
    return std::min(contact_cost_weight_ * s, contact_cost_max_);
  }

  void reset_model() override { set_state_plus_uniform(reset_noise_scale_); }

  std::vector<float> observation() const override {
    const mjModel* m = model();
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(observation_size());
    auto append = [&obs](const mjtNum* begin, const mjtNum* end) {
      for (const mjtNum* p = begin; p < end; ++p) obs.push_back(static_cast<float>(*p));
    };
    append(d->qpos + (exclude_xy_ ? 2 : 0), d->qpos + m->nq);
    append(d->qvel, d->qvel + m->nv);
    if (include_cinert_) append(d->cinert + 10, d->cinert + 10 * m->nbody);
    if (include_cvel_) append(d->cvel + 6, d->cvel + 6 * m->nbody);
    if (include_qfrc_actuator_) append(d->qfrc_actuator + 6, d->qfrc_actuator + m->nv);
    if (include_cfrc_ext_) append(d->cfrc_ext + 6, d->cfrc_ext + 6 * m->nbody);
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    const auto [x_before, y_before] = mass_center();
    simulate(action);
    const auto [x_after, y_after] = mass_center();
    const double x_velocity = (x_after - x_before) / dt();
    const double y_velocity = (y_after - y_before) / dt();

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
    const mjModel* m = model();
    r.info = {
        {"x_position", d->qpos[0]},
        {"y_position", d->qpos[1]},
        {"tendon_length", std::vector<double>(d->ten_length, d->ten_length + m->ntendon)},
        {"tendon_velocity", std::vector<double>(d->ten_velocity, d->ten_velocity + m->ntendon)},
        {"distance_from_origin", std::hypot(d->qpos[0], d->qpos[1])},
        {"x_velocity", x_velocity},
        {"y_velocity", y_velocity},
        {"reward_forward", forward},
        {"reward_ctrl", -ctrl},
        {"reward_contact", -contact},
        {"reward_survive", survive}};
    return r;
  }

  double forward_reward_weight_, ctrl_cost_weight_, contact_cost_weight_, contact_cost_max_;
  double healthy_reward_;
  bool terminate_when_unhealthy_;
  std::vector<double> healthy_z_range_;
  double reset_noise_scale_;
  bool exclude_xy_, include_cinert_, include_cvel_, include_qfrc_actuator_, include_cfrc_ext_;
};

}  // namespace

TANDEM_REGISTER_ENV("Humanoid-v5", Humanoid);

}  // namespace tandem::envs
