// `aihf` (explicit reward, outer rounds) runs unchanged on a text task and on a control task,
// and its reward model learns from the preferences and demonstrations it is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "algorithms/metrics.h"
#include "envs/error.h"
#include "suites/single_run.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

std::vector<json> aihf_run(const std::string& env, int64_t steps, int64_t eval_episodes,
                           std::vector<std::string> set, const std::string& name,
                           uint64_t seed = 1) {
  const std::string dir = (fs::temp_directory_path() / ("tandem_aihf_test_" + name)).string();
  fs::remove_all(dir);
  RunRequest r;
  r.env_id = env;
  r.algorithm = "aihf";
  r.seed = seed;
  r.steps = steps;
  r.eval_interval = steps / 4;
  r.eval_episodes = eval_episodes;
  r.out_dir = dir;
  r.progress = false;
  r.set = std::move(set);
  train_run(r);
  EXPECT_TRUE(fs::exists(dir + "/reward_model.pt")) << "the learned reward is kept";
  return algorithms::read_metrics(dir + "/metrics.jsonl");
}

// the rounds that ran, in order, from the metrics lines
std::vector<int64_t> rounds_of(const std::vector<json>& lines) {
  std::vector<int64_t> out;
  for (const auto& l : lines)
    if (l.contains("aihf/round") && (out.empty() || out.back() != l["aihf/round"]))
      out.push_back(l["aihf/round"].get<int64_t>());
  return out;
}

TEST(Aihf, LearnsItsRewardOnSort) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const auto lines = aihf_run("text/sort", 2000, 64,
                              {"pairs=600", "heldout_pairs=200", "demonstrations=64", "best_of=4",
                               "rounds=2", "rm_learning_rate=3e-4"},
                              "sort");
  EXPECT_EQ(rounds_of(lines), (std::vector<int64_t>{0, 1}));
  const json& end = lines.back();
  // measured: held-out accuracy 0.72–0.75 after round 0 (ceiling 0.83), chance is 0.5
  EXPECT_GT(end["rm/heldout_accuracy"].get<double>(), 0.62);
  EXPECT_GT(end["aihf/demonstration_pairs"].get<int64_t>(), 0);
  EXPECT_GT(end["eval/kl_ref_k3"].get<double>(), 0.0) << "the policy moved from π_ref";
}

// Five seeds and their medians: the run is unstable (a seed can reach 1000 and fall back), and
// floating-point results differ between CPUs. Measured here, seeds 1-5: start 22.7-26.4, end
// 31.3, 82.4, 47.5, 63.7, 158 (median 63.7, 2.5x the start); held-out reward accuracy ~0.91.
TEST(Aihf, RaisesInvertedPendulumsReturn) {
  std::vector<double> starts, ends;
  for (int seed = 1; seed <= 5; ++seed) {
    // demonstrations: the best of 8 episodes of the start policy per seed; preferences: pairs
    // of its episodes. APA against the learned reward.
    const auto lines =
        aihf_run("InvertedPendulum-v5", 20000, 10,
                 {"pairs=200", "heldout_pairs=100", "demonstrations=20", "best_of=8", "rounds=4"},
                 "pendulum", seed);
    EXPECT_EQ(rounds_of(lines), (std::vector<int64_t>{0, 1, 2, 3}));
    starts.push_back(lines.front()["eval/return_mean"].get<double>());
    ends.push_back(lines.back()["eval/return_mean"].get<double>());
    EXPECT_GT(lines.back()["rm/heldout_accuracy"].get<double>(), 0.6) << "seed " << seed;
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  EXPECT_GT(median(ends), 1.5 * median(starts))
      << "median start " << median(starts) << ", median end " << median(ends);
}

TEST(Aihf, PpoInnerAndBadWeights) {
  const auto lines = aihf_run(
      "InvertedPendulum-v5", 4096, 3,
      {"pairs=64", "heldout_pairs=32", "demonstrations=8", "inner=ppo", "kl_coef=0.1", "rounds=2"},
      "ppo_inner");
  EXPECT_EQ(rounds_of(lines), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(lines.back().contains("losses/clip_fraction")) << "PPO's loss ran";
  RunRequest r;
  r.env_id = "InvertedPendulum-v5";
  r.algorithm = "aihf";
  r.progress = false;
  r.set = {"w_d=0", "w_p=0"};
  EXPECT_THROW(train_run(r), Error);
  r.set = {"kl_coef=0.1"};  // APA's only anchor is π_ref
  EXPECT_THROW(train_run(r), Error);
}

// aihf_dpo with w_P = 0 has no held-out pairs: every pair it has is one it trains on, so it logs
// no "held-out" metric at all (its training pairs are not held out, whatever they are called).
TEST(AihfDpo, LogsNoHeldOutMetricsWithoutHeldOutPairs) {
  const std::string dir = (fs::temp_directory_path() / "tandem_aihf_test_dpo_no_prefs").string();
  fs::remove_all(dir);
  RunRequest r;
  r.env_id = "InvertedPendulum-v5";
  r.algorithm = "aihf_dpo";
  r.steps = 32;
  r.eval_interval = 16;
  r.eval_episodes = 2;
  r.out_dir = dir;
  r.progress = false;
  r.set = {"w_p=0", "demonstrations=16", "batch_size=8"};
  train_run(r);
  const auto lines = algorithms::read_metrics(dir + "/metrics.jsonl");
  ASSERT_GE(lines.size(), 2u);
  for (const json& l : lines)
    for (const auto& [key, value] : l.items())
      EXPECT_EQ(key.find("heldout"), std::string::npos) << key << " logged from training pairs";
  EXPECT_TRUE(lines.back().contains("dpo/train_loss")) << "the training pairs' figures stay";
}

}  // namespace
}  // namespace tandem::suites
