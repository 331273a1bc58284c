// VectorEnv against N single envs stepped by hand: seeding, auto-reset, final_obs, the finished
// episodes' returns and lengths, and identical numbers on 1 and 2 threads.
#include "envs/vector_env.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "envs/error.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

// InvertedPendulum falls within a few steps under random forces, so episodes end often; the time
// limit is short so that some episodes end by truncation too.
constexpr char kId[] = "InvertedPendulum-v5";
constexpr int64_t kNumEnvs = 4;
constexpr int64_t kSteps = 200;

json options() { return {{"max_episode_steps", 8}}; }

VectorEnv::Factory factory() {
  return [] { return make_env(kId, options()); };
}

std::vector<float> row(const torch::Tensor& t, int64_t i) {
  torch::Tensor r = t[i].contiguous();
  return std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
}

// [kSteps] action tensors [kNumEnvs, 1], uniform in the action space [-3, 3].
std::vector<torch::Tensor> random_actions(uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> force(-3.0f, 3.0f);
  std::vector<torch::Tensor> actions;
  for (int64_t t = 0; t < kSteps; ++t) {
    torch::Tensor a = torch::empty({kNumEnvs, 1}, torch::kFloat32);
    for (int64_t i = 0; i < kNumEnvs; ++i) a[i][0] = force(gen);
    actions.push_back(a);
  }
  return actions;
}

TEST(VectorEnv, ResetSeedsEnvIWithSeedPlusI) {
  VectorEnv envs(factory(), kNumEnvs, 2);
  EXPECT_EQ(envs.num_envs(), kNumEnvs);
  EXPECT_EQ(envs.spec().id, kId);
  torch::Tensor obs = envs.reset(100);
  ASSERT_EQ(obs.sizes(), (std::vector<int64_t>{kNumEnvs, 4}));
  for (int64_t i = 0; i < kNumEnvs; ++i) {
    auto single = make_env(kId, options());
    EXPECT_EQ(row(obs, i), single->reset(100 + i)) << "env " << i;
  }
  EXPECT_NE(row(obs, 0), row(obs, 1)) << "different seeds must give different starts";
}

// Steps a VectorEnv and kNumEnvs reference envs with the same actions; the reference resets
// itself (unseeded, continuing its stream) when an episode ends, as VectorEnv must.
TEST(VectorEnv, AutoResetFinalObsAndFinishedEpisodesMatchSingleEnvs) {
  VectorEnv envs(factory(), kNumEnvs, 2);
  std::vector<std::unique_ptr<Env>> ref;
  std::vector<double> ref_return(kNumEnvs, 0.0);
  std::vector<int64_t> ref_length(kNumEnvs, 0);
  for (int64_t i = 0; i < kNumEnvs; ++i) ref.push_back(make_env(kId, options()));

  envs.reset(7);
  for (int64_t i = 0; i < kNumEnvs; ++i) ref[i]->reset(7 + i);

  int terminations = 0, truncations = 0;
  for (const torch::Tensor& action : random_actions(3)) {
    VectorStep s = envs.step(action);
    ASSERT_EQ(s.obs.sizes(), (std::vector<int64_t>{kNumEnvs, 4}));
    ASSERT_EQ(s.final_obs.sizes(), (std::vector<int64_t>{kNumEnvs, 4}));
    std::vector<FinishedEpisode> expected;
    for (int64_t i = 0; i < kNumEnvs; ++i) {
      StepResult r = ref[i]->step({action[i][0].item<float>()});
      ref_return[i] += r.reward;
      ref_length[i] += 1;
      EXPECT_EQ(s.reward[i].item<float>(), static_cast<float>(r.reward)) << "env " << i;
      EXPECT_EQ(s.terminated[i].item<bool>(), r.terminated) << "env " << i;
      EXPECT_EQ(s.truncated[i].item<bool>(), r.truncated) << "env " << i;
      if (r.terminated || r.truncated) {
        terminations += r.terminated;
        truncations += r.truncated;
        // the ended episode's last obs is kept; the returned obs starts the next episode
        EXPECT_EQ(row(s.final_obs, i), r.obs) << "env " << i;
        EXPECT_EQ(row(s.obs, i), ref[i]->reset()) << "env " << i;
        expected.push_back({i, ref_return[i], ref_length[i], r.truncated});
        ref_return[i] = 0;
        ref_length[i] = 0;
      } else {
        EXPECT_EQ(row(s.obs, i), r.obs) << "env " << i;
        EXPECT_EQ(row(s.final_obs, i), std::vector<float>(4, 0.0f)) << "env " << i;
      }
    }
    ASSERT_EQ(s.finished.size(), expected.size());
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(s.finished[k].env_index, expected[k].env_index);
      EXPECT_DOUBLE_EQ(s.finished[k].episode_return, expected[k].episode_return);
      EXPECT_EQ(s.finished[k].length, expected[k].length);
      EXPECT_EQ(s.finished[k].truncated, expected[k].truncated);
      // InvertedPendulum pays 1 per upright step and 0 on the terminal one
      const double upright = expected[k].length - (expected[k].truncated ? 0 : 1);
      EXPECT_DOUBLE_EQ(s.finished[k].episode_return, upright);
    }
  }
  EXPECT_GT(terminations, 0) << "random forces should topple the pendulum";
  EXPECT_GT(truncations, 0) << "some episodes should reach the 8-step limit";
}

