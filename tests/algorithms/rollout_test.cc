#include "algorithms/rollout.h"

#include <gtest/gtest.h>
#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "agents/gaussian_mlp.h"
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
  EXPECT_TRUE(
      torch::allclose(b.next_values.slice(1, 0, 63) * inside, b.values.slice(1, 1) * inside));
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

// Two whole-episode rows: a score `score_k + offset` on the last valid step of row k, which has
// length `length_k`; zeros before, padding after.
agents::TrajectoryBatch scored_episodes(double score0, int64_t length0, double score1,
                                        int64_t length1, double offset) {
  const int64_t steps = std::max(length0, length1);
  agents::TrajectoryBatch b;
  b.obs = torch::zeros({2, steps, 1});
  b.rewards = torch::zeros({2, steps});
  b.mask = torch::zeros({2, steps});
  b.episode_end = torch::zeros({2, steps}, torch::kBool);
  const double scores[2] = {score0, score1};
  const int64_t lengths[2] = {length0, length1};
  for (int64_t k = 0; k < 2; ++k) {
    b.mask[k].slice(0, 0, lengths[k]).fill_(1.0);
    b.rewards[k][lengths[k] - 1] = scores[k] + offset;
    b.episode_end[k][lengths[k] - 1] = true;
  }
  return b;
}

// the running variance of the two scores as the scaler keeps it (prior: mean 0, var 1, count
// 1e-4), by hand
double scaler_std_by_hand(double x1, double x2) {
  double mean = 0, var = 1, count = 1e-4;
  for (double x : {x1, x2}) {
    const double total = count + 1, delta = x - mean;
    mean += delta / total;
    var = (var * count + delta * delta * count / total) / total;
    count = total;
  }
  return std::sqrt(var + 1e-8);
}

TEST(RewardScaler, TextScoresAreScaledByTheStdOfTheScoresWhateverTheLength) {
  // scores 1 and 3 (std 1 over the two), at the end of completions of 5 and 20 tokens
  const double expected = scaler_std_by_hand(1.0, 3.0);
  EXPECT_NEAR(expected, 1.0, 1e-3);
  for (int64_t extra : {0, 15, 60}) {
    RewardScaler scaler(1.0, 10.0, RewardScaler::Statistic::kEpisodeScore);
    agents::TrajectoryBatch b = scored_episodes(1.0, 5 + extra, 3.0, 20 + extra, 0.0);
    scaler.apply(b);
    EXPECT_NEAR(scaler.std(), expected, 1e-9) << "completions " << extra << " tokens longer";
    EXPECT_NEAR(b.rewards[0][4 + extra].item<double>(), 1.0 / expected, 1e-5);
    EXPECT_NEAR(b.rewards[1][19 + extra].item<double>(), 3.0 / expected, 1e-5);
    EXPECT_EQ(b.rewards.abs().sum().item<double>(),
              (b.rewards[0][4 + extra].abs() + b.rewards[1][19 + extra].abs()).item<double>())
        << "every other step stays 0";
  }
  // what text runs used before: the discounted-return statistic over every token moves with
  // the completion length and with an offset of the scores (which Bradley–Terry leaves free)
  auto return_statistic = [](int64_t extra, double offset) {
    RewardScaler scaler(1.0, 10.0, RewardScaler::Statistic::kDiscountedReturn);
    agents::TrajectoryBatch b = scored_episodes(1.0, 5 + extra, 3.0, 20 + extra, offset);
    scaler.apply(b);
    return scaler.std();
  };
  EXPECT_GT(std::abs(return_statistic(0, 0.0) - return_statistic(60, 0.0)), 0.1);
  EXPECT_GT(std::abs(return_statistic(0, 0.0) - return_statistic(0, 5.0)), 0.1);
  RewardScaler shifted(1.0, 10.0, RewardScaler::Statistic::kEpisodeScore);
  agents::TrajectoryBatch b = scored_episodes(1.0, 5, 3.0, 20, 5.0);
  shifted.apply(b);
  EXPECT_NEAR(shifted.std(), expected, 2e-3) << "the score statistic ignores the offset";
}

