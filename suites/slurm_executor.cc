// The Slurm executor: a suite's unfinished runs as the tasks of one job array (sbatch), followed
// with squeue. Everything lives in the suite folder, which must be on a filesystem the compute
// nodes share:
//   slurm/<suite>-<n>.sh   the generated batch script, kept (read it, or submit it by hand);
//   slurm/arrays.jsonl     one line per submitted array: its job id and each task's run folder,
//                          so that a later `tandem run --resume` follows tasks still queued or
//                          running instead of starting them twice;
//   slurm/<job>_<task>.out Slurm's own output of each task (its cancel and time-limit notices);
//   <run>/slurm_exit_status the `tandem train` exit status, written by the task's script.
// Why the task's script, not sbatch's exit codes: without Slurm's accounting daemon there is no
// record of an ended task (sacct needs slurmdbd), and a cancelled or timed-out task reports exit
// code 0 — only the script knows what `tandem train` returned.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "envs/config.h"
#include "envs/error.h"
#include "suites/executor.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A Slurm command's output, or an error naming the command and what it printed.
std::string slurm(const std::vector<std::string>& argv) {
  std::string out;
  const ExitStatus status = capture_process(argv, &out);
  if (!status.ok())
    throw Error("`" + shell_quote(argv) + "` failed (" + status.describe() + "): " + out);
  return out;
}

// One word for bash, quoted where it needs to be.
std::string quoted(const std::string& s) { return shell_quote({s}); }

class SlurmExecutor : public Executor {
 public:
  SlurmExecutor(SlurmOptions options, std::string suite_dir, std::string suite_name,
                int64_t threads)
      : options_(std::move(options)),
        suite_dir_(fs::absolute(suite_dir).lexically_normal().string()),
        slurm_dir_(suite_dir_ + "/slurm"),
        suite_name_(std::move(suite_name)) {
    for (const char* program : {"sbatch", "squeue", "scancel"})
      if (!on_path(program))
        throw Error(std::string("--executor slurm: `") + program +
                    "` is not on PATH: Slurm's client commands are not installed here (Debian: "
                    "apt-get install slurm-client; on a cluster, run from a login node)");
    if (options_.cpus_per_run <= 0) options_.cpus_per_run = threads;
    load_record();
  }

  // every run is submitted at once: Slurm schedules them
  int64_t capacity() const override { return 1 << 30; }

  int64_t parallel() const override {
    // the cluster's CPUs over each run's, under the array's throttle: a guess for the ETA
    int64_t cpus = 0;
    try {
      std::string out = slurm({"sinfo", "-h", "-o", "%C"});  // allocated/idle/other/total
      cpus = std::stoll(out.substr(out.rfind('/') + 1));
    } catch (const std::exception&) {
      cpus = 1;
    }
    int64_t n = std::max<int64_t>(1, cpus / (options_.cpus_per_run * options_.tasks_per_run));
    if (options_.max_running > 0) n = std::min(n, options_.max_running);
    return n;
  }

  std::optional<int64_t> in_flight(const std::string& key) override {
    const std::string dir = suite_dir_ + "/" + key;
    for (auto& [handle, task] : tasks_)
      if (task.dir == dir && !task.job.empty() && active(task)) return handle;
    return std::nullopt;
  }

  int64_t start(const RunCommand& run) override {
    Task task;
    task.dir = fs::absolute(run.dir).lexically_normal().string();
    task.command = run.argv;
    tasks_[next_] = task;
    queued_.push_back(next_);
    return next_++;
  }

