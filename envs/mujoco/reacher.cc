// Reacher-v5: a planar two-link arm moves its fingertip to a random target (Gymnasium v5).
//
// | observation (10) | cos(θ0), cos(θ1), sin(θ0), sin(θ1), target x, y (qpos[2:4]),            |
// |                  | θ0 rate, θ1 rate (qvel[0:2]), (fingertip − target) x, y                 |
// | action (2)       | shoulder and elbow torques in [-1, 1] (gear 200)                        |
// | reward           | − reward_dist_weight (1) · ‖fingertip − target‖                         |
// |                  | − reward_control_weight (1) · Σ a²                                      |
// | terminated       | never                                                                   |
// | truncated        | 50 steps                                                                |
// | reset            | arm qpos0 + U(±0.1); target uniform in the disc ‖g‖ < 0.2 (rejection    |
// |                  | sampling in the square ±0.2); arm qvel U(±0.005), target qvel 0         |
// | dt               | frame_skip 2 × timestep 0.01 = 0.02 s                                   |
//
// reward_control_weight defaults to 1, the value Gymnasium's reacher_v5.py uses (its docstring
// says 0.1; the code, and v4's reward, use 1). As in Gymnasium, positions are the body xpos
// MuJoCo left in mjData after the last mj_step; no extra mj_kinematics is run.
#include <cmath>
#include <limits>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class Reacher : public MujocoEnv {
 public:
  explicit Reacher(const json& options) : Reacher(ConfigReader(options, "Reacher-v5 options")) {}

 private:
  explicit Reacher(ConfigReader r)
      : MujocoEnv({"Reacher-v5", Space::box(10, -kInf, kInf), Space::box(2, -1, 1),
                   r.integer("max_episode_steps", 50, 1, 1000000)},
                  mujoco_asset_path("reacher.xml"), r.integer("frame_skip", 2, 1, 1000)),
        reward_dist_weight_(r.number("reward_dist_weight", 1.0, -1e6, 1e6)),
        reward_control_weight_(r.number("reward_control_weight", 1.0, 0, 1e6)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().action_space = actuator_space(model());
    fingertip_ = mj_name2id(model(), mjOBJ_BODY, "fingertip");
    target_ = mj_name2id(model(), mjOBJ_BODY, "target");
    TANDEM_CHECK(fingertip_ >= 0 && target_ >= 0, "reacher.xml needs bodies fingertip, target");
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  // fingertip − target in world coordinates, component i
  double delta(int i) const {
    return data()->xpos[3 * fingertip_ + i] - data()->xpos[3 * target_ + i];
  }

  void reset_model() override {
    // the draws follow Gymnasium's order: qpos noise, goal, qvel noise
    std::vector<double> qpos = init_qpos_plus_uniform(0.1);
    double gx, gy;
    do {
      gx = uniform(-0.2, 0.2);
      gy = uniform(-0.2, 0.2);
    } while (!(std::sqrt(gx * gx + gy * gy) < 0.2));
    const int nq = model()->nq, nv = model()->nv;
    qpos[nq - 2] = gx;
    qpos[nq - 1] = gy;
    std::vector<double> qvel = init_qvel_plus_uniform(0.005);
    qvel[nv - 2] = 0;
    qvel[nv - 1] = 0;
    set_state(qpos, qvel);
  }

  std::vector<float> observation() const override {
    const mjData* d = data();
    return {static_cast<float>(std::cos(d->qpos[0])),
            static_cast<float>(std::cos(d->qpos[1])),
            static_cast<float>(std::sin(d->qpos[0])),
            static_cast<float>(std::sin(d->qpos[1])),
            static_cast<float>(d->qpos[2]),
            static_cast<float>(d->qpos[3]),
            static_cast<float>(d->qvel[0]),
            static_cast<float>(d->qvel[1]),
            static_cast<float>(delta(0)),
            static_cast<float>(delta(1))};
  }

  StepResult step_impl(const std::vector<float>& action) override {
    simulate(action);

    const double dx = delta(0), dy = delta(1), dz = delta(2);
    const double reward_dist = -reward_dist_weight_ * std::sqrt(dx * dx + dy * dy + dz * dz);
    const double reward_ctrl = -reward_control_weight_ * squared_norm(action);

    StepResult r;
    r.obs = observation();
    r.reward = reward_dist + reward_ctrl;
    r.terminated = false;
    r.info = {{"reward_dist", reward_dist}, {"reward_ctrl", reward_ctrl}};
    return r;
  }

  double reward_dist_weight_, reward_control_weight_;
  int fingertip_ = -1, target_ = -1;
};

}  // namespace

TANDEM_REGISTER_ENV("Reacher-v5", Reacher);

}  // namespace tandem::envs
