// The suite runner end to end, through the `tandem` executable as a user runs it: the smoke
// suite, --resume, a killed suite resumed to the same numbers, a failing run, --only.
#include "suites/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "algorithms/metrics.h"
#include "envs/cache_build.h"
#include "envs/config.h"
#include "suites/suite.h"
#include "tests/suites/run_tandem.h"

namespace {
namespace fs = std::filesystem;
using tandem::json;

const std::string kTandem = std::string(TANDEM_BINARY_DIR) + "/tandem";

using tandem::testing::Output;
Output run(const std::string& args) { return tandem::testing::run_tandem(args); }

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("tandem_runner_test_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string smoke_suite() {
  return (fs::path(TANDEM_TEST_DATA).parent_path().parent_path() / "suites" / "smoke.json")
      .string();
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Run folders (relative key → path) under a suite's results folder.
std::map<std::string, fs::path> run_dirs(const fs::path& suite_dir) {
  std::map<std::string, fs::path> out;
  if (!fs::exists(suite_dir)) return out;
  try {
    for (const auto& e : fs::recursive_directory_iterator(suite_dir)) {
      if (e.is_directory() && e.path().filename().string().rfind("seed-", 0) == 0)
        out[fs::relative(e.path(), suite_dir).string()] = e.path();
    }
  } catch (const fs::filesystem_error&) {
    // a file renamed away mid-listing by a running suite: what was seen so far will do
  }
  return out;
}

size_t metric_lines(const fs::path& run_dir) {
  std::ifstream in(run_dir / "metrics.jsonl");
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

// The report's tables of one metric: every line of the section that is a table row.
std::string metric_tables(const fs::path& report_md) {
  std::ifstream in(report_md);
  std::string out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) inside = line.find("eval/return_mean") != std::string::npos;
    if (inside && line.rfind("|", 0) == 0) out += line + "\n";
  }
  return out;
}

// One test, in three steps, because ctest runs every test in a process of its own: the smoke
// suite (the costly part) runs once without interruption, and the later steps compare to it.

// Step 1: the whole smoke suite, its run folders and its report.
void check_whole_run(const Output& first, double seconds, const fs::path& suite_dir) {
  ASSERT_EQ(first.status, 0) << first.text;
  std::printf("smoke suite: 8 runs on --jobs 2 in %.1f s\n", seconds);
  // a line per finished run (stdout is not a terminal here), then the report's path
  EXPECT_NE(first.text.find("done"), std::string::npos) << first.text;
  EXPECT_NE(first.text.find("report: "), std::string::npos) << first.text;
  auto runs = run_dirs(suite_dir);
  ASSERT_EQ(runs.size(), 8u);
  for (const auto& [key, dir] : runs) {
    for (const char* f : {"config.json", "metrics.jsonl", "checkpoint.pt", "done", "log.txt"})
      EXPECT_TRUE(fs::exists(dir / f)) << key << " lacks " << f;
    EXPECT_GE(metric_lines(dir), 5u) << key << ": evaluations at 0, 1024, ..., 4096 steps";
  }
  const json config =
      tandem::read_json_file((suite_dir / "Hopper-v5/ppo_lr=0.001/seed-2/config.json").string());
  EXPECT_EQ(config["algorithm"]["config"]["learning_rate"], 0.001);
  EXPECT_EQ(config["seed"], 2);
  EXPECT_EQ(config["steps"], 4096);
  const json suite = tandem::read_json_file((suite_dir / "suite.json").string());
  EXPECT_EQ(suite["runs"], 8);

  const std::string md = read_text(suite_dir / "report.md");
  for (const char* label : {"ppo", "ppo_lr=0.001"}) {
    const std::string plain = std::string("| ") + label + " |",
                      bold = std::string("| **") + label + "** |";
    EXPECT_TRUE(md.find(plain) != std::string::npos || md.find(bold) != std::string::npos)
        << "no table row for " << label << " in\n"
        << md;
  }
  for (const char* text : {"InvertedPendulum-v5", "Hopper-v5", "Aggregate", "P(X > ppo)", "IQM",
                           "figures/Hopper-v5__eval_return_mean.png"})
    EXPECT_NE(md.find(text), std::string::npos) << text;
  const std::string html = read_text(suite_dir / "report.html");
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos) << "figures are inlined";
  EXPECT_EQ(html.find("src=\"figures/"), std::string::npos) << "the page is self-contained";
}

