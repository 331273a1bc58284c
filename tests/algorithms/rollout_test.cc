#include <gtest/gtest.h>
#include <torch/torch.h>

#include "agents/gaussian_mlp.h"
#include "algorithms/rollout.h"
#include "envs/registry.h"

namespace tandem::algorithms {
namespace {

agents::Policy pendulum_policy() {
  torch::manual_seed(0);
  agents::GaussianMlpConfig c;
  c.log_std_init = 0.5;  // wide: episodes end quickly
  return std::make_shared<agents::GaussianMlpImpl>(4, 1, c);
}

envs::VectorEnv::Factory pendulum() {
  return [] { return envs::make_env("InvertedPendulum-v5"); };
}

TEST(Rollout, FixedLengthRolloutsCarryEpisodesAcrossCalls) {
  envs::VectorEnv envs(pendulum(), 3);
  RolloutCollector collector(envs, 7);
  auto policy = pendulum_policy();
  agents::TrajectoryBatch b = collector.collect(*policy, 64);
  EXPECT_EQ(b.size(), 3);
  EXPECT_EQ(b.horizon(), 64);
  EXPECT_EQ(b.mask.sum().item<double>(), 3 * 64);
  EXPECT_EQ(collector.env_steps(), 3 * 64);
  // an episode starts right after every end
  auto start = b.episode_start.to(torch::kFloat32), end = b.episode_end.to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(start.slice(1, 1), end.slice(1, 0, 63)));
  // after a termination the next state's value is 0
  EXPECT_EQ((b.next_values * end).abs().sum().item<double>(), 0.0);
  // inside an episode it is the next stored value
  torch::Tensor inside = 1 - end.slice(1, 0, 63);
  EXPECT_TRUE(torch::allclose(b.next_values.slice(1, 0, 63) * inside, b.values.slice(1, 1) * inside));
  // episode lengths reported by the env add up with the ends seen
  EXPECT_EQ(static_cast<int64_t>(collector.take_finished().size()),
            static_cast<int64_t>(end.sum().item<double>()));
}

TEST(Rollout, WholeEpisodeRowsEndAtTheirEpisodeEnd) {
  envs::VectorEnv envs(pendulum(), 4, 1, /*auto_reset=*/false);
  RolloutCollector collector(envs, 7);
  auto policy = pendulum_policy();
  for (int call = 0; call < 2; ++call) {
    agents::TrajectoryBatch b = collector.collect(*policy, 1000);
    auto finished = collector.take_finished();
    ASSERT_EQ(finished.size(), 4u) << "every row is one whole episode";
    EXPECT_TRUE(b.episode_start.select(1, 0).all().item<bool>());
    int64_t longest = 0;
    for (const auto& e : finished) {
      const int64_t row = e.env_index;
      EXPECT_EQ(b.mask[row].sum().item<double>(), e.length);
      EXPECT_TRUE(b.episode_end[row][e.length - 1].item<bool>());
      EXPECT_NEAR(b.rewards[row].sum().item<double>(), e.episode_return, 1e-4);
      longest = std::max(longest, e.length);
    }
    EXPECT_EQ(b.horizon(), longest) << "the batch is cut to the longest episode";
  }
}

TEST(Rollout, ClipToSpaceClipsBoxActionsOnly) {
  envs::Space box = envs::Space::box(2, -1, 1);
  torch::Tensor a = torch::tensor({{-3.f, 0.5f}, {2.f, -0.2f}});
  EXPECT_TRUE(torch::equal(clip_to_space(a, box), torch::tensor({{-1.f, 0.5f}, {1.f, -0.2f}})));
  EXPECT_TRUE(torch::equal(a, torch::tensor({{-3.f, 0.5f}, {2.f, -0.2f}}))) << "input untouched";
  torch::Tensor d = torch::tensor({{5.f}});
  EXPECT_TRUE(torch::equal(clip_to_space(d, envs::Space::discrete(3)), d));
}

}  // namespace
}  // namespace tandem::algorithms
