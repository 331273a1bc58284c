// Walker2d-v5: a planar two-legged robot that must walk forward (Gymnasium v5 semantics).
//
// | observation (17) | qpos[1:] (z, torso angle, right thigh/leg/foot, left thigh/leg/foot: 8) |
// |                  | + clip(qvel, ±10) (9)                                                   |
// | action (6)       | right thigh, leg, foot, left thigh, leg, foot torques in [-1, 1]        |
// |                  | (gear 100)                                                              |
// | reward           | healthy_reward (1, only while healthy)                                  |
// |                  | + forward_reward_weight (1) · Δx / dt − ctrl_cost_weight (1e-3) · Σ a²   |
// | terminated       | unhealthy: z ∉ (0.8, 2.0) (healthy_z_range) or torso angle ∉ (−1, 1)    |
// |                  | (healthy_angle_range), open intervals as in Gymnasium's code; never if  |
// |                  | terminate_when_unhealthy = false                                        |
// | truncated        | 1000 steps                                                              |
// | reset            | qpos0 + U(±5e-3), qvel U(±5e-3)                                          |
// | dt               | frame_skip 4 × timestep 0.002 = 0.008 s                                  |
//
// Δx is the change of qpos[0] (rootx) over the env step. The model is walker2d.xml, v5's: both
// feet have friction 1.9. Options (v5 names): exclude_current_positions_from_observation =
// false puts x first (obs 18).
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Walker2d : public MujocoEnv {
 public:
  explicit Walker2d(const json& options) : Walker2d(ConfigReader(options, "Walker2d-v5 options")) {}

 private:
  explicit Walker2d(ConfigReader r)
      : MujocoEnv({"Walker2d-v5", Space::box(17, -kInf, kInf), Space::box(6, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("walker2d.xml"), r.integer("frame_skip", 4, 1, 1000)),
        forward_reward_weight_(r.number("forward_reward_weight", 1.0, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 1e-3, 0, 1e6)),
        healthy_reward_(r.number("healthy_reward", 1.0, -1e6, 1e6)),
        terminate_when_unhealthy_(r.flag("terminate_when_unhealthy", true)),
        healthy_z_range_(r.range("healthy_z_range", {0.8, 2.0})),
        healthy_angle_range_(r.range("healthy_angle_range", {-1.0, 1.0})),
        reset_noise_scale_(r.number("reset_noise_scale", 5e-3, 0, 10)),
        exclude_x_(r.flag("exclude_current_positions_from_observation", true)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space = Space::box(observation_size(), -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  int observation_size() const { return model()->nq - (exclude_x_ ? 1 : 0) + model()->nv; }

  // Open intervals on both the height and the torso angle, as Gymnasium's code tests them.
  bool is_healthy() const {
    const double z = data()->qpos[1], angle = data()->qpos[2];
    const bool healthy_z = healthy_z_range_[0] < z && z < healthy_z_range_[1];
    const bool healthy_angle = healthy_angle_range_[0] < angle && angle < healthy_angle_range_[1];
    return healthy_z && healthy_angle;
  }

  void reset_model() override { set_state_plus_uniform(reset_noise_scale_); }

  std::vector<float> observation() const override {
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(observation_size());
    for (int i = exclude_x_ ? 1 : 0; i < model()->nq; ++i)
      obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < model()->nv; ++i)
      obs.push_back(static_cast<float>(std::clamp(d->qvel[i], -10.0, 10.0)));
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    const double x_before = data()->qpos[0];
    simulate(action);
    const double x_velocity = (data()->qpos[0] - x_before) / dt();

    const bool healthy = is_healthy();
    const double forward = forward_reward_weight_ * x_velocity;
    const double survive = healthy ? healthy_reward_ : 0.0;
    const double ctrl = ctrl_cost_weight_ * squared_norm(action);

    StepResult r;
    r.obs = observation();
    r.reward = forward + survive - ctrl;
    r.terminated = terminate_when_unhealthy_ && !healthy;
    r.info = {{"x_position", data()->qpos[0]},
              {"z_distance_from_origin", data()->qpos[1] - model()->qpos0[1]},
              {"x_velocity", x_velocity},
              {"reward_forward", forward},
              {"reward_ctrl", -ctrl},
              {"reward_survive", survive}};
    return r;
  }

  double forward_reward_weight_, ctrl_cost_weight_, healthy_reward_;
  bool terminate_when_unhealthy_;
  std::vector<double> healthy_z_range_, healthy_angle_range_;
  double reset_noise_scale_;
  bool exclude_x_;
};

}  // namespace

TANDEM_REGISTER_ENV("Walker2d-v5", Walker2d);

}  // namespace tandem::envs