// Step 2: a second run without --resume refuses; with --resume it recomputes nothing.
void check_refusal_and_resume(const fs::path& results, const fs::path& suite_dir) {
  std::map<std::string, fs::file_time_type> before;
  for (const auto& [key, dir] : run_dirs(suite_dir))
    before[key] = fs::last_write_time(dir / "metrics.jsonl");

  Output again = run("run " + smoke_suite() + " --results " + results.string());
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.text.find("--resume"), std::string::npos) << again.text;
  EXPECT_NE(again.text.find("8 finished runs"), std::string::npos) << again.text;

  Output resumed = run("run " + smoke_suite() + " --resume --results " + results.string());
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("0 finished now, 8 finished earlier"), std::string::npos)
      << resumed.text;
  for (const auto& [key, dir] : run_dirs(suite_dir))
    EXPECT_EQ(fs::last_write_time(dir / "metrics.jsonl"), before[key]) << key << " recomputed";
  EXPECT_TRUE(fs::exists(suite_dir / "report.html"));
}

// Step 3: a suite killed with a run finished and another part-way, then resumed, ends with the
// numbers of the uninterrupted suite.
void check_kill_and_resume(const fs::path& suite_dir) {
  const fs::path results = fresh_dir("killed");
  const fs::path killed_dir = results / "smoke";
  const std::string log = (results / "runner.log").string();

  // the runner in its own process group, as a shell job would be; the child makes only system
  // calls before exec
  const std::string suite_file = smoke_suite();
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(log_fd, 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execl(kTandem.c_str(), kTandem.c_str(), "run", suite_file.c_str(), "--jobs", "2", "--results",
            results.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(log_fd);
  ::setpgid(pid, pid);

  // kill it once a run has finished and another is part-way (metrics, no done)
  std::map<std::string, fs::file_time_type> done_before_kill;
  bool killed = false;
  // no deadline of its own: a loaded machine only makes the moment come later (ctest's
  // timeout still bounds the test); the loop ends when the runner does
  int status = 0;
  bool runner_ended = false;
  while (!killed && !runner_ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    runner_ended = ::waitpid(pid, &status, WNOHANG) == pid;
    auto runs = run_dirs(killed_dir);
    int finished = 0, part_way = 0;
    for (const auto& [key, dir] : runs) {
      if (fs::exists(dir / "done")) {
        ++finished;
      } else if (metric_lines(dir) >= 2) {
        ++part_way;
      }
    }
    if (finished >= 1 && part_way >= 1) {
      ::kill(-pid, SIGKILL);
      killed = true;
      for (const auto& [key, dir] : runs)
        if (fs::exists(dir / "done"))
          done_before_kill[key] = fs::last_write_time(dir / "metrics.jsonl");
    }
  }
  if (!runner_ended) ::waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "no moment with a finished and a part-way run:\n" << read_text(log);
  ASSERT_FALSE(done_before_kill.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the workers' SIGTERM
  int unfinished = 0;
  std::set<std::string> checkpointed;  // unfinished, with a checkpoint to continue from
  for (const auto& [key, dir] : run_dirs(killed_dir)) {
    unfinished += !fs::exists(dir / "done");
    if (!fs::exists(dir / "done") && fs::exists(dir / "checkpoint.pt")) checkpointed.insert(key);
  }
  EXPECT_GE(unfinished, 1);
  std::printf("killed with %d runs unfinished, %zu of them with a checkpoint\n", unfinished,
              checkpointed.size());

  Output resumed = run("run " + smoke_suite() + " --resume --jobs 2 --results " + results.string());
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  auto runs = run_dirs(killed_dir);
  ASSERT_EQ(runs.size(), 8u);
  for (const auto& [key, dir] : runs) {
    ASSERT_TRUE(fs::exists(dir / "done")) << key;
    if (done_before_kill.count(key)) {
      EXPECT_EQ(fs::last_write_time(dir / "metrics.jsonl"), done_before_kill[key])
          << key << " finished before the kill and was recomputed";
    }
    // every run's metrics: each evaluation once, in order, to the end of the budget
    std::vector<int64_t> steps;
    for (const auto& line : tandem::algorithms::read_metrics((dir / "metrics.jsonl").string()))
      steps.push_back(line["env_steps"].get<int64_t>());
    EXPECT_EQ(steps, (std::vector<int64_t>{0, 1024, 2048, 3072, 4096})) << key;
    if (checkpointed.count(key)) {
      EXPECT_NE(read_text(dir / "log.txt").find("resumed from its checkpoint"), std::string::npos)
          << key << " had a checkpoint and started over";
    }
  }
  // every run — finished before the kill, restarted from scratch, or continued from its
  // checkpoint with its episodes in flight — is the uninterrupted suite's, number for number
  for (const auto& [key, dir] : runs) {
    auto a = tandem::algorithms::read_metrics((killed_dir / key / "metrics.jsonl").string());
    auto b = tandem::algorithms::read_metrics((suite_dir / key / "metrics.jsonl").string());
    ASSERT_EQ(a.size(), b.size()) << key;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i]["env_steps"], b[i]["env_steps"]) << key;
      EXPECT_EQ(a[i]["eval/return_mean"], b[i]["eval/return_mean"]) << key << " line " << i;
      EXPECT_EQ(a[i]["losses/approx_kl"], b[i]["losses/approx_kl"]) << key << " line " << i;
    }
  }
  EXPECT_FALSE(metric_tables(killed_dir / "report.md").empty());
  EXPECT_EQ(metric_tables(killed_dir / "report.md"), metric_tables(suite_dir / "report.md"));
  fs::remove_all(results);
}

