// InvertedDoublePendulum-v5: balance two poles in series on a sliding cart (Gymnasium v5).
//
// | observation (9) | cart x, sin(θ1), sin(θ2), cos(θ1), cos(θ2), clip(qvel, ±10) (3),        |
// |                 | clip(qfrc_constraint[0], ±10) (the slider's constraint force)             |
// | action (1)      | cart force in [-1, 1] (gear 500)                                          |
// | reward          | healthy_reward (10, only while not terminated)                            |
// |                 | − (0.01 · x_tip² + (z_tip − 2)²)        distance penalty                  |
// |                 | − (1e-3 · ω1² + 5e-3 · ω2²)             velocity penalty                  |
// | terminated      | tip height z_tip ≤ 1 (Gymnasium calls it y: the second site_xpos column) |
// | truncated       | 1000 steps                                                                |
// | reset           | qpos0 + U(±0.1), qvel 0.1 · N(0, 1) (reset_noise_scale)                   |
// | dt              | frame_skip 5 × timestep 0.01 = 0.05 s                                     |
//
// As in Gymnasium, the tip position is the site_xpos MuJoCo left in mjData after the last
// mj_step (computed at the start of that substep); no extra mj_kinematics is run.
#include <algorithm>
#include <cmath>
#include <limits>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class InvertedDoublePendulum : public MujocoEnv {
 public:
  explicit InvertedDoublePendulum(const json& options)
      : InvertedDoublePendulum(ConfigReader(options, "InvertedDoublePendulum-v5 options")) {}

 private:
  explicit InvertedDoublePendulum(ConfigReader r)
      : MujocoEnv({"InvertedDoublePendulum-v5", Space::box(9, -kInf, kInf), Space::box(1, -1, 1),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("inverted_double_pendulum.xml"),
                  r.integer("frame_skip", 5, 1, 1000)),
        healthy_reward_(r.number("healthy_reward", 10.0, -1e6, 1e6)),
        reset_noise_scale_(r.number("reset_noise_scale", 0.1, 0, 10)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().action_space = actuator_space(model());
    tip_site_ = mj_name2id(model(), mjOBJ_SITE, "tip");
    TANDEM_CHECK(tip_site_ >= 0, "inverted_double_pendulum.xml has no site 'tip'");
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  void reset_model() override {
    std::vector<double> qvel(model()->nv);
    for (double& v : qvel) v = normal() * reset_noise_scale_;
    set_state(init_qpos_plus_uniform(reset_noise_scale_), qvel);
  }

  std::vector<float> observation() const override {
    const mjData* d = data();
    const int nq = model()->nq, nv = model()->nv;
    std::vector<float> obs;
    obs.reserve(9);
    obs.push_back(static_cast<float>(d->qpos[0]));  // cart x
    for (int i = 1; i < nq; ++i) obs.push_back(static_cast<float>(std::sin(d->qpos[i])));
    for (int i = 1; i < nq; ++i) obs.push_back(static_cast<float>(std::cos(d->qpos[i])));
    for (int i = 0; i < nv; ++i)
      obs.push_back(static_cast<float>(std::clamp(d->qvel[i], -10.0, 10.0)));
    obs.push_back(static_cast<float>(std::clamp(d->qfrc_constraint[0], -10.0, 10.0)));
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    simulate(action);

    // tip position in the x-z plane the pendulum moves in
    const mjData* d = data();
    const double x = d->site_xpos[3 * tip_site_ + 0];
    const double z = d->site_xpos[3 * tip_site_ + 2];
    const bool terminated = z <= 1.0;

    const double v1 = d->qvel[1], v2 = d->qvel[2];
    const double distance_penalty = 0.01 * x * x + (z - 2) * (z - 2);
    const double velocity_penalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
    const double survive = terminated ? 0.0 : healthy_reward_;

    StepResult r;
    r.obs = observation();
    r.reward = survive - distance_penalty - velocity_penalty;
    r.terminated = terminated;
    r.info = {{"reward_survive", survive},
              {"distance_penalty", -distance_penalty},
              {"velocity_penalty", -velocity_penalty}};
    return r;
  }

  double healthy_reward_, reset_noise_scale_;
  int tip_site_ = -1;
};

}  // namespace

TANDEM_REGISTER_ENV("InvertedDoublePendulum-v5", InvertedDoublePendulum);

}  // namespace tandem::envs
