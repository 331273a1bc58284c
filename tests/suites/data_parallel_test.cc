// Data-parallel training end to end: `tandem train --nproc 2` runs two worker processes that
// rendezvous over c10d (TCPStore + Gloo). The ranks must end with bit-identical parameters (the
// run's data_parallel.json holds both digests) and learn; a run stopped by SIGTERM resumes on
// the same number of processes, and on another number it is refused with the reason.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>

#include "algorithms/metrics.h"
#include "envs/config.h"
#include "suites/process.h"
#include "tests/suites/run_tandem.h"
#include "tests/suites/test_files.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;
using testing::fresh_test_dir;
using testing::run_tandem;

// data_parallel.json of a finished run: both ranks' digests, equal.
void expect_ranks_identical(const fs::path& dir) {
  ASSERT_TRUE(fs::exists(dir / "data_parallel.json")) << dir;
  const json dp = read_json_file((dir / "data_parallel.json").string());
  EXPECT_EQ(dp["world"].get<int>(), 2);
  ASSERT_EQ(dp["parameter_digests"].size(), 2u);
  EXPECT_EQ(dp["parameter_digests"][0], dp["parameter_digests"][1]);
  EXPECT_TRUE(dp["identical_parameters"].get<bool>());
}

TEST(DataParallel, PpoOnTwoProcessesKeepsTheRanksIdenticalAndLearnsInvertedPendulum) {
  const fs::path root = fresh_test_dir("data_parallel", "pendulum");
  // two seeds: a learning check that holds on any machine (one process, 32768 steps: 1000, the
  // maximum, for seeds 1-6 from a start of 23-26)
  for (const char* seed : {"1", "2"}) {
    const fs::path dir = root / seed;
    const auto out = run_tandem(
        "train --env InvertedPendulum-v5 --algo ppo --nproc 2 --steps 32768 --eval-interval "
        "32768 --eval-episodes 10 --quiet --seed " +
        std::string(seed) + " --out " + dir.string());
    ASSERT_EQ(out.status, 0) << out.text;
    expect_ranks_identical(dir);
    const auto lines = algorithms::read_metrics((dir / "metrics.jsonl").string());
    ASSERT_EQ(lines.size(), 2u) << "rank 0 alone writes the metrics";
    const double start = lines.front()["eval/return_mean"], end = lines.back()["eval/return_mean"];
    EXPECT_GT(end, 500.0) << "seed " << seed << ": return " << start << " -> " << end;
    EXPECT_EQ(lines.back()["env_steps"].get<int64_t>(), 32768) << "the budget counts both ranks";
    EXPECT_FALSE(fs::exists(dir / "checkpoint.rank1.pt"));
  }
}

TEST(DataParallel, PpoOnTextSortOnTwoProcessesRaisesTheGoldReward) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const fs::path dir = fresh_test_dir("data_parallel", "sort");
  const auto out = run_tandem(
      "train --env text/sort --algo ppo --nproc 2 --steps 12000 --eval-interval 12000 "
      "--eval-episodes 128 --quiet --out " +
      dir.string());
  ASSERT_EQ(out.status, 0) << out.text;
  expect_ranks_identical(dir);
  const auto lines = algorithms::read_metrics((dir / "metrics.jsonl").string());
  ASSERT_GE(lines.size(), 2u);
  const double start = lines.front()["eval/return_mean"], end = lines.back()["eval/return_mean"];
  // one process, seeds 1 and 2: 0.60-0.68 -> 0.94-0.95 (text_rlhf_test)
  EXPECT_GT(end, start + 0.15) << "gold reward " << start << " -> " << end;
}

TEST(DataParallel, DpoSplitsItsMinibatchesAndKeepsTheRanksIdentical) {
  const fs::path dir = fresh_test_dir("data_parallel", "dpo");
  const auto out = run_tandem(
      "train --env InvertedPendulum-v5 --algo dpo --nproc 2 --steps 512 --eval-interval 512 "
      "--eval-episodes 5 --quiet --set pairs=128 --set heldout_pairs=64 --set learning_rate=1e-3 "
      "--out " +
      dir.string());
  ASSERT_EQ(out.status, 0) << out.text;
  expect_ranks_identical(dir);
  const auto lines = algorithms::read_metrics((dir / "metrics.jsonl").string());
  const json& end = lines.back();
  EXPECT_GT(end["dpo/heldout_margin"].get<double>(), 0.0);
  EXPECT_LT(end["dpo/heldout_loss"].get<double>(), std::log(2.0));
}