TEST(Runner, SmokeSuiteRunsResumesAndSurvivesAKill) {
  const fs::path results = fresh_dir("whole");
  const auto t0 = std::chrono::steady_clock::now();
  const Output first = run("run " + smoke_suite() + " --jobs 2 --results " + results.string());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const fs::path suite_dir = results / "smoke";
  ASSERT_NO_FATAL_FAILURE(check_whole_run(first, seconds, suite_dir));
  ASSERT_NO_FATAL_FAILURE(check_refusal_and_resume(results, suite_dir));
  ASSERT_NO_FATAL_FAILURE(check_kill_and_resume(suite_dir));
  fs::remove_all(results);
}

// A tiny suite of its own: one task, two seeds, 1024 steps.
fs::path tiny_suite(const fs::path& dir) {
  const fs::path file = dir / "tiny.json";
  std::ofstream(file) << R"({
    "tasks": [{"env": "InvertedPendulum-v5"}],
    "algorithms": [{"name": "ppo", "config": {"steps_per_env": 256, "minibatches": 4,
                                              "epochs": 2},
                    "policy": {"hidden": [8]}}],
    "seeds": 2, "steps": 1024, "eval": {"interval": 512, "episodes": 1}
  })";
  return file;
}

// Two workers, no display, results under dir, each run through `wrapper` (a script written
// there, made executable here) instead of `tandem`.
tandem::suites::RunnerOptions quiet_options_with_worker(const fs::path& dir,
                                                        const fs::path& wrapper) {
  fs::permissions(wrapper, fs::perms::owner_all);
  tandem::suites::RunnerOptions options;
  options.results_dir = (dir / "results").string();
  options.worker_binary = wrapper.string();
  options.jobs = 2;
  options.display = tandem::suites::RunnerOptions::Display::kQuiet;
  return options;
}

