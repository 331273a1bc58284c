// The compute axis and the offline learners' stopping rule: every learner logs its optimizer
// steps (charts/gradient_steps), and an offline learner with patience stops once its held-out
// score has not improved for that many evaluations.
#include <gtest/gtest.h>

#include <filesystem>

#include "algorithms/metrics.h"
#include "envs/error.h"
#include "suites/single_run.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

RunRequest sort_run(const std::string& name, const std::string& algorithm, int64_t steps,
                    int64_t eval_interval, std::vector<std::string> set) {
  RunRequest r;
  r.env_id = "text/sort";
  r.algorithm = algorithm;
  r.steps = steps;
  r.eval_interval = eval_interval;
  r.eval_episodes = 8;
  r.out_dir = (fs::temp_directory_path() / ("tandem_schedule_" + name)).string();
  r.progress = false;
  r.set = std::move(set);
  fs::remove_all(r.out_dir);
  return r;
}

int64_t last_gradient_steps(const std::string& dir) {
  return algorithms::read_metrics(dir + "/metrics.jsonl").back()["charts/gradient_steps"];
}

TEST(GradientSteps, EveryLearnerCountsItsOptimizerSteps) {
  TANDEM_SKIP_WITHOUT_TEXT();
  // offline: one step per minibatch — 256 pairs in minibatches of 16, 96 demonstrations in 16s,
  // 256 pairs in the reward model's minibatches of 32
  RunRequest dpo = sort_run("dpo", "dpo", 256, 64, {"pairs=64", "heldout_pairs=16"});
  train_run(dpo);
  EXPECT_EQ(last_gradient_steps(dpo.out_dir), 16);
  RunRequest sft = sort_run("sft", "sft", 96, 48, {"demonstrations=16", "best_of=2"});
  train_run(sft);
  EXPECT_EQ(last_gradient_steps(sft.out_dir), 6);
  RunRequest rm = sort_run("rm", "reward_model", 256, 64, {"pairs=64", "heldout_pairs=16"});
  train_run(rm);
  EXPECT_EQ(last_gradient_steps(rm.out_dir), 8);
  // the first line (step 0) counts none
  EXPECT_EQ(
      algorithms::read_metrics(rm.out_dir + "/metrics.jsonl").front()["charts/gradient_steps"], 0);

  // on-policy: iterations × epochs × minibatches (no epoch cut short: losses/epochs says so)
  RunRequest ppo;
  ppo.env_id = "InvertedPendulum-v5";
  ppo.algorithm = "ppo";
  ppo.steps = 4096;
  ppo.eval_interval = 2048;
  ppo.eval_episodes = 2;
  ppo.progress = false;
  ppo.out_dir = (fs::temp_directory_path() / "tandem_schedule_ppo").string();
  ppo.set = {"steps_per_env=1024", "minibatches=4", "epochs=3"};
  fs::remove_all(ppo.out_dir);
  train_run(ppo);
  const json config = read_json_file(ppo.out_dir + "/config.json")["algorithm"]["config"];
  const int64_t iterations = 4096 / (config["num_envs"].get<int64_t>() * 1024);
  for (const json& line : algorithms::read_metrics(ppo.out_dir + "/metrics.jsonl"))
    if (line.contains("losses/epochs")) {
      ASSERT_EQ(line["losses/epochs"], 3);
    }
  EXPECT_EQ(last_gradient_steps(ppo.out_dir), iterations * 3 * 4);
  for (const RunRequest* r : {&dpo, &sft, &rm, &ppo}) fs::remove_all(r->out_dir);
}

