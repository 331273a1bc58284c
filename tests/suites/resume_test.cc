// `tandem train --resume`: an interrupted run continues from its checkpoint — weights,
// optimizer, RNG and counters restored, the metrics cut back to the checkpoint — and refuses a
// folder made with another configuration.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "algorithms/metrics.h"
#include "envs/error.h"
#include "suites/single_run.h"
#include "tests/suites/run_tandem.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

RunRequest pendulum(const std::string& dir, const std::string& algorithm = "ppo") {
  RunRequest r;
  r.env_id = "InvertedPendulum-v5";
  r.algorithm = algorithm;
  r.steps = 8192;
  r.eval_interval = 2048;
  r.eval_episodes = 3;
  r.out_dir = dir;
  r.progress = false;
  // snapshots at three points mid-run: each is a complete checkpoint to resume from
  r.set = {"steps_per_env=1024", "minibatches=4", "keep_checkpoints=[2048,4096,6144]"};
  return r;
}

// A copy of `from` as a run killed right after its checkpoint at `steps`: every file, the
// metrics written after the checkpoint too, and checkpoint-<steps>.pt as its checkpoint.
std::string interrupted_copy(const std::string& from, const std::string& name, int64_t steps) {
  const std::string to = (fs::temp_directory_path() / name).string();
  fs::remove_all(to);
  fs::create_directories(to);
  for (const char* f : {"config.json", "metrics.jsonl"})
    fs::copy_file(from + "/" + f, to + "/" + f);
  fs::copy_file(from + "/checkpoint-" + std::to_string(steps) + ".pt", to + "/checkpoint.pt");
  return to;
}

// the numbers of a metrics line, without the clocks
json numbers(json line) {
  for (const char* k : {"wall_seconds", "charts/rollout_seconds", "charts/update_seconds",
                        "charts/steps_per_second"})
    line.erase(k);
  return line;
}

// The same run on text/sort: whole-completion rollouts of 32 episodes, evaluation with
// sampling, snapshots at three points.
RunRequest sort_run(const std::string& dir, const std::string& algorithm) {
  RunRequest r;
  r.env_id = "text/sort";
  r.algorithm = algorithm;
  r.steps = 1200;
  r.eval_interval = 300;
  r.eval_episodes = 16;
  r.out_dir = dir;
  r.progress = false;
  r.set = {"keep_checkpoints=[300,600,900]"};
  return r;
}

// A run killed at any of three points and resumed writes the uninterrupted run's metrics, line
// for line, clocks aside: weights, Adam, observation statistics, reward scale, torch's RNG and
// every env's simulator state in flight come back. And it keeps learning: the policy moves
// after the resume (approx_kl > 0; a resume that cut the optimizer off from the weights left
// it at ~1e-9).
// `moving`: a metric that must stay above 1e-6 after the resume (none: the offline learners,
// whose resumed metrics equal the uninterrupted run's, which learns).
void expect_resumes_bit_for_bit(const std::function<RunRequest(const std::string&)>& make,
                                const std::string& name, const std::vector<int64_t>& points,
                                const char* moving = "losses/approx_kl") {
  const std::string whole = (fs::temp_directory_path() / ("tandem_resume_whole_" + name)).string();
  fs::remove_all(whole);
  train_run(make(whole));
  const auto original = algorithms::read_metrics(whole + "/metrics.jsonl");
  ASSERT_GE(original.size(), 3u);

  for (int64_t at : points) {
    const std::string dir =
        interrupted_copy(whole, "tandem_resume_" + name + "_at" + std::to_string(at), at);
    RunRequest r = make(dir);
    r.resume = true;
    const RunOutcome outcome = train_run(r);
    EXPECT_TRUE(outcome.resumed);
    const auto lines = algorithms::read_metrics(dir + "/metrics.jsonl");
    ASSERT_EQ(lines.size(), original.size()) << name << " resumed at " << at;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(numbers(lines[i]), numbers(original[i]))
          << name << " resumed at " << at << ", line " << i;
      const int64_t steps = lines[i]["env_steps"].get<int64_t>();
      if (moving && steps > at) {
        EXPECT_GT(lines[i][moving].get<double>(), 1e-6)
            << name << " resumed at " << at << ": the policy does not move after the resume";
      }
    }
    fs::remove_all(dir);
  }
  fs::remove_all(whole);
}

TEST(Resume, PpoKilledAtThreePointsResumesBitForBitAndKeepsLearning) {
  expect_resumes_bit_for_bit([](const std::string& d) { return pendulum(d, "ppo"); },
                             "pendulum_ppo", {2048, 4096, 6144});
}

TEST(Resume, ApaKilledAtThreePointsResumesBitForBitAndKeepsLearning) {
  expect_resumes_bit_for_bit([](const std::string& d) { return pendulum(d, "apa"); },
                             "pendulum_apa", {2048, 4096, 6144});
}

TEST(Resume, TextPpoApaAndAihfResumeBitForBit) {
  TANDEM_SKIP_WITHOUT_TEXT();
  for (const char* algorithm : {"ppo", "apa", "aihf"}) {
    expect_resumes_bit_for_bit(
        [algorithm](const std::string& d) {
          RunRequest r = sort_run(d, algorithm);
          if (std::string(algorithm) == "aihf")
            r.set.insert(r.set.end(), {"pairs=64", "heldout_pairs=32", "demonstrations=16",
                                       "best_of=2", "rounds=2"});
          return r;
        },
        std::string("sort_") + algorithm, {300, 600, 900});
  }
}

