// SFT / behaviour cloning imitates its demonstrator, on control (an expert PPO run's episodes on
// InvertedPendulum) and on text (best-of-4 completions of the base model on text/sort).
#include <gtest/gtest.h>

#include <filesystem>

#include "algorithms/metrics.h"
#include "suites/single_run.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

RunRequest request(const std::string& env, const std::string& algorithm, int64_t steps,
                   const std::string& name) {
  RunRequest r;
  r.env_id = env;
  r.algorithm = algorithm;
  r.steps = steps;
  r.eval_interval = steps;
  r.eval_episodes = env == "text/sort" ? 128 : 10;
  r.out_dir = (fs::temp_directory_path() / ("tandem_sft_test_" + name)).string();
  r.progress = false;
  fs::remove_all(r.out_dir);
  return r;
}

TEST(Sft, ClonesAnExpertOnInvertedPendulum) {
  const RunOutcome expert =
      train_run(request("InvertedPendulum-v5", "ppo", 32768, "pendulum_expert"));
  ASSERT_GT(expert.final_eval.return_mean, 500.0) << "the expert itself did not learn";
  RunRequest bc = request("InvertedPendulum-v5", "sft", 200, "pendulum_bc");
  bc.set = {"expert=" + expert.out_dir, "demonstrations=20", "batch_size=4"};
  const RunOutcome cloned = train_run(bc);
  const auto lines = algorithms::read_metrics(bc.out_dir + "/metrics.jsonl");
  const double start = lines.front()["eval/return_mean"];
  // measured: 29.6 -> 1000.0 (the expert's demonstrations return 1000)
  EXPECT_GT(cloned.final_eval.return_mean, 500.0) << "start " << start;
  EXPECT_GT(cloned.final_eval.return_mean, 10 * start);
  EXPECT_NEAR(lines.back()["sft/demonstrator_return"].get<double>(), expert.final_eval.return_mean,
              1e-9)
      << "the expert acts deterministically, as in its evaluation";
}

TEST(Sft, ImitatesBestOfFourCompletionsOnSort) {
  TANDEM_SKIP_WITHOUT_TEXT();
  RunRequest sft = request("text/sort", "sft", 1000, "sort");
  sft.set = {"demonstrations=500", "best_of=4"};
  train_run(sft);
  const auto lines = algorithms::read_metrics(sft.out_dir + "/metrics.jsonl");
  const double start = lines.front()["eval/return_mean"], end = lines.back()["eval/return_mean"];
  const double demonstrator = lines.back()["sft/demonstrator_return"];
  // measured: 0.60 -> 0.86, demonstrations 0.935
  EXPECT_GT(demonstrator, start + 0.2) << "best-of-4 beats a single sample";
  EXPECT_GT(end, start + 0.15) << "gold reward " << start << " -> " << end;
}

}  // namespace
}  // namespace tandem::suites