TEST(Runner, AFailingRunIsReportedWithItsLogAndTheOthersGoOn) {
  const fs::path dir = fresh_dir("failing");
  // a worker that fails for seed 2 and is `tandem` otherwise
  const fs::path wrapper = dir / "worker.sh";
  std::ofstream(wrapper) << "#!/bin/sh\ncase \" $* \" in *\" --seed 2 \"*) echo 'boom: simulated "
                            "failure' >&2; exit 3;; esac\nexec "
                         << kTandem << " \"$@\"\n";
  tandem::suites::RunnerOptions options = quiet_options_with_worker(dir, wrapper);
  options.report_options.resamples = 1000;
  const auto suite = tandem::suites::load_suite(tiny_suite(dir).string());
  const auto outcome = tandem::suites::run_suite(suite, options);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.finished, 1);
  EXPECT_EQ(outcome.failed, 1);
  ASSERT_EQ(outcome.failures.size(), 1u);
  const std::string& f = outcome.failures[0];
  for (const char* text : {"InvertedPendulum-v5/ppo/seed-2", "exit status 3", "boom", "log.txt"})
    EXPECT_NE(f.find(text), std::string::npos) << text << " not in: " << f;
  const fs::path failed_dir = dir / "results/tiny/InvertedPendulum-v5/ppo/seed-2";
  EXPECT_NE(read_text(failed_dir / "log.txt").find("boom"), std::string::npos);
  EXPECT_NE(read_text(failed_dir / "log.txt").find("--seed 2"), std::string::npos)
      << "the log opens with the command";
  // the report is written anyway, listing the failed run as unfinished
  ASSERT_FALSE(outcome.report_markdown.empty()) << outcome.report_error;
  const std::string md = read_text(outcome.report_markdown);
  EXPECT_NE(md.find("InvertedPendulum-v5/ppo/seed-2"), std::string::npos) << md;
  EXPECT_NE(md.find("1 finished runs of 2"), std::string::npos) << md;
  fs::remove_all(dir);
}

// A worker that does not stop at the first SIGTERM (inside a long step that does not look at the
// signal) gets a second one after the grace period, so Ctrl-C never leaves the runner waiting.
TEST(Runner, AWorkerDeafToTheFirstStopIsEndedAfterTheGracePeriod) {
  const fs::path dir = fresh_dir("deaf");
  const fs::path wrapper = dir / "worker.sh";
  std::ofstream(wrapper) << "#!/bin/bash\nn=0\ntrap 'n=$((n+1)); if [ $n -ge 2 ]; then exit 143; "
                            "fi' TERM\nwhile true; do sleep 0.05; done\n";
  tandem::suites::RunnerOptions options = quiet_options_with_worker(dir, wrapper);
  options.stop_grace_seconds = 1;
  const auto suite = tandem::suites::load_suite(tiny_suite(dir).string());
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ::kill(::getpid(), SIGTERM);  // the runner's handler takes it, as from a terminal
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto outcome = tandem::suites::run_suite(suite, options);
  stopper.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_LT(seconds, 30) << "the runner did not wait forever";
  EXPECT_GE(seconds, 3) << "the grace period was given";
  fs::remove_all(dir);
}

// TANDEM_CACHE_DIR set to `cache` for the life of this object, then put back as it was.
class ScopedCacheDir {
 public:
  explicit ScopedCacheDir(const fs::path& cache) {
    const char* before = std::getenv("TANDEM_CACHE_DIR");
    had_ = before != nullptr;
    if (had_) saved_ = before;
    ::setenv("TANDEM_CACHE_DIR", cache.c_str(), 1);
  }
  ~ScopedCacheDir() {
    if (had_)
      ::setenv("TANDEM_CACHE_DIR", saved_.c_str(), 1);
    else
      ::unsetenv("TANDEM_CACHE_DIR");
  }

 private:
  bool had_ = false;
  std::string saved_;
};

// Options for a run of the tiny suite in `dir` that prints plain progress lines every 0.5 s, its
// workers starting `sleep_seconds` late (no report).
tandem::suites::RunnerOptions progress_line_options(const fs::path& dir, int sleep_seconds) {
  const fs::path wrapper = dir / "worker.sh";
  std::ofstream(wrapper) << "#!/bin/sh\nsleep " << sleep_seconds << "\nexec " << kTandem
                         << " \"$@\"\n";
  tandem::suites::RunnerOptions options = quiet_options_with_worker(dir, wrapper);
  options.display = tandem::suites::RunnerOptions::Display::kLines;
  options.progress_interval_seconds = 0.5;
  options.report = false;
  return options;
}

