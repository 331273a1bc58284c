// The Slurm executor against a real Slurm: scripts/test.sh starts one on localhost
// (scripts/slurm_local.sh) and exports SLURM_CONF. Labelled `slurm` (ctest -L slurm).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "envs/config.h"
#include "tests/suites/run_tandem.h"

namespace {
namespace fs = std::filesystem;
using tandem::testing::Output;
using tandem::testing::run_tandem;
using tandem::testing::run_tandem_shell;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The report's tables (every table row outside the setup section, which holds wall times).
std::string report_tables(const fs::path& report_md) {
  std::ifstream in(report_md);
  std::string out;
  bool setup = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) setup = line.rfind("## Setup", 0) == 0;
    if (!setup && line.rfind("|", 0) == 0) out += line + "\n";
  }
  return out;
}

// A run's metrics without its clock: what must not depend on where it ran.
std::vector<tandem::json> metrics_without_time(const fs::path& run_dir) {
  std::vector<tandem::json> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    tandem::json j = tandem::json::parse(line);
    for (auto it = j.begin(); it != j.end();)
      it = it.key().find("seconds") != std::string::npos ||
                   it.key().find("per_second") != std::string::npos
               ? j.erase(it)
               : std::next(it);
    out.push_back(j);
  }
  return out;
}

std::map<std::string, fs::path> run_dirs(const fs::path& suite_dir) {
  std::map<std::string, fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(suite_dir))
    if (e.is_directory() && e.path().filename().string().rfind("seed-", 0) == 0)
      out[fs::relative(e.path(), suite_dir).string()] = e.path();
  return out;
}

// Slurm is there when scripts/test.sh could start it (it says why not in the skip).
bool slurm_available(std::string* why) {
  if (const char* reason = std::getenv("TANDEM_SLURM_UNAVAILABLE")) {
    *why = reason;
    return false;
  }
  if (!std::getenv("SLURM_CONF")) {
    *why = "SLURM_CONF is not set: scripts/test.sh starts a local Slurm (scripts/slurm_local.sh)";
    return false;
  }
  return true;
}

// The smoke suite through a Slurm job array, one task at a time: one running task is cancelled
// (scancel) after its first checkpoint, the follower reports it as cancelled, `--resume` submits
// it again and it continues from the checkpoint; the report's numbers equal the local runner's.
TEST(SlurmExecutor, SmokeSuiteKilledTaskResumesToTheLocalRunnersNumbers) {
  std::string why;
  if (!slurm_available(&why)) GTEST_SKIP() << why;
  const fs::path dir = fs::temp_directory_path() / "tandem_slurm_test";
  fs::remove_all(dir);
  const std::string suite = std::string(TANDEM_SOURCE_DIR) + "/suites/smoke.json";

  Output local = run_tandem("run " + suite + " --jobs 2 --results " + (dir / "local").string());
  ASSERT_EQ(local.status, 0) << local.text;

  // the follower, in the background; --jobs 1 throttles the array to one task at a time
  const fs::path slurm_results = dir / "slurm";
  auto follower = std::async(std::launch::async, [&] {
    return run_tandem("run " + suite + " --executor slurm --jobs 1 --results " +
                      slurm_results.string());
  });
  // a running run with a checkpoint and no `done`: cancelled in Slurm
  const fs::path suite_dir = slurm_results / "smoke";
  std::string cancelled;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (cancelled.empty() && std::chrono::steady_clock::now() < deadline &&
         follower.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (!fs::exists(suite_dir / "slurm/arrays.jsonl")) continue;
    const std::string record = read_text(suite_dir / "slurm/arrays.jsonl");
    if (record.find('\n') == std::string::npos) continue;
    const tandem::json array = tandem::json::parse(record.substr(0, record.find('\n')));
    const auto& dirs = array["dirs"];
    ASSERT_EQ(dirs.size(), 8u) << "one array for the suite's 8 runs: " << record;
    for (size_t i = 0; i < dirs.size(); ++i) {
      const fs::path run = dirs[i].get<std::string>();
      if (fs::exists(run / "checkpoint.pt") && !fs::exists(run / "done") &&
          !fs::exists(run / "slurm_exit_status")) {
        const std::string task = array["job"].get<std::string>() + "_" + std::to_string(i);
        Output scancel = run_tandem_shell("scancel " + task);
        ASSERT_EQ(scancel.status, 0) << scancel.text;
        cancelled = fs::relative(run, suite_dir).string();
        break;
      }
    }
  }
  const Output first = follower.get();
  // SIGTERM from Slurm: the run wrote its checkpoint and exited as `tandem train` does (130)
  EXPECT_EQ(read_text(suite_dir / cancelled / "slurm_exit_status"), "130\n");
  ASSERT_FALSE(cancelled.empty()) << "no run was caught mid-run\n" << first.text;
  EXPECT_EQ(first.status, 1) << first.text;
  EXPECT_NE(first.text.find("submitted job array"), std::string::npos) << first.text;
  EXPECT_NE(first.text.find("FAILED  " + cancelled), std::string::npos) << first.text;
  EXPECT_NE(first.text.find("cancelled in Slurm"), std::string::npos) << first.text;
  EXPECT_NE(first.text.find("log.txt"), std::string::npos) << first.text;
  // the generated batch script is kept for the user
  EXPECT_TRUE(fs::exists(suite_dir / "slurm/smoke-1.sh"));

  Output resumed =
      run_tandem("run " + suite + " --executor slurm --resume --results " + slurm_results.string());
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("7 finished earlier"), std::string::npos) << resumed.text;
  EXPECT_TRUE(fs::exists(suite_dir / "slurm/smoke-2.sh"));
  // the cancelled run continued from its checkpoint
  EXPECT_NE(read_text(suite_dir / cancelled / "log.txt").find("--resume"), std::string::npos)
      << read_text(suite_dir / cancelled / "log.txt");

  const auto local_runs = run_dirs(dir / "local/smoke");
  const auto slurm_runs = run_dirs(suite_dir);
  ASSERT_EQ(local_runs.size(), 8u);
  ASSERT_EQ(slurm_runs.size(), 8u);
  for (const auto& [key, local_dir] : local_runs) {
    ASSERT_TRUE(slurm_runs.count(key)) << key;
    EXPECT_TRUE(fs::exists(slurm_runs.at(key) / "done")) << key;
    EXPECT_EQ(metrics_without_time(local_dir), metrics_without_time(slurm_runs.at(key))) << key;
  }
  EXPECT_FALSE(report_tables(dir / "local/smoke/report.md").empty());
  EXPECT_EQ(report_tables(dir / "local/smoke/report.md"), report_tables(suite_dir / "report.md"));
  fs::remove_all(dir);
}

