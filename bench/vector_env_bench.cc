// How VectorEnv::step scales with threads: N = 8 Hopper-v5 or Humanoid-v5 envs
// (terminate_when_unhealthy = false, so episodes end only at the time limit and auto-reset),
// stepped with a fixed small random action, on 1 and 2 threads (the benchmark's argument). One item
// is one env step, so an iteration is N items; wall-clock time is measured because the worker
// threads do the work. Target: 1 thread within 5% of 8 x BM_EnvStep/Hopper-v5 (the batching and
// tensor copies are cheap), and 2 threads close to 2x the 1-thread rate where two idle cores are
// available.
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "envs/registry.h"
#include "envs/vector_env.h"

namespace tandem::envs {
namespace {

constexpr int64_t kNumEnvs = 8;

void BM_VectorEnvStep(benchmark::State& state, const std::string& id) {
  const int threads = static_cast<int>(state.range(0));
  VectorEnv envs(
      [&] {
        return make_env(id, {{"terminate_when_unhealthy", false}});
      },
      kNumEnvs, threads);
  const int64_t act_dim = envs.spec().action_space.flat_size();

  // one fixed action per env: uniform in a tenth of the [-1, 1] action range
  std::mt19937 gen(12345);
  std::uniform_real_distribution<float> small(-0.1f, 0.1f);
  torch::Tensor actions = torch::empty({kNumEnvs, act_dim}, torch::kFloat32);
  float* a = actions.data_ptr<float>();
  for (int64_t i = 0; i < kNumEnvs * act_dim; ++i) a[i] = small(gen);

  envs.reset(0);
  for (auto _ : state) {
    VectorStep s = envs.step(actions);
    benchmark::DoNotOptimize(s.obs.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kNumEnvs);
}

BENCHMARK_CAPTURE(BM_VectorEnvStep, Hopper - v5, "Hopper-v5")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_VectorEnvStep, Humanoid - v5, "Humanoid-v5")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

}  // namespace
}  // namespace tandem::envs