// Not on a terminal (nohup, tee, a Slurm log), the runner printed nothing until a run ended; it
// prints a plain progress line at a fixed interval.
TEST(Runner, WithoutATerminalAProgressLineComesAtAFixedInterval) {
  const fs::path dir = fresh_dir("lines");
  // a slow start: the runs last seconds
  tandem::suites::RunnerOptions options = progress_line_options(dir, 2);
  options.remembered_rates = false;  // "--" until this suite measures something
  const auto suite = tandem::suites::load_suite(tiny_suite(dir).string());
  ::testing::internal::CaptureStdout();
  const auto outcome = tandem::suites::run_suite(suite, options);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(outcome.ok());
  EXPECT_NE(out.find("progress: 0/2 runs ended, 2 running, 0/2.0k steps"), std::string::npos)
      << out;
  EXPECT_NE(out.find("elapsed, ETA --"), std::string::npos) << "nothing measured yet\n" << out;
  fs::remove_all(dir);
}

TEST(Runner, CacheBuildsShowAsTheirOwnLines) {
  // a worker building a base model, an expert or feedback says so in the cache; the suite shows
  // each build as it starts, while it runs and when it ends
  const fs::path dir = fresh_dir("cache_lines");
  const fs::path cache = dir / "cache";
  fs::create_directories(cache / "experts");
  ScopedCacheDir scoped(cache);
  const tandem::suites::RunnerOptions options = progress_line_options(dir, 3);
  const auto suite = tandem::suites::load_suite(tiny_suite(dir).string());
  const fs::path entry = cache / "experts" / "pendulum";
  auto build = std::make_unique<tandem::envs::CacheBuild>(entry.string(), "expert for a test", 1000,
                                                          "env steps");
  build->update(250);
  std::thread builder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    fs::create_directories(entry);
    build.reset();
  });
  ::testing::internal::CaptureStdout();
  const auto outcome = tandem::suites::run_suite(suite, options);
  const std::string out = ::testing::internal::GetCapturedStdout();
  builder.join();
  EXPECT_TRUE(outcome.ok());
  EXPECT_NE(out.find("cache: building expert for a test (a one-off"), std::string::npos) << out;
  EXPECT_NE(out.find("  cache: building expert for a test: 250/1.0k env steps"), std::string::npos)
      << "the progress lines carry it\n"
      << out;
  EXPECT_NE(out.find("cache: expert for a test built after about"), std::string::npos) << out;
  fs::remove_all(dir);
}

// A suite's first runs wait for cache builds and nothing of its own is measured for minutes: the
// rates an earlier suite measured on this machine (the cache folder's eta_rates.json) give an ETA
// from the first progress line, and this suite's finished runs update them.
TEST(Runner, RatesRememberedInTheCacheGiveAnEtaBeforeAnyRunEnds) {
  const fs::path dir = fresh_dir("remembered_rates");
  const fs::path cache = dir / "cache";
  fs::create_directories(cache);
  // one run of this kind took 7200 s for 1024 steps: a made-up rate the ETA must show
  std::ofstream(cache / "eta_rates.json") << R"({"version": 1, "rates": {"InvertedPendulum-v5 ppo":
            {"seconds": 7200, "steps": 1024, "runs": 1, "startup": 0}}})";
  ScopedCacheDir scoped(cache);
  // a slow start: no run has progress at first
  const tandem::suites::RunnerOptions options = progress_line_options(dir, 2);
  const auto suite = tandem::suites::load_suite(tiny_suite(dir).string());
  ::testing::internal::CaptureStdout();
  const auto outcome = tandem::suites::run_suite(suite, options);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(outcome.ok());
  EXPECT_NE(out.find("0/2 runs ended, 2 running, 0/2.0k steps, 0m00s elapsed, ETA 1h59m"),
            std::string::npos)
      << "the remembered rate, before anything of this suite is measured\n"
      << out;
  // the finished runs replaced the made-up rate with their own
  const tandem::json rates = tandem::read_json_file((cache / "eta_rates.json").string());
  const tandem::json& pendulum = rates["rates"]["InvertedPendulum-v5 ppo"];
  EXPECT_EQ(pendulum["runs"], 2) << rates.dump();
  EXPECT_LT(pendulum["seconds"].get<double>(), 600) << rates.dump();
  fs::remove_all(dir);
}

