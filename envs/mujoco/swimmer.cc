// Swimmer-v5: a three-link planar swimmer in a viscous fluid that must swim forward
// (Gymnasium v5 semantics).
//
// | observation (8)  | qpos[2:] (front-link heading, motor1, motor2 angles: 3) + qvel (5),     |
// |                  | not clipped                                                             |
// | action (2)       | motor1_rot, motor2_rot torques in [-1, 1] (gear 150)                    |
// | reward           | forward_reward_weight (1) · Δx / dt − ctrl_cost_weight (1e-4) · Σ a²     |
// | terminated       | never                                                                   |
// | truncated        | 1000 steps                                                              |
// | reset            | qpos0 + U(±0.1), qvel U(±0.1) (reset_noise_scale)                       |
// | dt               | frame_skip 4 × timestep 0.01 = 0.04 s                                   |
//
// Δx is the change of qpos[0] (slider1) over the env step; the y velocity is reported in info
// only. Options (v5 names): exclude_current_positions_from_observation = false puts x, y first
// (obs 10).
#include <cmath>
#include <limits>
#include <vector>

#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Swimmer : public MujocoEnv {
 public:
  explicit Swimmer(const json& options) : Swimmer(ConfigReader(options, "Swimmer-v5 options")) {}

 private:
  explicit Swimmer(ConfigReader r)
      : MujocoEnv({"Swimmer-v5", Space::box(8, -kInf, kInf), Space::box(2, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("swimmer.xml"), r.integer("frame_skip", 4, 1, 1000)),
        forward_reward_weight_(r.number("forward_reward_weight", 1.0, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 1e-4, 0, 1e6)),
        reset_noise_scale_(r.number("reset_noise_scale", 0.1, 0, 10)),
        exclude_xy_(r.flag("exclude_current_positions_from_observation", true)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space = Space::box(observation_size(), -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  int observation_size() const { return model()->nq - (exclude_xy_ ? 2 : 0) + model()->nv; }

  void reset_model() override { set_state_plus_uniform(reset_noise_scale_); }

  std::vector<float> observation() const override {
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(observation_size());
    for (int i = exclude_xy_ ? 2 : 0; i < model()->nq; ++i)
      obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < model()->nv; ++i) obs.push_back(static_cast<float>(d->qvel[i]));
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    const double x_before = data()->qpos[0], y_before = data()->qpos[1];
    simulate(action);
    const double x = data()->qpos[0], y = data()->qpos[1];
    const double x_velocity = (x - x_before) / dt();
    const double y_velocity = (y - y_before) / dt();

    const double forward = forward_reward_weight_ * x_velocity;
    const double ctrl = ctrl_cost_weight_ * squared_norm(action);

    StepResult r;
    r.obs = observation();
    r.reward = forward - ctrl;
    r.terminated = false;
    r.info = {{"x_position", x},
              {"y_position", y},
              {"distance_from_origin", std::hypot(x, y)},
              {"x_velocity", x_velocity},
              {"y_velocity", y_velocity},
              {"reward_forward", forward},
              {"reward_ctrl", -ctrl}};
    return r;
  }

  double forward_reward_weight_, ctrl_cost_weight_, reset_noise_scale_;
  bool exclude_xy_;
};

}  // namespace

TANDEM_REGISTER_ENV("Swimmer-v5", Swimmer);

}  // namespace tandem::envs