struct Recording {
  std::vector<torch::Tensor> obs, reward, terminated, truncated, final_obs;
  std::vector<FinishedEpisode> finished;
};

Recording record(int threads) {
  VectorEnv envs(factory(), kNumEnvs, threads);
  Recording out;
  out.obs.push_back(envs.reset(42));
  for (const torch::Tensor& action : random_actions(9)) {
    VectorStep s = envs.step(action);
    out.obs.push_back(s.obs);
    out.reward.push_back(s.reward);
    out.terminated.push_back(s.terminated);
    out.truncated.push_back(s.truncated);
    out.final_obs.push_back(s.final_obs);
    out.finished.insert(out.finished.end(), s.finished.begin(), s.finished.end());
  }
  return out;
}

TEST(VectorEnv, OneAndTwoThreadsGiveIdenticalResults) {
  const Recording one = record(1), two = record(2);
  ASSERT_EQ(one.obs.size(), two.obs.size());
  for (size_t t = 0; t < one.obs.size(); ++t) {
    ASSERT_TRUE(torch::equal(one.obs[t], two.obs[t])) << "obs, step " << t;
  }
  for (size_t t = 0; t < one.reward.size(); ++t) {
    ASSERT_TRUE(torch::equal(one.reward[t], two.reward[t])) << "reward, step " << t;
    ASSERT_TRUE(torch::equal(one.terminated[t], two.terminated[t])) << "terminated, step " << t;
    ASSERT_TRUE(torch::equal(one.truncated[t], two.truncated[t])) << "truncated, step " << t;
    ASSERT_TRUE(torch::equal(one.final_obs[t], two.final_obs[t])) << "final_obs, step " << t;
  }
  ASSERT_EQ(one.finished.size(), two.finished.size());
  EXPECT_GT(one.finished.size(), 0u);
  for (size_t k = 0; k < one.finished.size(); ++k) {
    EXPECT_EQ(one.finished[k].env_index, two.finished[k].env_index) << "episode " << k;
    EXPECT_EQ(one.finished[k].episode_return, two.finished[k].episode_return) << "episode " << k;
    EXPECT_EQ(one.finished[k].length, two.finished[k].length) << "episode " << k;
    EXPECT_EQ(one.finished[k].truncated, two.finished[k].truncated) << "episode " << k;
  }
}

TEST(VectorEnv, RejectsBadSizes) {
  EXPECT_THROW(VectorEnv(factory(), 0, 1), Error);
  VectorEnv envs(factory(), kNumEnvs, 1);
  envs.reset(0);
  EXPECT_THROW(envs.step(torch::zeros({kNumEnvs + 1, 1})), Error);
  EXPECT_THROW(envs.step(torch::zeros({kNumEnvs, 2})), Error);
}

}  // namespace
}  // namespace tandem::envs