TEST(DataParallel, ApaAndAihfOnTwoProcessesKeepTheRanksIdentical) {
  // APA: the on-policy loop with another loss; AIHF: its reward model trains between the RL
  // iterations (split minibatches, averaged gradients) on demonstration pairs that every rank
  // must draw alike
  const fs::path root = fresh_test_dir("data_parallel", "apa_aihf");
  const auto apa = run_tandem(
      "train --env InvertedPendulum-v5 --algo apa --nproc 2 --steps 4096 --eval-interval 4096 "
      "--eval-episodes 2 --quiet --out " +
      (root / "apa").string());
  ASSERT_EQ(apa.status, 0) << apa.text;
  expect_ranks_identical(root / "apa");
  const auto aihf = run_tandem(
      "train --env InvertedPendulum-v5 --algo aihf --nproc 2 --steps 4096 --eval-interval 4096 "
      "--eval-episodes 2 --set pairs=60 heldout_pairs=20 demonstrations=2 rounds=2 --out " +
      (root / "aihf").string());
  ASSERT_EQ(aihf.status, 0) << aihf.text;
  expect_ranks_identical(root / "aihf");
  EXPECT_NE(aihf.text.find("its reward model's held-out pair accuracy"), std::string::npos)
      << aihf.text;
}

TEST(DataParallel, AStoppedRunResumesOnAsManyProcessesOnly) {
  const fs::path dir = fresh_test_dir("data_parallel", "resume");
  const std::string args =
      "train --env InvertedPendulum-v5 --algo ppo --steps 65536 --eval-interval 16384 "
      "--eval-episodes 5 --quiet --set checkpoint_interval=1 --out " +
      dir.string();
  std::vector<std::string> argv = {std::string(TANDEM_BINARY_DIR) + "/tandem"};
  for (const char* a : {"train", "--env", "InvertedPendulum-v5", "--algo", "ppo", "--steps",
                        "65536", "--eval-interval", "16384", "--eval-episodes", "5", "--quiet",
                        "--set", "checkpoint_interval=1", "--nproc", "2", "--out"})
    argv.push_back(a);
  argv.push_back(dir.string());
  SpawnOptions options;
  options.log_path = (dir.parent_path() / "resume_first_attempt.log").string();
  const pid_t launcher = spawn_process(argv, options);
  // SIGTERM once a checkpoint exists: both workers stop at the same iteration
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(dir / "checkpoint.pt") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(dir / "checkpoint.pt")) << testing::read_text(options.log_path);
  ::kill(launcher, SIGTERM);
  ExitStatus first;
  wait_process(launcher, true, &first);
  const std::string log = testing::read_text(options.log_path);
  ASSERT_TRUE(first.exited && first.code == 130) << first.describe() << "\n" << log;
  EXPECT_NE(log.find("--resume"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir / "done"));

  // another number of processes: refused, with the number it was trained on
  const auto other = run_tandem(args + " --resume");
  EXPECT_NE(other.status, 0) << other.text;
  EXPECT_NE(other.text.find("trained on 2 data-parallel process"), std::string::npos) << other.text;

  const auto resumed = run_tandem(args + " --resume --nproc 2");
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("resumed from its checkpoint"), std::string::npos) << resumed.text;
  expect_ranks_identical(dir);
  const auto lines = algorithms::read_metrics((dir / "metrics.jsonl").string());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["env_steps"].get<int64_t>(), 65536);
  // one line per evaluation, none twice: 0, 16k, 32k, 48k, 64k
  EXPECT_EQ(lines.size(), 5u);
}

TEST(DataParallel, AWorkerThatFailsStopsTheRunWithItsReason) {
  const fs::path dir = fresh_test_dir("data_parallel", "uneven");
  // 3 processes cannot share one env's 2048 steps: every rank says why, the launcher fails
  const auto out = run_tandem(
      "train --env InvertedPendulum-v5 --algo ppo --nproc 3 --steps 4096 --quiet --out " +
      dir.string());
  EXPECT_NE(out.status, 0);
  EXPECT_NE(out.text.find("must be a multiple of 3"), std::string::npos) << out.text;
}

}  // namespace
}  // namespace tandem::suites
