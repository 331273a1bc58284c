// `tandem train --resume`: an interrupted on-policy run continues from its checkpoint — weights,
// optimizer, RNG and counters restored, the metrics cut back to the checkpoint — and refuses a
// folder made with another configuration.
#include <gtest/gtest.h>

#include <filesystem>

#include "algorithms/metrics.h"
#include "envs/error.h"
#include "suites/single_run.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

RunRequest pendulum(const std::string& dir) {
  RunRequest r;
  r.env_id = "InvertedPendulum-v5";
  r.algorithm = "ppo";
  r.steps = 8192;
  r.eval_interval = 2048;
  r.eval_episodes = 3;
  r.out_dir = dir;
  r.progress = false;
  r.set = {"steps_per_env=1024", "minibatches=4", "keep_checkpoints=[4096]"};
  return r;
}

// A copy of `from` as a run killed right after its checkpoint at 4096 steps: every file, the
// metrics written after the checkpoint too, and checkpoint-4096.pt as its checkpoint.
std::string interrupted_copy(const std::string& from, const std::string& name) {
  const std::string to = (fs::temp_directory_path() / name).string();
  fs::remove_all(to);
  fs::create_directories(to);
  for (const char* f : {"config.json", "metrics.jsonl"})
    fs::copy_file(from + "/" + f, to + "/" + f);
  fs::copy_file(from + "/checkpoint-4096.pt", to + "/checkpoint.pt");
  return to;
}

// the numbers of a metrics line, without the clocks
json numbers(json line) {
  for (const char* k : {"wall_seconds", "charts/rollout_seconds", "charts/update_seconds",
                        "charts/steps_per_second"})
    line.erase(k);
  return line;
}

TEST(Resume, ContinuesFromTheCheckpointWithTheMetricsCutBack) {
  const std::string whole = (fs::temp_directory_path() / "tandem_resume_whole").string();
  fs::remove_all(whole);
  train_run(pendulum(whole));
  const auto original = algorithms::read_metrics(whole + "/metrics.jsonl");
  ASSERT_EQ(original.back()["env_steps"], 8192);

  std::vector<json> resumed[2];
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string dir =
        interrupted_copy(whole, "tandem_resume_attempt" + std::to_string(attempt));
    RunRequest r = pendulum(dir);
    r.resume = true;
    const RunOutcome outcome = train_run(r);
    EXPECT_TRUE(outcome.resumed);
    resumed[attempt] = algorithms::read_metrics(dir + "/metrics.jsonl");
  }
  const auto& lines = resumed[0];
  // the lines up to the checkpoint are the original's, each evaluation step once, then on
  std::vector<int64_t> steps;
  for (const auto& l : lines) steps.push_back(l["env_steps"].get<int64_t>());
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 2048, 4096, 6144, 8192}));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(lines[i], original[i]) << "line " << i;
  EXPECT_GT(lines.back()["wall_seconds"].get<double>(), lines[2]["wall_seconds"].get<double>())
      << "wall time counts on from the checkpoint's";
  // resuming is deterministic: the same checkpoint gives the same run
  ASSERT_EQ(resumed[1].size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i)
    EXPECT_EQ(numbers(resumed[1][i]), numbers(lines[i])) << "line " << i;
}

TEST(Resume, RefusesAnotherConfigurationAndStartsAfreshWithoutACheckpoint) {
  const std::string dir = (fs::temp_directory_path() / "tandem_resume_other").string();
  fs::remove_all(dir);
  RunRequest r = pendulum(dir);
  r.steps = 2048;
  train_run(r);
  RunRequest finished = r;
  finished.resume = true;
  EXPECT_THROW(train_run(finished), Error) << "a finished run is not resumed, nor redone";
  fs::remove(dir + "/done");  // as if interrupted
  RunRequest other = r;
  other.resume = true;
  other.set.push_back("learning_rate=0.001");
  try {
    train_run(other);
    ADD_FAILURE() << "resumed a run of another configuration";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rate"), std::string::npos) << e.what();
  }
  // no checkpoint: --resume starts the run afresh
  fs::remove(dir + "/checkpoint.pt");
  RunRequest again = r;
  again.resume = true;
  EXPECT_FALSE(train_run(again).resumed);
  EXPECT_EQ(algorithms::read_metrics(dir + "/metrics.jsonl").front()["env_steps"], 0);
}

}  // namespace
}  // namespace tandem::suites
