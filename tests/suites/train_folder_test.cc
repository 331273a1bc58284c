// `tandem train` never deletes or overwrites a run in its --out folder: a start that fails
// (a missing reward model, dataset or start policy, one of another env) leaves the folder as it
// was, and a folder that holds a run — finished, or interrupted with a checkpoint or metrics to
// lose — is refused unless --resume continues it. End to end through the executable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "envs/config.h"
#include "tests/suites/run_tandem.h"

namespace {
namespace fs = std::filesystem;

using tandem::testing::Output;
Output run(const std::string& args) { return tandem::testing::run_tandem(args); }

// A PPO run of a few seconds; its checkpoint at 1024 steps stands for an interrupted attempt's.
const std::string kPendulum =
    "train --env InvertedPendulum-v5 --eval-episodes 2 --quiet --set policy.hidden=[32,32] ";
const std::string kTiny = kPendulum +
                          "--steps 2048 --eval-interval 1024 --set steps_per_env=512 "
                          "--set keep_checkpoints=[1024] ";

fs::path temp(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("tandem_train_folder_test_" + name);
  fs::remove_all(d);
  return d;
}

// Every file under `dir` with its bytes: equal maps are byte-identical folders.
std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    if (entry.is_directory()) {
      out[name + "/"] = "";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    out[name] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

std::string listing(const std::map<std::string, std::string>& files) {
  std::ostringstream s;
  for (const auto& [name, bytes] : files) s << "  " << name << " (" << bytes.size() << " B)\n";
  return s.str();
}

// One finished run, trained once per test process (ctest runs each test in a process of its own,
// several at once: the folder is the process's own); each test works on a copy.
const fs::path& finished_run() {
  static const fs::path dir = [] {
    const fs::path d = temp("finished_" + std::to_string(::getpid()));
    const Output t = run(kTiny + "--out " + d.string());
    EXPECT_EQ(t.status, 0) << t.text;
    return d;
  }();
  return dir;
}

fs::path copy_of_finished(const std::string& name) {
  const fs::path d = temp(name);
  fs::copy(finished_run(), d, fs::copy_options::recursive);
  return d;
}

// The names of the files that differ (added, removed, changed).
std::string differences(const std::map<std::string, std::string>& before,
                        const std::map<std::string, std::string>& after) {
  std::string out;
  for (const auto& [name, bytes] : before) {
    auto it = after.find(name);
    if (it == after.end())
      out += "  removed " + name + "\n";
    else if (it->second != bytes)
      out += "  changed " + name + "\n";
  }
  for (const auto& [name, bytes] : after)
    if (!before.count(name)) out += "  added " + name + "\n";
  return out;
}

#define EXPECT_FOLDER_UNCHANGED(dir, before, output)                              \
  do {                                                                            \
    const auto after_ = contents(dir);                                            \
    EXPECT_TRUE(after_ == (before)) << differences(before, after_) << "before:\n" \
                                    << listing(before) << "after:\n"              \
                                    << listing(after_) << "tandem said:\n"        \
                                    << (output).text;                             \
  } while (0)

TEST(TrainFolder, AFailedStartLeavesAFinishedRunAsItWas) {
  const std::string bad[] = {
      "--set reward_model=" + temp("no_reward_model").string(),
      "--set policy.start_from=" + temp("no_start").string(),
  };
  std::vector<std::string> commands;
  for (const std::string& args : bad) commands.push_back(kTiny + args);
  // an offline learner's preference file (policy_mix start: no expert to train first)
  commands.push_back(kPendulum +
                     "--algo reward_model --steps 16 --set batch_size=8 --set policy_mix=start "
                     "--set heldout_pairs=8 --set dataset=" +
                     temp("no_dataset.jsonl").string());
  for (const std::string& command : commands) {
    for (const char* resume : {"", " --resume"}) {
      SCOPED_TRACE(command + resume);
      const fs::path dir = copy_of_finished("failed_start");
      const auto before = contents(dir);
      ASSERT_TRUE(before.count("done") && before.count("checkpoint.pt")) << listing(before);
      const Output t = run(command + resume + " --out " + dir.string());
      EXPECT_NE(t.status, 0) << t.text;
      EXPECT_FOLDER_UNCHANGED(dir, before, t);
      fs::remove_all(dir);
    }
  }
}

TEST(TrainFolder, RefusesToTrainAgainIntoAFinishedRun) {
  const fs::path dir = copy_of_finished("again");
  const auto before = contents(dir);
  for (const char* resume : {"", "--resume "}) {
    SCOPED_TRACE(resume);
    const Output t = run(kTiny + resume + "--out " + dir.string());
    EXPECT_NE(t.status, 0) << t.text;
    EXPECT_NE(t.text.find("finished"), std::string::npos) << t.text;
    EXPECT_NE(t.text.find("--out"), std::string::npos) << "names a fresh --out: " << t.text;
    EXPECT_NE(t.text.find("--resume"), std::string::npos) << t.text;
    EXPECT_FOLDER_UNCHANGED(dir, before, t);
  }
  fs::remove_all(dir);
}

TEST(TrainFolder, RefusesToDiscardAnInterruptedRunAndResumesIt) {
  // killed after its checkpoint at 1024 steps: no `done`, a checkpoint and metrics to keep
  const fs::path dir = copy_of_finished("interrupted");
  fs::remove(dir / "done");
  fs::copy_file(dir / "checkpoint-1024.pt", dir / "checkpoint.pt",
                fs::copy_options::overwrite_existing);
  const auto before = contents(dir);
  const Output plain = run(kTiny + "--out " + dir.string());
  EXPECT_NE(plain.status, 0) << plain.text;
  EXPECT_NE(plain.text.find("--resume"), std::string::npos) << plain.text;
  EXPECT_NE(plain.text.find("--out"), std::string::npos) << plain.text;
  EXPECT_FOLDER_UNCHANGED(dir, before, plain);

  // nor does a --resume that fails (here: refused, another configuration)
  const Output bad = run(kTiny + "--resume --set reward_model=" + temp("gone").string() +
                         " --out " + dir.string());
  EXPECT_NE(bad.status, 0) << bad.text;
  EXPECT_FOLDER_UNCHANGED(dir, before, bad);

  const Output resumed = run(kTiny + "--resume --out " + dir.string());
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("resumed from its checkpoint"), std::string::npos) << resumed.text;
  EXPECT_TRUE(fs::exists(dir / "done"));
  fs::remove_all(dir);
}

TEST(TrainFolder, ResumeFinishesARunKilledBetweenItsLastCheckpointAndDone) {
  // plain `train` refuses it (a checkpoint to lose), so --resume must be able to finish it
  const fs::path dir = copy_of_finished("killed_before_done");
  const double final_return =
      tandem::read_json_file((dir / "done").string())["final_return_mean"].get<double>();
  fs::remove(dir / "done");
  const Output t = run(kTiny + "--resume --out " + dir.string());
  ASSERT_EQ(t.status, 0) << t.text;
  char expected[64];
  std::snprintf(expected, sizeof(expected), "final evaluation return: %.4g ", final_return);
  EXPECT_NE(t.text.find(expected), std::string::npos)
      << "the last evaluation of its metrics: " << t.text;
  EXPECT_TRUE(fs::exists(dir / "done"));
  fs::remove_all(dir);
}

TEST(TrainFolder, AFailedStartInANewFolderLeavesNothingBehind) {
  // a folder that does not exist stays so; one with other files (the runner's request.json)
  // keeps them and gains nothing
  const fs::path absent = temp("absent") / "nested";
  const Output a =
      run(kTiny + "--set reward_model=" + temp("none").string() + " --out " + absent.string());
  EXPECT_NE(a.status, 0) << a.text;
  EXPECT_FALSE(fs::exists(absent.parent_path())) << listing(contents(absent.parent_path()));

  const fs::path other = temp("other_files");
  fs::create_directories(other);
  std::ofstream(other / "request.json") << "{}\n";
  const auto before = contents(other);
  const Output b =
      run(kTiny + "--set reward_model=" + temp("none").string() + " --out " + other.string());
  EXPECT_NE(b.status, 0) << b.text;
  EXPECT_FOLDER_UNCHANGED(other, before, b);
  fs::remove_all(other);
}

TEST(TrainFolder, ARewardModelOfAnotherEnvIsRefusedBeforeTheFolderIsTouched) {
  // a tiny reward model of InvertedDoublePendulum-v5: 16 pairs of the start policy's segments
  const fs::path rm = temp("double_pendulum_rm");
  const Output r =
      run("train --env InvertedDoublePendulum-v5 --algo reward_model --steps 16 --eval-episodes 1 "
          "--quiet --set pairs=16 --set heldout_pairs=8 --set batch_size=8 --set policy_mix=start "
          "--out " +
          rm.string());
  ASSERT_EQ(r.status, 0) << r.text;

  const fs::path dir = temp("other_env_rm");
  const Output t = run(kTiny + "--set reward_model=" + rm.string() + " --out " + dir.string());
  EXPECT_NE(t.status, 0) << t.text;
  EXPECT_NE(t.text.find(rm.string()), std::string::npos) << "names the reward model: " << t.text;
  EXPECT_FALSE(fs::exists(dir)) << listing(contents(dir));
  fs::remove_all(rm);
}

}  // namespace
