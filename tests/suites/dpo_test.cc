// DPO learns from preference pairs, and the same registered algorithm runs on a text task and a
// control task: a pair is two completions, or two InvertedPendulum episodes from one seed.
#include <filesystem>

#include <gtest/gtest.h>

#include "algorithms/metrics.h"
#include "suites/single_run.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

std::vector<json> dpo_run(const std::string& env, int64_t steps, std::vector<std::string> set) {
  const std::string dir =
      (fs::temp_directory_path() / ("tandem_dpo_test_" + std::to_string(steps))).string();
  fs::remove_all(dir);
  RunRequest r;
  r.env_id = env;
  r.algorithm = "dpo";
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
  const auto lines = dpo_run("InvertedPendulum-v5", 512,
                             {"pairs=128", "heldout_pairs=64", "learning_rate=1e-3"});
  const json& end = lines.back();
  EXPECT_GT(end["dpo/heldout_margin"].get<double>(), 0.0);
  EXPECT_LT(end["dpo/heldout_loss"].get<double>(), std::log(2.0));
  EXPECT_TRUE(end.contains("eval/return_mean"));
}

}  // namespace
}  // namespace tandem::suites
