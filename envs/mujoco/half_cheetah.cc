// HalfCheetah-v5: a planar two-legged "cheetah" that must run forward (Gymnasium v5 semantics).
//
// | observation (17) | qpos[1:] (z, torso angle, bthigh, bshin, bfoot, fthigh, fshin, ffoot: 8) |
// |                  | + qvel (9), not clipped                                                 |
// | action (6)       | bthigh, bshin, bfoot, fthigh, fshin, ffoot torques in [-1, 1]           |
// |                  | (gears 120, 90, 60, 120, 60, 30)                                        |
// | reward           | forward_reward_weight (1) · Δx / dt − ctrl_cost_weight (0.1) · Σ a²      |
// | terminated       | never                                                                   |
// | truncated        | 1000 steps                                                              |
// | reset            | qpos0 + U(±0.1), qvel 0.1 · N(0, 1) (reset_noise_scale)                 |
// | dt               | frame_skip 5 × timestep 0.01 = 0.05 s                                   |
//
// Δx is the change of qpos[0] (rootx) over the env step. Options (v5 names):
// exclude_current_positions_from_observation = false puts x first (obs 18).
#include <limits>
#include <vector>

#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class HalfCheetah : public MujocoEnv {
 public:
  explicit HalfCheetah(const json& options)
      : HalfCheetah(ConfigReader(options, "HalfCheetah-v5 options")) {}

 private:
  explicit HalfCheetah(ConfigReader r)
      : MujocoEnv({"HalfCheetah-v5", Space::box(17, -kInf, kInf), Space::box(6, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("half_cheetah.xml"), r.integer("frame_skip", 5, 1, 1000)),
        forward_reward_weight_(r.number("forward_reward_weight", 1.0, -1e6, 1e6)),
        ctrl_cost_weight_(r.number("ctrl_cost_weight", 0.1, 0, 1e6)),
        reset_noise_scale_(r.number("reset_noise_scale", 0.1, 0, 10)),
        exclude_x_(r.flag("exclude_current_positions_from_observation", true)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().observation_space = Space::box(observation_size(), -kInf, kInf);
    mutable_spec().action_space = actuator_space(model());
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  int observation_size() const { return model()->nq - (exclude_x_ ? 1 : 0) + model()->nv; }

  // Uniform noise on the positions, Gaussian on the velocities.
  void reset_model() override {
    std::vector<double> qpos = init_qpos_plus_uniform(reset_noise_scale_);
    std::vector<double> qvel(model()->nv);
    for (double& v : qvel) v = reset_noise_scale_ * normal();
    set_state(qpos, qvel);
  }

  std::vector<float> observation() const override {
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(observation_size());
    for (int i = exclude_x_ ? 1 : 0; i < model()->nq; ++i)
      obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < model()->nv; ++i) obs.push_back(static_cast<float>(d->qvel[i]));
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    const double x_before = data()->qpos[0];
    simulate(action);
    const double x_velocity = (data()->qpos[0] - x_before) / dt();

    const double forward = forward_reward_weight_ * x_velocity;
    const double ctrl = ctrl_cost_weight_ * squared_norm(action);

    StepResult r;
    r.obs = observation();
    r.reward = forward - ctrl;
    r.terminated = false;
    r.info = {{"x_position", data()->qpos[0]},
              {"x_velocity", x_velocity},
              {"reward_forward", forward},
              {"reward_ctrl", -ctrl}};
    return r;
  }

  double forward_reward_weight_, ctrl_cost_weight_, reset_noise_scale_;
  bool exclude_x_;
};

}  // namespace

TANDEM_REGISTER_ENV("HalfCheetah-v5", HalfCheetah);

}  // namespace tandem::envs