// Contenders of one algorithm under two labels cost differently (the quickstart's RLHF-PPO and
// AIHF are both `aihf`, with 1 and 3 reward-model rounds): each label is its own kind, else the
// cheaper label's rate stood for both and the ETA ran ~30 % low.
TEST(Runner, EachContenderLabelIsItsOwnKindOfRun) {
  const fs::path dir = fresh_dir("label_kinds");
  const fs::path cache = dir / "cache";
  fs::create_directories(cache);
  ScopedCacheDir scoped(cache);
  const fs::path file = dir / "labels.json";
  std::ofstream(file) << R"({
    "tasks": [{"env": "InvertedPendulum-v5"}],
    "algorithms": [{"name": "ppo", "config": {"steps_per_env": 256, "minibatches": 4, "epochs": 1},
                    "policy": {"hidden": [8]}},
                   {"name": "ppo", "label": "ppo_long", "policy": {"hidden": [8]},
                    "config": {"steps_per_env": 256, "minibatches": 4, "epochs": 4}}],
    "seeds": 1, "steps": 512, "eval": {"interval": 512, "episodes": 1}
  })";
  const auto suite = tandem::suites::load_suite(file.string());
  ::testing::internal::CaptureStdout();
  const auto outcome = tandem::suites::run_suite(suite, progress_line_options(dir, 2));
  ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(outcome.ok());
  const tandem::json rates = tandem::read_json_file((cache / "eta_rates.json").string());
  ASSERT_TRUE(rates["rates"].contains("InvertedPendulum-v5 ppo")) << rates.dump();
  ASSERT_TRUE(rates["rates"].contains("InvertedPendulum-v5 ppo ppo_long")) << rates.dump();
  EXPECT_EQ(rates["rates"]["InvertedPendulum-v5 ppo"]["runs"], 1) << rates.dump();
  EXPECT_EQ(rates["rates"]["InvertedPendulum-v5 ppo ppo_long"]["runs"], 1) << rates.dump();
  fs::remove_all(dir);
}

TEST(Runner, OnlySelectsRunsAndBadSuitesFailEarly) {
  const fs::path dir = fresh_dir("only");
  Output only = run("run " + tiny_suite(dir).string() + " --only seed-2 --results " +
                    (dir / "results").string());
  ASSERT_EQ(only.status, 0) << only.text;
  auto runs = run_dirs(dir / "results/tiny");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.begin()->first, "InvertedPendulum-v5/ppo/seed-2");

  Output none = run("run " + tiny_suite(dir).string() + " --only 'Hopper*' --results " +
                    (dir / "results").string());
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.text.find("selects none"), std::string::npos) << none.text;

  std::ofstream(dir / "bad.json") << R"({"tasks": [{"env": "Hopper-v5"}],
                                        "algorithms": [{"name": "ppo"}], "sweeps": {}})";
  Output bad =
      run("run " + (dir / "bad.json").string() + " --results " + (dir / "results").string());
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.text.find("bad.json"), std::string::npos) << bad.text;
  EXPECT_NE(bad.text.find("'sweeps'"), std::string::npos) << bad.text;

  // the report on its own, with a metric no run logs: skipped, not an error
  Output report = run("report " + (dir / "results/tiny").string() +
                      " --metric eval/return_mean --metric eval/gold_reward_mean");
  ASSERT_EQ(report.status, 0) << report.text;
  const std::string md = read_text(dir / "results/tiny/report.md");
  EXPECT_NE(md.find("eval/gold_reward_mean"), std::string::npos);
  EXPECT_NE(md.find("skipped"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
