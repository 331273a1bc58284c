// The local executor: one `tandem train` worker process per run, `jobs` at a time. Workers stay
// in the runner's process group and get SIGTERM when the runner dies, so Ctrl-C or killing the
// group stops everything.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "suites/executor.h"

namespace tandem::suites {
namespace {

class LocalExecutor : public Executor {
 public:
  explicit LocalExecutor(int64_t jobs) : jobs_(jobs) {}

  int64_t capacity() const override { return jobs_; }

  int64_t start(const RunCommand& run) override {
    std::vector<std::string> argv = run.argv;
    if (run.resume) argv.push_back("--resume");
    SpawnOptions options;
    options.log_path = run.dir + "/log.txt";
    options.die_with_parent = true;
    const pid_t pid = spawn_process(argv, options);
    pids_[next_] = pid;
    return next_++;
  }

  bool ended(int64_t handle, ExitStatus* status) override {
    auto it = pids_.find(handle);
    if (it == pids_.end()) return true;
    if (!wait_process(it->second, /*block=*/false, status)) return false;
    pids_.erase(it);
    return true;
  }

  void stop_all(double grace) override {
    // the workers got the terminal's SIGINT too; SIGTERM reaches them in every other case
    for (const auto& [handle, pid] : pids_) ::kill(pid, SIGTERM);
    // a worker writes its checkpoint at the next iteration; one inside a long step that does not
    // look at the signal (a reward model's fit, a cache build) gets a second SIGTERM after the
    // grace period, which ends it as usual: it resumes from its last checkpoint
    const auto asked = std::chrono::steady_clock::now();
    bool repeated = false;
    while (!pids_.empty()) {
      for (auto it = pids_.begin(); it != pids_.end();) {
        ExitStatus ignored;
        it = wait_process(it->second, /*block=*/false, &ignored) ? pids_.erase(it) : std::next(it);
      }
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
      if (!repeated && waited > grace) {
        for (const auto& [handle, pid] : pids_) ::kill(pid, SIGTERM);
        repeated = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  int64_t jobs_;
  int64_t next_ = 0;
  std::map<int64_t, pid_t> pids_;
};

}  // namespace

std::unique_ptr<Executor> make_local_executor(int64_t jobs) {
  return std::make_unique<LocalExecutor>(jobs);
}

}  // namespace tandem::suites
