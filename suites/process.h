// Child processes for the suite runner (one `tandem train` per run) and the report (gnuplot):
// fork + exec with stdout and stderr appended to a log file. Between fork and exec the child
// only makes system calls, so forking a process that has already started torch's thread pools
// is safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tandem::suites {

struct SpawnOptions {
  std::string log_path;          // stdout and stderr are appended here ("": /dev/null)
  bool die_with_parent = false;  // SIGTERM the child when this process dies (even by SIGKILL)
  bool inherit_stderr = false;   // stderr stays this process's (the log gets stdout only)
  bool inherit_stdout = false;   // stdout too (then log_path is unused)
  std::vector<std::string> environment;  // NAME=VALUE set in the child, beside this one's
};

// Starts argv[0] (a path, or a name looked up in PATH) with argv[1..]. Throws tandem::Error when
// the log cannot be opened or fork fails; a program that cannot be executed exits with 127
// after writing why into the log.
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options);

struct ExitStatus {
  bool exited = false;  // ended by exit(); else by a signal
  int code = 0;         // exit code, or the signal number
  std::string reason;   // what ended it, where known (a Slurm task: "cancelled in Slurm", ...)
  bool ok() const { return exited && code == 0; }
  // "exit status 1", "killed by signal 9 (Killed)", or the reason before either
  std::string describe() const;
};

// Runs argv to completion, its stdout and stderr captured into `output`.
ExitStatus capture_process(const std::vector<std::string>& argv, std::string* output);

// Waits for a child; with `block` false, returns false when it is still running.
bool wait_process(pid_t pid, bool block, ExitStatus* status);

// Runs to completion.
ExitStatus run_process(const std::vector<std::string>& argv, const SpawnOptions& options);

// The running executable (/proc/self/exe), so the runner starts the very binary it is.
std::string self_executable();

// 'a b' → "'a b'": a command line a user can paste into a shell.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace tandem::suites