  void submit() override {
    if (queued_.empty()) return;
    fs::create_directories(slurm_dir_);
    int n = 1;
    std::string script;
    do script = slurm_dir_ + "/" + suite_name_ + "-" + std::to_string(n++) + ".sh";
    while (fs::exists(script));  // earlier scripts are kept as they were
    write_file_atomic(script, batch_script());
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_read, fs::perm_options::add);
    std::vector<std::string> argv = {"sbatch", "--parsable"};
    argv.insert(argv.end(), options_.sbatch_args.begin(), options_.sbatch_args.end());
    argv.push_back(script);
    std::string out = slurm(argv);
    const std::string job = out.substr(0, out.find_first_of(";\n"));
    if (job.empty() || job.find_first_not_of("0123456789") != std::string::npos)
      throw Error("sbatch " + script + " printed no job id: " + out);
    json line = {{"job", job}, {"script", script}, {"dirs", json::array()}};
    for (size_t i = 0; i < queued_.size(); ++i) {
      Task& task = tasks_[queued_[i]];
      task.job = job;
      task.index = static_cast<int64_t>(i);
      line["dirs"].push_back(task.dir);
    }
    std::ofstream(slurm_dir_ + "/arrays.jsonl", std::ios::app) << line.dump() << "\n";
    std::printf("slurm: submitted job array %s (%zu runs): %s\n", job.c_str(), queued_.size(),
                script.c_str());
    std::fflush(stdout);
    queued_.clear();
    last_poll_ = -1;
    if (!options_.wait) {
      std::printf(
          "slurm: not waiting (--no-wait). Follow it and write the report with the same `tandem "
          "run` and --resume (tasks still in Slurm are followed, not started again); `squeue "
          "-j %s` lists them, `scancel %s` stops them\n",
          job.c_str(), job.c_str());
      std::fflush(stdout);
    }
  }

  bool ended(int64_t handle, ExitStatus* status) override {
    auto it = tasks_.find(handle);
    if (it == tasks_.end()) return true;
    Task& task = it->second;
    if (task.job.empty()) return false;  // not submitted yet
    if (active(task)) return false;
    *status = outcome(task);
    return true;
  }

  void stop_all(double grace) override {
    std::set<std::string> jobs;
    for (auto& [handle, task] : tasks_)
      if (!task.job.empty() && active(task)) jobs.insert(task.job);
    // pending tasks are removed; running ones get SIGTERM (every process of the task: `tandem
    // train` finishes its iteration and writes its checkpoint), as the local runner does
    for (const auto& job : jobs) {
      capture_quietly({"scancel", "--state=PENDING", job});
      capture_quietly({"scancel", "--signal=TERM", "--full", job});
    }
    const double asked = now_seconds();
    bool repeated = false;
    while (!jobs.empty() && now_seconds() - asked < grace + 60) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      last_poll_ = -1;
      for (auto j = jobs.begin(); j != jobs.end();) {
        refresh();
        j = states_[*j].empty() ? jobs.erase(j) : std::next(j);
      }
      if (!repeated && now_seconds() - asked > grace) {
        for (const auto& job : jobs) capture_quietly({"scancel", "--signal=TERM", "--full", job});
        repeated = true;
      }
    }
    if (!jobs.empty())
      std::printf("slurm: tasks of job %s are still stopping; `squeue -j %s` shows them\n",
                  jobs.begin()->c_str(), jobs.begin()->c_str());
  }

 private:
  struct Task {
    std::string dir;
    std::vector<std::string> command;
    std::string job;  // "" until submitted
    int64_t index = -1;
  };

  static void capture_quietly(const std::vector<std::string>& argv) {
    std::string ignored;
    capture_process(argv, &ignored);
  }

  // Tasks of earlier arrays (slurm/arrays.jsonl), followed where Slurm still has them.
  void load_record() {
    std::ifstream in(slurm_dir_ + "/arrays.jsonl");
    std::string text;
    std::map<std::string, int64_t> newest;  // a run folder's latest task
    while (std::getline(in, text)) {
      const json line = parse_json_or_discarded(text);
      if (!line.is_object() || !line.contains("job") || !line.contains("dirs")) continue;
      const json& dirs = line["dirs"];
      for (size_t i = 0; i < dirs.size(); ++i) {
        if (!dirs[i].is_string()) continue;
        Task task;
        task.dir = dirs[i].get<std::string>();
        task.job = line["job"].get<std::string>();
        task.index = static_cast<int64_t>(i);
        if (auto old = newest.find(task.dir); old != newest.end()) tasks_.erase(old->second);
        newest[task.dir] = next_;
        tasks_[next_++] = task;
      }
    }
  }

  // squeue's view of every job this executor knows, at most every poll_seconds
  void refresh() {
    if (last_poll_ >= 0 && now_seconds() - last_poll_ < options_.poll_seconds) return;
    last_poll_ = now_seconds();
    std::set<std::string> jobs;
    for (const auto& [handle, task] : tasks_)
      if (!task.job.empty()) jobs.insert(task.job);
    for (const auto& job : jobs) {
      std::string out;
      // -r: one line per array task; an id Slurm has forgotten fails, and means none in flight
      const ExitStatus s = capture_process({"squeue", "-h", "-r", "-j", job, "-o", "%K|%T"}, &out);
      auto& state = states_[job];
      state.clear();
      if (!s.ok()) continue;
      std::stringstream lines(out);
      std::string l;
      while (std::getline(lines, l)) {
        const size_t bar = l.find('|');
        if (bar == std::string::npos) continue;
        const std::string st = l.substr(bar + 1);
        // ended tasks linger in squeue for a while in these states
        if (st == "COMPLETED" || st == "FAILED" || st == "CANCELLED" || st == "TIMEOUT" ||
            st == "OUT_OF_MEMORY" || st == "NODE_FAIL" || st == "PREEMPTED" || st == "BOOT_FAIL" ||
            st == "DEADLINE")
          continue;
        try {
          state[std::stoll(l.substr(0, bar))] = st;
        } catch (const std::exception&) {
        }
      }
    }
  }

  bool active(const Task& task) {
    refresh();
    return states_[task.job].count(task.index) > 0;
  }

  // How an ended task ended: the script's record of `tandem train`'s exit status, and Slurm's
  // notice in the task's output where Slurm ended it.
  ExitStatus outcome(const Task& task) const {
    ExitStatus status;
    const std::string out_file =
        slurm_dir_ + "/" + task.job + "_" + std::to_string(task.index) + ".out";
    const std::string notice = read_text(out_file);
    if (notice.find("DUE TO TIME LIMIT") != std::string::npos)
      status.reason = "hit its Slurm time limit";
    else if (notice.find("DUE TO PREEMPTION") != std::string::npos)
      status.reason = "preempted by Slurm";
    else if (notice.find("CANCELLED") != std::string::npos)
      status.reason = "cancelled in Slurm";
    else if (notice.find("DUE TO NODE FAILURE") != std::string::npos)
      status.reason = "its node failed";
    const std::string recorded = read_text(task.dir + "/slurm_exit_status");
    try {
      status.exited = true;
      status.code = std::stoi(recorded);
    } catch (const std::exception&) {
      // no exit status: Slurm removed it before it started, or killed it outright
      status.exited = true;
      status.code = -1;
      if (status.reason.empty())
        status.reason = fs::exists(out_file) ? "ended in Slurm without an exit status"
                                             : "ended in Slurm before it started";
    }
    if (status.code == 130 && status.reason.empty())
      status.reason = "stopped by SIGTERM after writing its checkpoint";
    if (!status.reason.empty()) status.reason += " (Slurm output: " + out_file + ")";
    return status;
  }

  std::string batch_script() const {
    std::ostringstream s;
    const std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
    s << "#!/bin/bash\n"
      << "# tandem suite " << suite_name_ << ": " << queued_.size()
      << " runs as one Slurm job array, written by `tandem run --executor slurm` on " << when
      << ".\n"
      << "# Each task runs one run's `tandem train` command into its run folder:\n"
      << "#  - a run with `done` is finished: the task ends at once (a run is never computed "
         "twice);\n"
      << "#  - a run with a checkpoint continues from it (--resume); any other starts afresh in "
         "its folder;\n"
      << "#  - the run's output goes to its log.txt, the command's exit status to "
         "slurm_exit_status.\n"
      << "# Submit it by hand with `sbatch` (paths are absolute); the same `tandem run` with "
         "--resume follows\n"
      << "# the tasks and writes the report.\n"
      << "#SBATCH --job-name=tandem-" << suite_name_ << "\n"
      << "#SBATCH --array=0-" << queued_.size() - 1
      << (options_.max_running > 0 ? "%" + std::to_string(options_.max_running) : "") << "\n"
      << "#SBATCH --cpus-per-task=" << options_.cpus_per_run << "\n"
      << (options_.tasks_per_run > 1
              ? "#SBATCH --ntasks=" + std::to_string(options_.tasks_per_run) + "\n"
              : "")
      << "#SBATCH --output=" << slurm_dir_ << "/%A_%a.out\n";
    if (!options_.partition.empty()) s << "#SBATCH --partition=" << options_.partition << "\n";
    if (!options_.time_limit.empty()) s << "#SBATCH --time=" << options_.time_limit << "\n";
    s << "set -u\ndirs=(\n";
    for (int64_t h : queued_) s << "  " << quoted(tasks_.at(h).dir) << "\n";
    s << ")\ncommands=(\n";
    for (int64_t h : queued_) s << "  " << quoted(shell_quote(tasks_.at(h).command)) << "\n";
    s << ")\n"
      << "i=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}\n"
      << "dir=${dirs[$i]}\n"
      << "[ -e \"$dir/done\" ] && { echo \"tandem: $dir is finished\"; exit 0; }\n"
      << "mkdir -p \"$dir\"\n"
      << "resume=\n"
      << "if [ -f \"$dir/checkpoint.pt\" ] && [ -f \"$dir/config.json\" ]; then\n"
      << "  resume=--resume\n"
      << "else  # an attempt without a checkpoint starts over (its request and log stay)\n"
      << "  find \"$dir\" -maxdepth 1 -type f ! -name request.json ! -name log.txt -delete\n"
      << "fi\n"
      << "rm -f \"$dir/slurm_exit_status\"\n"
      << "echo \"# slurm: task ${SLURM_ARRAY_JOB_ID}_$i on $(hostname) at $(date) "
         "$resume\" >>\"$dir/log.txt\"\n"
      << "# Slurm's SIGTERM (scancel, a time limit) reaches every process of the task: tandem\n"
      << "# finishes its iteration and writes a checkpoint, and this shell waits for it\n"
      << "trap ':' TERM INT\n"
      << "# exec: the background job is tandem itself, not a subshell that SIGTERM would end\n"
      << "eval \"exec " << launcher() << "${commands[$i]} $resume\" >>\"$dir/log.txt\" 2>&1 &\n"
      << "child=$!\n"
      << "while :; do\n"
      << "  wait \"$child\"; rc=$?\n"
      << "  kill -0 \"$child\" 2>/dev/null || break\n"
      << "done\n"
      << "# a wait cut short by the trap returned 143: bash remembers the real status\n"
      << "wait \"$child\" 2>/dev/null; last=$?\n"
      << "[ \"$last\" -ne 127 ] && rc=$last\n"
      << "echo \"$rc\" >\"$dir/slurm_exit_status\"\n"
      << "exit \"$rc\"\n";
    return s.str();
  }

  // A data-parallel run's processes: one srun step of the task's tasks (ranks from
  // SLURM_PROCID, rank 0 on the step's first node; a failed rank ends the step).
  std::string launcher() const {
    if (options_.tasks_per_run <= 1) return "";
    return "srun --ntasks=" + std::to_string(options_.tasks_per_run) +
           " --cpus-per-task=" + std::to_string(options_.cpus_per_run) + " --kill-on-bad-exit=1 ";
  }

  SlurmOptions options_;
  std::string suite_dir_, slurm_dir_, suite_name_;
  std::map<int64_t, Task> tasks_;
  std::vector<int64_t> queued_;
  int64_t next_ = 0;
  std::map<std::string, std::map<int64_t, std::string>> states_;  // job → task → state
  double last_poll_ = -1;
};

}  // namespace

std::unique_ptr<Executor> make_slurm_executor(const SlurmOptions& options,
                                              const std::string& suite_dir,
                                              const std::string& suite_name, int64_t threads) {
  return std::make_unique<SlurmExecutor>(options, suite_dir, suite_name, threads);
}

}  // namespace tandem::suites
