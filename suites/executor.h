// Where a suite's runs execute. The runner (runner.h) decides which runs are unfinished, how each
// starts (fresh or resumed), shows progress from the run folders and writes the report; an
// executor only starts each run's `tandem train` command and says when and how it ended:
//   - local: one worker process per run (fork + exec), `jobs` at a time;
//   - slurm: the runs as the tasks of one Slurm job array (sbatch), followed with squeue. Every
//     task runs the same `tandem train` command the local runner would, into the same run folder
//     (a shared filesystem), so suites, resume and reports do not depend on where runs ran.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "suites/process.h"

namespace tandem::suites {

// One run as the runner hands it over.
struct RunCommand {
  std::string key;                // TASK/LABEL/seed-K
  std::string dir;                // its run folder
  std::vector<std::string> argv;  // `tandem train ... --out dir` (without --resume)
  bool resume = false;            // continue from the folder's checkpoint
};

class Executor {
 public:
  virtual ~Executor() = default;
  // How many runs the runner keeps started at once.
  virtual int64_t capacity() const = 0;
  // How many runs progress at once, for the ETA.
  virtual int64_t parallel() const { return capacity(); }
  // A run still queued or running from an earlier `tandem run` (a Slurm array that outlived its
  // follower): its handle, to be followed instead of started again. Local runs never outlive
  // the runner.
  virtual std::optional<int64_t> in_flight(const std::string& /*key*/) { return std::nullopt; }
  // Starts a run (the local executor), or queues it for submit() (Slurm). Its stdout and stderr
  // are appended to dir/log.txt, which the runner has opened with the command.
  virtual int64_t start(const RunCommand& run) = 0;
  // Sends what start() queued: one Slurm job array. Throws tandem::Error naming the problem.
  virtual void submit() {}
  // Whether the run has ended; its exit status when it has (a Slurm task's reason in words).
  virtual bool ended(int64_t handle, ExitStatus* status) = 0;
  // Asks every run in flight to stop (SIGTERM: each finishes its iteration and writes its
  // checkpoint) and waits; one that ignores it gets a second SIGTERM after `grace` seconds.
  virtual void stop_all(double grace) = 0;
};

std::unique_ptr<Executor> make_local_executor(int64_t jobs);

struct SlurmOptions {
  std::string partition;                 // "": the cluster's default
  std::string time_limit;                // per run, in sbatch's --time format; "": the partition's
  int64_t cpus_per_run = 0;              // 0: the suite's threads (per process)
  int64_t tasks_per_run = 1;             // >1: each run data-parallel, `srun --ntasks N`
  std::vector<std::string> sbatch_args;  // more sbatch arguments, as given
  int64_t max_running = 0;               // the array's throttle (%N); 0: none
  bool wait = true;                      // false: submit, say how to follow, and return
  double poll_seconds = 2;               // squeue at most this often
};

// Throws tandem::Error when Slurm's commands are not installed. `suite_dir` holds the generated
// batch scripts and the Slurm output files (suite_dir/slurm/), and the record of submitted arrays
// that in_flight() reads.
std::unique_ptr<Executor> make_slurm_executor(const SlurmOptions& options,
                                              const std::string& suite_dir,
                                              const std::string& suite_name, int64_t threads);

}  // namespace tandem::suites