TEST(RewardScaler, DiscountedReturnStatisticForControlIsUnchanged) {
  // the control statistic: the running discounted return at every step (γ = 0.5): 1, 1.5, 1.75
  RewardScaler scaler(0.5, 10.0);
  agents::TrajectoryBatch b;
  b.obs = torch::zeros({1, 3, 1});
  b.rewards = torch::ones({1, 3});
  b.mask = torch::ones({1, 3});
  b.episode_end = torch::zeros({1, 3}, torch::kBool);
  scaler.apply(b);
  double mean = 0, var = 1, count = 1e-4;
  for (double g : {1.0, 1.5, 1.75}) {
    const double total = count + 1, delta = g - mean;
    mean += delta / total;
    var = (var * count + delta * delta * count / total) / total;
    count = total;
  }
  EXPECT_NEAR(scaler.std(), std::sqrt(var + 1e-8), 1e-12);
}

TEST(RewardScaler, StateRoundTripsTheRunningReturns) {
  RewardScaler a(0.9, 10.0), b(0.9, 10.0);
  agents::TrajectoryBatch x;
  x.obs = torch::zeros({2, 4, 1});
  x.rewards = torch::rand({2, 4});
  x.mask = torch::ones({2, 4});
  x.episode_end = torch::zeros({2, 4}, torch::kBool);
  a.apply(x);
  b.restore(json::parse(a.state().dump()));
  agents::TrajectoryBatch y1 = x, y2 = x;
  y1.rewards = torch::rand({2, 4});
  y2.rewards = y1.rewards.clone();
  a.apply(y1);
  b.apply(y2);
  EXPECT_TRUE(torch::equal(y1.rewards, y2.rewards));
  EXPECT_EQ(a.std(), b.std());
}

// Episodes in flight survive a checkpoint: a collector saved mid-run and loaded into fresh
// envs collects exactly what the original goes on to collect.
TEST(Rollout, SavedCollectorContinuesEpisodesInFlightExactly) {
  for (const char* id : {"InvertedPendulum-v5", "Hopper-v5"}) {
    auto make = [id] { return envs::make_env(id); };
    const envs::EnvSpec spec = make()->spec();
    const int64_t obs_dim = spec.observation_space.flat_size();
    const int64_t act_dim = spec.action_space.flat_size();
    torch::manual_seed(3);
    auto policy =
        std::make_shared<agents::GaussianMlpImpl>(obs_dim, act_dim, agents::GaussianMlpConfig{});
    envs::VectorEnv envs(make, 2);
    RolloutCollector collector(envs, 11);
    collector.collect(*policy, 37);  // mid-episode
    collector.take_finished();
    torch::serialize::OutputArchive out;
    collector.save(out);
    std::ostringstream bytes;
    out.save_to(bytes);
    // the observation statistics as they are now (cloning draws initial weights: before the
    // RNG state is taken)
    auto twin = policy->clone_policy();
    const auto rng = torch::globalContext().defaultGenerator(torch::kCPU).get_state();

    agents::TrajectoryBatch original = collector.collect(*policy, 50);

    at::Generator generator = torch::globalContext().defaultGenerator(torch::kCPU);
    generator.set_state(rng);
    envs::VectorEnv fresh(make, 2);
    RolloutCollector restored(fresh, 11);
    torch::serialize::InputArchive in;
    std::istringstream read(bytes.str());
    in.load_from(read);
    restored.load(in);
    EXPECT_EQ(restored.env_steps(), 2 * 37);
    EXPECT_EQ(restored.rollouts(), 1);
    agents::TrajectoryBatch again = restored.collect(*twin, 50);
    EXPECT_TRUE(torch::equal(original.env_obs, again.env_obs)) << id;
    EXPECT_TRUE(torch::equal(original.rewards, again.rewards)) << id;
    EXPECT_TRUE(torch::equal(original.episode_start, again.episode_start)) << id;
    EXPECT_TRUE(torch::equal(original.next_values, again.next_values)) << id;
  }
}

}  // namespace
}  // namespace tandem::algorithms