// patience 1: the run stops at the first evaluation whose held-out accuracy does not beat the
// best so far. Held-out accuracy over 16 pairs moves in steps of 1/32 (a tie counts ½), so it
// cannot improve at 40 evaluations in a row: the stop is certain well within the budget.
TEST(EarlyStopping, StopsOnceTheHeldOutScoreStopsImproving) {
  TANDEM_SKIP_WITHOUT_TEXT();
  RunRequest r = sort_run("patience", "reward_model", 64 * 40, 64,
                          {"pairs=64", "heldout_pairs=16", "patience=1"});
  train_run(r);
  const auto lines = algorithms::read_metrics(r.out_dir + "/metrics.jsonl");
  ASSERT_GE(lines.size(), 2u);
  EXPECT_LT(lines.back()["env_steps"].get<int64_t>(), r.steps) << "stopped before the cap";
  EXPECT_EQ(lines.back()["offline/stopped_early"], 1);
  EXPECT_TRUE(fs::exists(r.out_dir + "/done")) << "an early stop is a finished run";
  // the rule, line by line: the best so far is beaten, or the count of evaluations without
  // improvement goes up; the run stops when it reaches the patience
  double best = lines.front()["rm/heldout_accuracy"];
  for (size_t i = 1; i < lines.size(); ++i) {
    const double accuracy = lines[i]["rm/heldout_accuracy"];
    const int64_t without = lines[i]["offline/evaluations_without_improvement"];
    EXPECT_EQ(without, accuracy > best ? 0 : 1) << "line " << i;
    EXPECT_EQ(lines[i].contains("offline/stopped_early"), i + 1 == lines.size()) << "line " << i;
    best = std::max(best, accuracy);
  }
  // killed after its last checkpoint, before `done`: --resume finishes it without training on
  const auto stopped = lines;
  fs::remove(r.out_dir + "/done");
  RunRequest again = r;
  again.resume = true;
  EXPECT_TRUE(train_run(again).resumed);
  EXPECT_TRUE(fs::exists(r.out_dir + "/done"));
  EXPECT_EQ(algorithms::read_metrics(r.out_dir + "/metrics.jsonl").size(), stopped.size());
  // without patience the same run trains to the cap
  RunRequest whole =
      sort_run("no_patience", "reward_model", 64 * 6, 64, {"pairs=64", "heldout_pairs=16"});
  train_run(whole);
  EXPECT_EQ(algorithms::read_metrics(whole.out_dir + "/metrics.jsonl").back()["env_steps"], 64 * 6);
  fs::remove_all(r.out_dir);
  fs::remove_all(whole.out_dir);
}

// SFT stops on held-out demonstrations of the same demonstrator (their own seed): the training
// set stays the one every learner of the feedback uses. (On text/sort the demonstrations are the
// base model's own best-of-2 completions, so fitting them barely generalizes: the held-out NLL
// rises from the first evaluation and the run stops at the patience.)
TEST(EarlyStopping, SftStopsOnHeldOutDemonstrations) {
  TANDEM_SKIP_WITHOUT_TEXT();
  RunRequest r = sort_run("sft_heldout", "sft", 16 * 400, 32,
                          {"demonstrations=16", "best_of=2", "heldout_demonstrations=8",
                           "patience=1", "learning_rate=0.0001"});
  train_run(r);
  const auto lines = algorithms::read_metrics(r.out_dir + "/metrics.jsonl");
  ASSERT_GE(lines.size(), 2u);
  EXPECT_LT(lines.back()["env_steps"].get<int64_t>(), r.steps) << "stopped before the cap";
  EXPECT_EQ(lines.back()["offline/stopped_early"], 1);
  EXPECT_EQ(lines.front()["sft/demonstrations"], 16) << "the held-out episodes are not trained on";
  EXPECT_EQ(lines.front()["sft/heldout_demonstrations"], 8);
  double best = lines.front()["sft/heldout_nll_per_step"];
  for (size_t i = 1; i < lines.size(); ++i) {
    const double nll = lines[i]["sft/heldout_nll_per_step"];
    EXPECT_EQ(lines[i]["offline/evaluations_without_improvement"], nll < best ? 0 : 1)
        << "line " << i;
    best = std::min(best, nll);
  }
  fs::remove_all(r.out_dir);
}

TEST(EarlyStopping, IsRefusedWhereThereIsNoHeldOutData) {
  RunRequest sft = sort_run("sft_patience", "sft", 96, 48, {"demonstrations=16", "patience=2"});
  EXPECT_THROW(train_run(sft), Error);
  RunRequest demos = sort_run("aihf_dpo_patience", "aihf_dpo", 96, 48,
                              {"demonstrations=16", "w_p=0", "patience=2"});
  EXPECT_THROW(train_run(demos), Error);
}

}  // namespace
}  // namespace tandem::suites
