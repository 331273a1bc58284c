// DPO learns from preference pairs, and the same registered algorithm runs on a text task and a
// control task: a pair is two completions, or two InvertedPendulum episodes from one seed.
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

std::vector<json> dpo_run(const std::string& env, int64_t steps, std::vector<std::string> set,
                          const std::string& algorithm = "dpo", uint64_t seed = 1) {
  const std::string dir =
      (fs::temp_directory_path() /
       ("tandem_dpo_test_" + algorithm + std::to_string(steps) + "_seed" + std::to_string(seed)))
          .string();
  fs::remove_all(dir);
  RunRequest r;
  r.env_id = env;
  r.algorithm = algorithm;
  r.seed = seed;
  r.steps = steps;
  r.eval_interval = steps;
  r.eval_episodes = 64;
  r.out_dir = dir;
  r.progress = false;
  r.set = std::move(set);
  train_run(r);
  return algorithms::read_metrics(dir + "/metrics.jsonl");
}

TEST(Dpo, RaisesTheHeldOutMarginOnSort) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const auto lines = dpo_run("text/sort", 2000, {"pairs=1000", "heldout_pairs=300"});
  const json& start = lines.front();
  const json& end = lines.back();
  EXPECT_DOUBLE_EQ(start["dpo/heldout_margin"].get<double>(), 0.0) << "π = π_ref at the start";
  EXPECT_NEAR(start["dpo/heldout_loss"].get<double>(), std::log(2.0), 1e-6);
  // measured: margin 0.31, held-out loss 0.586, accuracy 0.61 after 2000 pairs
  EXPECT_GT(end["dpo/heldout_margin"].get<double>(), 0.1);
  EXPECT_LT(end["dpo/heldout_loss"].get<double>(), std::log(2.0) - 0.03);
  EXPECT_GT(end["eval/kl_ref"].get<double>(), 0.0);
}

TEST(Dpo, RunsUnchangedOnAControlTask) {
  // pairs of whole episodes of the (random) start policy from the same seed, labelled by their
  // true returns; the learner raises the likelihood of the longer-balancing ones
  const auto lines =
      dpo_run("InvertedPendulum-v5", 512, {"pairs=128", "heldout_pairs=64", "learning_rate=1e-3"});
  const json& end = lines.back();
  EXPECT_GT(end["dpo/heldout_margin"].get<double>(), 0.0);
  EXPECT_LT(end["dpo/heldout_loss"].get<double>(), std::log(2.0));
  EXPECT_TRUE(end.contains("eval/return_mean"));
}

TEST(Dpo, StartsFromAnotherRunsPolicy) {
  // the common start of offline learners on control: a weak PPO policy (policy.start_from)
  RunRequest weak;
  weak.env_id = "InvertedPendulum-v5";
  weak.steps = 4096;
  weak.eval_episodes = 64;  // as dpo_run evaluates
  weak.out_dir = (fs::temp_directory_path() / "tandem_dpo_test_weak_start").string();
  weak.progress = false;
  fs::remove_all(weak.out_dir);
  const RunOutcome start = train_run(weak);
  const auto lines = dpo_run("InvertedPendulum-v5", 64,
                             {"pairs=32", "heldout_pairs=16", "policy.start_from=" + weak.out_dir});
  // the same evaluation seeds, deterministic actions: the very same returns before training
  EXPECT_DOUBLE_EQ(lines.front()["eval/return_mean"].get<double>(), start.final_eval.return_mean);
  EXPECT_THROW(dpo_run("InvertedPendulum-v5", 64, {"policy.start_from=/nonexistent/run"}), Error);
}

TEST(AihfDpo, WithoutDemonstrationsIsExactlyDpo) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const std::vector<std::string> set = {"pairs=300", "heldout_pairs=100"};
  const auto dpo = dpo_run("text/sort", 600, set);
  auto aihf_set = set;
  aihf_set.push_back("w_d=0");
  const auto aihf = dpo_run("text/sort", 600, aihf_set, "aihf_dpo");
  ASSERT_EQ(dpo.size(), aihf.size());
  for (size_t i = 0; i < dpo.size(); ++i) {
    for (const char* key : {"eval/return_mean", "eval/kl_ref", "dpo/heldout_loss",
                            "dpo/heldout_margin", "dpo/heldout_chosen_reward"})
      EXPECT_EQ(dpo[i][key], aihf[i][key]) << key << " at evaluation " << i;
  }
}

// Three seeds and the median gain: the base model, and so every number here, differs between
// CPUs (it is pretrained on the machine). Measured here, seeds 1-3: gains +0.03, +0.18, +0.11
// from 0.69 (dpo alone: +0.05, +0.07, 0.00); on another machine 0.60 -> 0.80 for seed 1.
TEST(AihfDpo, DemonstrationPairsRaiseTheGoldReward) {
  TANDEM_SKIP_WITHOUT_TEXT();
  std::vector<double> gains;
  for (uint64_t seed : {1, 2, 3}) {
    // best-of-4 completions of the base model as demonstrations, beside 1000 preference pairs
    const auto lines =
        dpo_run("text/sort", 1000, {"demonstrations=300", "best_of=4"}, "aihf_dpo", seed);
    gains.push_back(lines.back()["eval/return_mean"].get<double>() -
                    lines.front()["eval/return_mean"].get<double>());
    // pairs whose y' equals the demonstration are skipped: 173 of 300 remained (measured)
    EXPECT_GT(lines.back()["aihf/demonstration_pairs"].get<int64_t>(), 100);
  }
  std::vector<double> sorted = gains;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(sorted[1], 0.04) << "gold reward gains of seeds 1-3: " << gains[0] << ", " << gains[1]
                             << ", " << gains[2];
}

}  // namespace
}  // namespace tandem::suites
