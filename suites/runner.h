// `tandem run SUITE.json`: every run of a suite in parallel worker processes, then the report.
//
// Each run is one `tandem train ... --out RUN_DIR --quiet` process, its stdout and stderr in
// RUN_DIR/log.txt (which opens with the command, so a failed run can be repeated by hand),
// started by an executor (executor.h): fork + exec of this very executable, or a task of a Slurm
// job array. Processes rather than threads or fork-only workers:
//   - a crash, an abort or an out-of-memory kill takes down one run, not the suite;
//   - LibTorch's thread pools are not fork-safe once started (and validating the suite starts
//     them), while exec gives every run a fresh process;
//   - a run is exactly what `tandem train` does, so suites and single runs cannot drift apart,
//     and per-run stdout/stderr redirection comes for free.
// The cost is the executable's start-up per run (well under a second).
//
// Progress is read from each running worker's metrics.jsonl (one line per evaluation). On a
// terminal: a live line per worker and an overall bar with an ETA, redrawn in place; otherwise a
// line per finished or failed run. Workers stay in the runner's process group and get SIGTERM if
// the runner dies, so Ctrl-C or killing the group stops everything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "suites/executor.h"
#include "suites/report.h"
#include "suites/suite.h"

namespace tandem::suites {

struct RunnerOptions {
  int64_t jobs = 0;     // worker processes; 0: one per core (divided by the suite's threads)
  bool resume = false;  // skip finished runs (those with `done`); else refuse to mix
  std::string only;     // run only keys matching this substring or glob
  std::string results_dir = "results";
  std::string worker_binary;  // the `tandem` executable; "": this process's own
  bool report = true;         // write the report at the end
  ReportOptions report_options;
  // after Ctrl-C or SIGTERM: how long a worker may take to write its checkpoint before a second
  // SIGTERM ends it (one inside a reward model's fit or a cache build does not look at the
  // first); it then resumes from its last checkpoint
  double stop_grace_seconds = 20;
  enum class Display { kAuto, kLive, kLines, kQuiet };
  Display display = Display::kAuto;       // kAuto: live on a terminal, lines otherwise
  double progress_interval_seconds = 30;  // kLines: a progress line this often
  // the ETA starts from rates measured before (results/reference/eta_rates.json, then the cache
  // folder's eta_rates.json, which this suite's finished runs update); off: only this suite's own
  bool remembered_rates = true;
  // where runs execute (executor.h): "local" worker processes, or "slurm" (a job array)
  std::string executor = "local";
  SlurmOptions slurm;
};

struct RunnerOutcome {
  std::string suite_dir;
  int64_t selected = 0;  // runs the suite (and --only) asked for
  int64_t skipped = 0;   // already finished (--resume)
  int64_t finished = 0;  // finished now
  int64_t failed = 0;
  std::vector<std::string> failures;  // "<key>: <why> (log: <path>)"
  bool interrupted = false;           // SIGINT/SIGTERM: workers stopped, rerun with --resume
  std::string report_markdown, report_html, report_error;
  // a suite with tuning: the tasks whose tuning --only left unfinished, whose evaluation phase
  // did not start (not a failure)
  std::string waiting;
  // --executor slurm --no-wait: the runs were submitted and are not followed (no report yet)
  bool detached = false;
  bool ok() const { return failed == 0 && !interrupted && report_error.empty(); }
};

// Throws tandem::Error before starting anything when the results folder already holds finished
// runs of the selection and resume is off, when --only selects nothing, or when a finished run's
// config.json disagrees with the suite (resume would mix two experiments).
//
// A suite with "tuning" (tuning.h) runs in two phases: the tuning runs under
// results/<suite>/tuning/ (no report), then, once all of them have finished, the choice
// (results/<suite>/tuning/selection.json) and the evaluation seeds with it under
// results/<suite>/, and the report. Task by task: a task whose tuning runs have not all
// finished (--only) waits, the others go on. --only and --resume apply to both phases; a failure
// or an interruption in the tuning phase stops before the evaluation phase.
RunnerOutcome run_suite(const Suite& suite, const RunnerOptions& options);

// How an unfinished run starts. Today: from scratch, after removing the interrupted attempt's
// files. Mid-run resume belongs here: a run folder with checkpoint.pt and no done would return
// kContinue and the worker would be started with `tandem train --resume-from RUN_DIR`.
enum class RunStart { kFresh, kResume };
RunStart prepare_run_folder(const std::string& run_dir, bool resume);

}  // namespace tandem::suites