// The offline learners on text/sort, killed at three points — mid-interval (their partial
// sums come back), at an evaluation, and (aihf_dpo, two self-play rounds) on the round's
// boundary and inside the second round, whose π_ref and y' come back — resume bit for bit.
TEST(Resume, OfflineLearnersKilledAtThreePointsResumeBitForBit) {
  TANDEM_SKIP_WITHOUT_TEXT();
  struct Case {
    const char* algorithm;
    int64_t steps;
    std::vector<std::string> set;
    std::vector<int64_t> points;
  };
  const std::vector<Case> cases = {
      {"reward_model", 256, {"pairs=64", "heldout_pairs=32"}, {40, 128, 200}},
      {"dpo", 256, {"pairs=64", "heldout_pairs=32"}, {40, 128, 200}},
      {"sft", 96, {"demonstrations=16", "best_of=2"}, {20, 48, 80}},
      {"aihf_dpo",
       256,
       {"pairs=64", "heldout_pairs=32", "demonstrations=16", "best_of=2", "rounds=2",
        "self_play=true"},
       {40, 128, 200}}};
  for (const Case& c : cases) {
    std::string keep = "keep_checkpoints=[";
    for (int64_t p : c.points) keep += (keep.back() == '[' ? "" : ",") + std::to_string(p);
    expect_resumes_bit_for_bit(
        [&](const std::string& d) {
          RunRequest r = sort_run(d, c.algorithm);
          r.steps = c.steps;
          r.eval_interval = c.steps / 4;
          r.set = c.set;
          r.set.push_back(keep + "]");
          return r;
        },
        std::string("sort_") + c.algorithm, c.points, /*moving=*/nullptr);
  }
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

// AIHF: the reward model and its optimizer's moments, and the round, come back too; the kill
// points fall inside rounds and on a round's boundary (4 rounds over 8192 steps).
TEST(Resume, AihfKilledAtThreePointsResumesBitForBit) {
  expect_resumes_bit_for_bit(
      [](const std::string& d) {
        RunRequest r = pendulum(d, "aihf");
        r.set.insert(r.set.end(),
                     {"pairs=64", "heldout_pairs=32", "demonstrations=8", "best_of=4", "rounds=4"});
        return r;
      },
      "pendulum_aihf", {2048, 4096, 6144});
}

// Ctrl-C in `tandem train` (args: everything but --out): the run writes a checkpoint, exits
// non-zero saying how to continue, and `--resume` finishes it with the uninterrupted run's
// numbers. `total`: the run's --steps.
void expect_ctrl_c_resumes(const std::string& name, const std::string& args, int64_t total) {
  const std::string dir = (fs::temp_directory_path() / ("tandem_ctrl_c_" + name)).string();
  const std::string whole = dir + "_whole";
  fs::remove_all(dir);
  fs::remove_all(whole);
  const std::string binary = std::string(TANDEM_BINARY_DIR) + "/tandem";
  const std::string command = binary + " train " + args + " --quiet --out ";
  // SIGINT once the first evaluation line is written (the run is under way, however loaded the
  // machine), as a terminal's Ctrl-C would
  const std::string script = command + dir + " & p=$!; while [ ! -s " + dir +
                             "/metrics.jsonl ]; do sleep 0.02; done; kill -INT $p; wait $p; "
                             "echo \"exit=$?\"";
  const tandem::testing::Output out = tandem::testing::run_tandem_shell(script);
  EXPECT_NE(out.text.find("exit=130"), std::string::npos) << name << ": " << out.text;
  EXPECT_NE(out.text.find("--resume"), std::string::npos) << name << ": " << out.text;
  EXPECT_TRUE(fs::exists(dir + "/checkpoint.pt")) << name << ": " << out.text;
  EXPECT_FALSE(fs::exists(dir + "/done")) << name;
  const auto cut = algorithms::read_metrics(dir + "/metrics.jsonl");
  ASSERT_FALSE(cut.empty()) << name;
  EXPECT_LT(cut.back()["env_steps"].get<int64_t>(), total) << name << ": interrupted part-way";

  const tandem::testing::Output resumed =
      tandem::testing::run_tandem_shell(command + dir + " --resume");
  ASSERT_EQ(resumed.status, 0) << name << ": " << resumed.text;
  const tandem::testing::Output plain = tandem::testing::run_tandem_shell(command + whole);
  ASSERT_EQ(plain.status, 0) << name << ": " << plain.text;
  const auto a = algorithms::read_metrics(dir + "/metrics.jsonl");
  const auto b = algorithms::read_metrics(whole + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size()) << name;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(numbers(a[i]), numbers(b[i])) << name << ", line " << i;
  fs::remove_all(dir);
  fs::remove_all(whole);
}

TEST(Resume, CtrlCWritesACheckpointAndSaysHowToResume) {
  expect_ctrl_c_resumes("ppo",
                        "--env InvertedPendulum-v5 --algo ppo --seed 3 --steps 16384 "
                        "--eval-interval 2048 --eval-episodes 2 --set steps_per_env=512 "
                        "--set minibatches=4",
                        16384);
}

// An offline learner stops after the minibatch under way (between two evaluations: its partial
// sums go into the checkpoint too).
TEST(Resume, CtrlCStopsAnOfflineLearnerBetweenMinibatches) {
  TANDEM_SKIP_WITHOUT_TEXT();
  expect_ctrl_c_resumes("dpo",
                        "--env text/sort --algo dpo --seed 2 --steps 2048 --eval-interval 256 "
                        "--eval-episodes 8 --set pairs=128 --set heldout_pairs=32",
                        2048);
}

}  // namespace
}  // namespace tandem::suites