// Without Slurm's commands, the executor says so before anything is written.
TEST(SlurmExecutor, WithoutSlurmInstalledTheErrorSaysSo) {
  const fs::path dir = fs::temp_directory_path() / "tandem_slurm_missing";
  fs::remove_all(dir);
  Output out = run_tandem("run " + std::string(TANDEM_SOURCE_DIR) +
                              "/suites/smoke.json --executor slurm --results " + dir.string(),
                          "env PATH=/nonexistent");
  EXPECT_EQ(out.status, 1) << out.text;
  EXPECT_NE(out.text.find("`sbatch` is not on PATH"), std::string::npos) << out.text;
  EXPECT_FALSE(fs::exists(dir / "smoke/InvertedPendulum-v5")) << "nothing started";
  Output local_only = run_tandem("run " + std::string(TANDEM_SOURCE_DIR) +
                                 "/suites/smoke.json --no-wait --results " + dir.string());
  EXPECT_NE(local_only.status, 0);
  EXPECT_NE(local_only.text.find("go with --executor slurm"), std::string::npos) << local_only.text;
}

// One data-parallel run as a two-task Slurm step (srun -n 2): the tasks find their ranks in
// SLURM_PROCID/SLURM_STEP_NUM_TASKS, rendezvous over c10d and end with identical parameters.
TEST(SlurmDataParallel, ATwoTaskSrunRunKeepsItsRanksIdentical) {
  std::string why;
  if (!slurm_available(&why)) GTEST_SKIP() << why;
  const fs::path dir =
      fs::temp_directory_path() / ("tandem_slurm_srun_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // MASTER_ADDR: rank 0's node; here one node, reached on loopback
  const Output out = run_tandem_shell(
      "MASTER_ADDR=127.0.0.1 srun --ntasks 2 --cpus-per-task 1 --time 10 " +
      std::string(TANDEM_BINARY_DIR) +
      "/tandem train --env InvertedPendulum-v5 --algo ppo --steps 8192 --eval-interval 8192 "
      "--eval-episodes 3 --quiet --out " +
      dir.string());
  ASSERT_EQ(out.status, 0) << out.text;
  const tandem::json dp = tandem::read_json_file((dir / "data_parallel.json").string());
  EXPECT_EQ(dp["world"].get<int>(), 2);
  EXPECT_TRUE(dp["identical_parameters"].get<bool>()) << dp.dump();
  EXPECT_TRUE(fs::exists(dir / "done"));
  // rank 0 alone prints the run's summary
  size_t summaries = 0;
  for (size_t at = out.text.find("run folder:"); at != std::string::npos;
       at = out.text.find("run folder:", at + 1))
    ++summaries;
  EXPECT_EQ(summaries, 1u) << out.text;
  fs::remove_all(dir);
}

}  // namespace
