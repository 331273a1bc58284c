// InvertedPendulum-v5: keep a pole upright on a cart that slides on a rail (Gymnasium v5).
//
// | observation (4) | qpos (cart x, pole angle: 2) + qvel (cart vx, pole rate: 2)              |
// | action (1)      | cart force in [-3, 3] (gear 100)                                         |
// | reward          | 1 per step while upright, 0 on the terminal step (no other terms)        |
// | terminated      | any observation not finite, or |pole angle| > 0.2                        |
// | truncated       | 1000 steps                                                               |
// | reset           | qpos0 + U(±0.01), qvel U(±0.01) (reset_noise_scale)                      |
// | dt              | frame_skip 2 × timestep 0.02 = 0.04 s                                    |
#include <cmath>
#include <limits>

#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

class InvertedPendulum : public MujocoEnv {
 public:
  explicit InvertedPendulum(const json& options)
      : InvertedPendulum(ConfigReader(options, "InvertedPendulum-v5 options")) {}

 private:
  explicit InvertedPendulum(ConfigReader r)
      : MujocoEnv({"InvertedPendulum-v5", Space::box(4, -kInf, kInf), Space::box(1, -3, 3),
                   r.integer("max_episode_steps", 1000, 1, 1000000)},
                  mujoco_asset_path("inverted_pendulum.xml"), r.integer("frame_skip", 2, 1, 1000)),
        reset_noise_scale_(r.number("reset_noise_scale", 0.01, 0, 10)) {
    r.finish();
    mutable_spec().options = r.resolved();
    mutable_spec().action_space = actuator_space(model());
    // the cached expert (algorithms/expert.h): PPO balances within 32k steps (seconds: tests
    // use it)
    mutable_spec().recommended["expert_training"]["steps"] = 32768;
  }

  static constexpr double kInf = std::numeric_limits<double>::infinity();

  void reset_model() override { set_state_plus_uniform(reset_noise_scale_); }

  std::vector<float> observation() const override {
    const mjData* d = data();
    return {static_cast<float>(d->qpos[0]), static_cast<float>(d->qpos[1]),
            static_cast<float>(d->qvel[0]), static_cast<float>(d->qvel[1])};
  }

  StepResult step_impl(const std::vector<float>& action) override {
    simulate(action);

    // the health check reads the state in double precision, as Gymnasium's float64 obs
    const mjData* d = data();
    bool finite = true;
    for (double x : {d->qpos[0], d->qpos[1], d->qvel[0], d->qvel[1]})
      finite = finite && std::isfinite(x);
    const bool terminated = !finite || std::abs(d->qpos[1]) > 0.2;
    const double survive = terminated ? 0.0 : 1.0;

    StepResult r;
    r.obs = observation();
    r.reward = survive;
    r.terminated = terminated;
    r.info = {{"reward_survive", survive}};
    return r;
  }

  double reset_noise_scale_;
};

}  // namespace

TANDEM_REGISTER_ENV("InvertedPendulum-v5", InvertedPendulum);

}  // namespace tandem::envs
