// Hopper-v5: a one-legged planar robot that must hop forward (Gymnasium v5 semantics).
//
// | observation (11) | qpos[1:] (z, torso angle, thigh, leg, foot: 5) + clip(qvel, ±10) (6)   |
// | action (3)       | thigh, leg, foot torques in [-1, 1] (gear 200)                          |
// | reward           | healthy_reward (1, only while healthy)                                  |
// |                  | + forward_reward_weight (1) · Δx / dt − ctrl_cost_weight (1e-3) · Σ a²   |
// | terminated       | unhealthy: z ∉ (0.7, ∞) (healthy_z_range) or angle ∉ (−0.2, 0.2)         |
// |                  | (healthy_angle_range) or any of qpos[2:], qvel ∉ (−100, 100)             |
// |                  | (healthy_state_range); never if terminate_when_unhealthy = false         |
// | truncated        | 1000 steps                                                               |
// | reset            | qpos0 + U(±5e-3), qvel U(±5e-3)                                          |
// | dt               | frame_skip 4 × timestep 0.002 = 0.008 s                                  |
//
// Options use v5's names; exclude_current_positions_from_observation = false puts x first.
// Info: x_position, z_distance_from_origin (qpos[1] − its initial 1.25), x_velocity, reward terms.
#include <algorithm>
#include <limits>
#include <vector>

#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Hopper : public MujocoEnv {
 public:
  explicit Hopper(const json& options) : Hopper(ConfigReader(options, "Hopper-v5 options")) {}

 private:
  explicit Hopper(ConfigReader r)
      : MujocoEnv({"Hopper-v5", Space::box(11, -kInf, kInf), Space::box(3, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("hopper.xml"), r.integer("frame_skip", 4, 1, 1000)),
        forward_reward_weight_(r.number("forward_reward_weight", 1.0, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 1e-3, 0, 1e6)),
        healthy_reward_(r.number("healthy_reward", 1.0, -1e6, 1e6)),
        terminate_when_unhealthy_(r.flag("terminate_when_unhealthy", true)),
        healthy_state_range_(r.range("healthy_state_range", {-100.0, 100.0})),
        healthy_z_range_(r.range("healthy_z_range", {0.7, kInf})),
        healthy_angle_range_(r.range("healthy_angle_range", {-0.2, 0.2})),
        reset_noise_scale_(r.number("reset_noise_scale", 5e-3, 0, 10)),
        exclude_x_(r.flag("exclude_current_positions_from_observation", true)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space =
        Space::box(model()->nq - (exclude_x_ ? 1 : 0) + model()->nv, -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
    // the cached expert (algorithms/expert.h): PPO hops steadily within 300k steps
    mutable_spec().recommended["expert_training"]["steps"] = 300000;
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  // open intervals, as Gymnasium's code tests them
  static bool inside(double x, const std::vector<double>& range) {
    return range[0] < x && x < range[1];
  }

  bool is_healthy() const {
    const mjData* d = data();
    // qpos[1] is the torso height itself: the rootz slide's reference is 1.25
    if (!inside(d->qpos[1], healthy_z_range_) || !inside(d->qpos[2], healthy_angle_range_))
      return false;
    for (int i = 2; i < model()->nq; ++i)
      if (!inside(d->qpos[i], healthy_state_range_)) return false;
    for (int i = 0; i < model()->nv; ++i)
      if (!inside(d->qvel[i], healthy_state_range_)) return false;
    return true;
  }

  void reset_model() override { set_state_plus_uniform(reset_noise_scale_); }

  std::vector<float> observation() const override {
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(spec().observation_space.flat_size());
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
  std::vector<double> healthy_state_range_, healthy_z_range_, healthy_angle_range_;
  double reset_noise_scale_;
  bool exclude_x_;
};

}  // namespace

TANDEM_REGISTER_ENV("Hopper-v5", Hopper);

}  // namespace tandem::envs
