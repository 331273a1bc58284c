// What one tandem env step costs over the MuJoCo simulation it wraps.
//
// BM_EnvStep/<id>     Env::step with a fixed small random action (reset(0) when the 1000-step
//                     time limit ends an episode; terminate_when_unhealthy = false keeps the
//                     robot stepping after it falls, so the cost is not dominated by resets).
// BM_BareMjStep/<m>   the same XML driven by hand: ctrl <- action, mj_step frame_skip times
//                     (4 Hopper, 5 Humanoid), plus one mj_rnePostConstraint for Humanoid (the
//                     Humanoid env needs cfrc_ext, see humanoid.cc); every 1000 steps it
//                     restores the env's seed-0 initial state, and it checks (untimed) that it
//                     reproduces the env's qpos, qvel and cfrc_ext bit for bit.
// One item is one env step. Target: BM_EnvStep items/s >= 0.95 x BM_BareMjStep items/s, i.e. the
// env's own work (observation, reward, info, time limit) costs under 5% of the physics.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

constexpr int64_t kEpisodeSteps = 1000;

// A fixed action: uniform in a tenth of each actuator's ctrlrange, from a fixed seed.
std::vector<float> small_random_action(const mjModel* m) {
  std::mt19937 gen(12345);
  std::vector<float> action(m->nu);
  for (int i = 0; i < m->nu; ++i) {
    const double lo = m->actuator_ctrllimited[i] ? m->actuator_ctrlrange[2 * i] : -1.0;
    const double hi = m->actuator_ctrllimited[i] ? m->actuator_ctrlrange[2 * i + 1] : 1.0;
    action[i] = static_cast<float>(std::uniform_real_distribution<double>(0.1 * lo, 0.1 * hi)(gen));
  }
  return action;
}

// Both loops start every episode from the state Env::reset(0) gives, and the action is the same,
// so they simulate bit-identical trajectories: the contacts (most of the physics cost) match.
json bench_options() { return {{"terminate_when_unhealthy", false}}; }

void BM_EnvStep(benchmark::State& state, const std::string& id) {
  std::unique_ptr<Env> env = make_env(id, bench_options());
  const auto& mj = dynamic_cast<const MujocoEnv&>(*env);
  const std::vector<float> action = small_random_action(mj.model());
  env->reset(0);
  for (auto _ : state) {
    StepResult r = env->step(action);
    benchmark::DoNotOptimize(r.obs.data());
    if (r.terminated || r.truncated) env->reset(0);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["mj_warnings"] = mujoco_warning_count();
}

void BM_BareMjStep(benchmark::State& state, const std::string& id, const std::string& xml,
                   int frame_skip, bool post_constraint) {
  MjModelPtr model = load_mujoco_model(mujoco_asset_path(xml));
  MjDataPtr data(mj_makeData(model.get()));
  const mjModel* m = model.get();
  mjData* d = data.get();
  const std::vector<float> action = small_random_action(m);

  // the env's initial state, restored by hand as Env::reset does (reset, set qpos/qvel, forward)
  std::unique_ptr<Env> env = make_env(id, bench_options());
  const mjData* env_data = dynamic_cast<const MujocoEnv&>(*env).data();
  env->reset(0);
  const std::vector<mjtNum> qpos0(env_data->qpos, env_data->qpos + m->nq);
  const std::vector<mjtNum> qvel0(env_data->qvel, env_data->qvel + m->nv);
  auto reset = [&] {
    mj_resetData(m, d);
    std::copy(qpos0.begin(), qpos0.end(), d->qpos);
    std::copy(qvel0.begin(), qvel0.end(), d->qvel);
    mj_forward(m, d);
  };
  auto step = [&] {
    for (int i = 0; i < m->nu; ++i) d->ctrl[i] = action[i];
    for (int i = 0; i < frame_skip; ++i) mj_step(m, d);
    if (post_constraint) mj_rnePostConstraint(m, d);
  };

  // self-check, untimed: the bare loop must simulate exactly what the env does
  reset();
  for (int t = 0; t < 20; ++t) {
    env->step(action);
    step();
    const bool same = std::equal(d->qpos, d->qpos + m->nq, env_data->qpos) &&
                      std::equal(d->qvel, d->qvel + m->nv, env_data->qvel) &&
                      std::equal(d->cfrc_ext, d->cfrc_ext + 6 * m->nbody, env_data->cfrc_ext);
    if (!same) {
      state.SkipWithError("the bare loop does not reproduce the env's simulation");
      return;
    }
  }

  reset();
  int64_t steps = 0;
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(d->qpos[0]);
    if (++steps == kEpisodeSteps) {
      steps = 0;
      reset();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["mj_warnings"] = mujoco_warning_count();
}

// Registered by hand: BENCHMARK_CAPTURE would stringify the ids' '-' as " - " once formatted.
[[maybe_unused]] const bool kRegistered = [] {
  benchmark::RegisterBenchmark("BM_EnvStep/Hopper-v5", BM_EnvStep, std::string("Hopper-v5"));
  benchmark::RegisterBenchmark("BM_BareMjStep/Hopper", BM_BareMjStep, std::string("Hopper-v5"),
                               std::string("hopper.xml"), 4, false);
  benchmark::RegisterBenchmark("BM_EnvStep/Humanoid-v5", BM_EnvStep, std::string("Humanoid-v5"));
  benchmark::RegisterBenchmark("BM_BareMjStep/Humanoid", BM_BareMjStep, std::string("Humanoid-v5"),
                               std::string("humanoid.xml"), 5, true);
  return true;
}();

}  // namespace
}  // namespace tandem::envs
