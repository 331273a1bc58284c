#include "suites/runner.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "algorithms/metrics.h"
#include "envs/cache_build.h"
#include "envs/error.h"
#include "envs/human_format.h"
#include "envs/text/tokenizer.h"
#include "suites/eta.h"
#include "suites/process.h"

namespace tandem::suites {
namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int signal) { g_stop_signal = signal; }

// Ctrl-C and SIGTERM stop the workers cleanly (their runs stay unfinished, to be resumed)
// instead of killing the runner between a fork and its bookkeeping.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa = {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    ::sigaction(SIGHUP, &sa, &old_hup_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGHUP, &old_hup_, nullptr);
  }

 private:
  struct sigaction old_int_ = {}, old_term_ = {}, old_hup_ = {};
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string value_text(const std::optional<double>& v) {
  if (!v) return "?";
  return human_value(*v);
}

std::string bar(double fraction, int width) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  return "[" + std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '.') + "]";
}

std::string last_log_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return last;
}

struct Worker {
  const SuiteRun* run = nullptr;
  std::string dir;
  int64_t handle = -1;  // the executor's
  double started = 0;
  int64_t steps_done = 0;
  bool resumed = false;         // continued from a checkpoint: its time covers only the rest
  std::optional<double> value;  // the first report metric at the last evaluation
  uintmax_t metrics_size = static_cast<uintmax_t>(-1);
  // when its first metrics line came and at which step: its rate is measured from there, so
  // start-up and cache builds (which the next run of its kind does not repeat) stay out of it
  std::optional<double> first_line_at;
  int64_t first_line_steps = 0;
};

// Reads the worker's progress from its metrics file, when the file has grown.
void poll_progress(Worker& w, const std::string& metric) {
  std::error_code ec;
  const std::string path = w.dir + "/metrics.jsonl";
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || size == w.metrics_size) return;
  w.metrics_size = size;
  try {
    const std::vector<json> lines = algorithms::read_metrics(path);
    if (lines.empty()) return;
    const json& last = lines.back();
    if (last.contains("env_steps") && last["env_steps"].is_number())
      w.steps_done = last["env_steps"].get<int64_t>();
    if (!w.first_line_at) {
      // when the first line was written, by the run's own clock: a run that ends within one
      // poll shows its first and last lines at once, and its steps would otherwise measure
      // nothing (such runs never taught the ETA their rate)
      const json& first = lines.front();
      double since_first = 0;
      if (first.contains("wall_seconds") && first["wall_seconds"].is_number() &&
          last.contains("wall_seconds") && last["wall_seconds"].is_number())
        since_first =
            std::max(0.0, last["wall_seconds"].get<double>() - first["wall_seconds"].get<double>());
      w.first_line_at = now_seconds() - since_first;
      w.first_line_steps = first.contains("env_steps") && first["env_steps"].is_number()
                               ? first["env_steps"].get<int64_t>()
                               : w.steps_done;
    }
    if (last.contains(metric) && last[metric].is_number()) w.value = last[metric].get<double>();
  } catch (const Error&) {
    // a line being written: the next poll reads it whole
  }
}

int terminal_columns() {
  struct winsize ws = {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

std::string fit(std::string line, size_t columns) {
  if (line.size() >= columns) line = line.substr(0, columns - 1);
  return line;
}

}  // namespace

RunStart prepare_run_folder(const std::string& run_dir, bool resume) {
  fs::create_directories(run_dir);
  // an interrupted attempt that left a checkpoint continues from it (`tandem train --resume`
  // checks the configuration and cuts the metrics back to the checkpoint)
  if (resume && fs::exists(run_dir + "/checkpoint.pt") && fs::exists(run_dir + "/config.json"))
    return RunStart::kResume;
  // the interrupted attempt's files (metrics, checkpoint, temporaries of a killed write) go, so
  // the new attempt is exactly a fresh run
  for (const auto& entry : fs::directory_iterator(run_dir))
    if (entry.is_regular_file() || entry.is_symlink()) fs::remove(entry.path());
  return RunStart::kFresh;
}

namespace {

// One suite's runs (a tuning suite's phase, or the whole of a suite without tuning). With
// allow_empty, --only selecting none of its runs returns an empty outcome instead of throwing
// (the other phase has some).
RunnerOutcome run_phase(const Suite& suite, const RunnerOptions& options, bool allow_empty) {
  RunnerOutcome outcome;
  outcome.suite_dir = (fs::path(options.results_dir) / suite.name).string();
  const std::vector<SuiteRun> all = suite.runs();
  std::vector<const SuiteRun*> selected;
  for (const auto& run : all)
    if (options.only.empty() || matches_pattern(run.key(), options.only)) selected.push_back(&run);
  if (selected.empty() && allow_empty) return outcome;
  if (selected.empty()) {
    throw Error("--only '" + options.only + "' selects none of the " + std::to_string(all.size()) +
                " runs of suite '" + suite.name + "' (run keys look like '" + all.front().key() +
                "'; a pattern is a substring, or a glob with * ? [)");
  }
  outcome.selected = static_cast<int64_t>(selected.size());
  auto dir_of = [&](const SuiteRun& run) { return outcome.suite_dir + "/" + run.key(); };

  // finished runs: never recomputed, never silently mixed with another experiment
  std::vector<const SuiteRun*> pending;
  std::vector<std::string> finished_before;
  for (const SuiteRun* run : selected) {
    const std::string dir = dir_of(*run);
    if (!fs::exists(dir + "/done")) {
      pending.push_back(run);
      continue;
    }
    finished_before.push_back(dir);
    if (!options.resume) continue;
    json config;
    try {
      config = read_json_file(dir + "/config.json");
    } catch (const Error& e) {
      throw Error(dir + " is marked done but its config.json cannot be read (" + e.what() +
                  "): remove that run folder to recompute it");
    }
    const std::string diff = first_difference(suite.expected_run_config(*run),
                                              comparable_run_config(config), "the suite");
    if (!diff.empty()) {
      throw Error(dir + " was finished with another configuration: " + diff +
                  ". Give the changed suite another \"name\", or remove that run folder to "
                  "recompute it");
    }
  }
  if (!options.resume && !finished_before.empty()) {
    throw Error(outcome.suite_dir + " already holds " + std::to_string(finished_before.size()) +
                " finished run" + (finished_before.size() == 1 ? "" : "s") + " of suite '" +
                suite.name + "' (e.g. " + finished_before.front() +
                "): pass --resume to keep them and run the rest, or remove the folder to start "
                "over");
  }
  outcome.skipped = static_cast<int64_t>(finished_before.size());

  fs::create_directories(outcome.suite_dir);
  write_file_atomic(outcome.suite_dir + "/suite.json", suite.resolved().dump(2) + "\n");

  const std::string binary =
      options.worker_binary.empty() ? self_executable() : options.worker_binary;
  int64_t jobs = options.jobs;
  if (jobs <= 0) {
    jobs = std::max<int64_t>(
        1, static_cast<int64_t>(std::thread::hardware_concurrency()) / suite.threads);
  }
  jobs = std::max<int64_t>(1, std::min<int64_t>(jobs, static_cast<int64_t>(pending.size())));
  const bool on_slurm = options.executor == "slurm";
  std::unique_ptr<Executor> executor =
      on_slurm ? make_slurm_executor(options.slurm, outcome.suite_dir, suite.name, suite.threads)
               : make_local_executor(jobs);
  // runs started at once: the local workers, or every run (one array: Slurm schedules them)
  const int64_t capacity = on_slurm ? executor->capacity() : jobs;
  // runs that progress at once, for the ETA: the local workers, or what the cluster holds
  if (on_slurm)
    jobs = std::max<int64_t>(
        1, std::min<int64_t>(executor->parallel(), static_cast<int64_t>(pending.size())));

  RunnerOptions::Display display = options.display;
  if (display == RunnerOptions::Display::kAuto) {
    const char* term = std::getenv("TERM");
    const bool tty = ::isatty(STDOUT_FILENO) && !(term && std::string(term) == "dumb");
    display = tty ? RunnerOptions::Display::kLive : RunnerOptions::Display::kLines;
  }
  const bool live = display == RunnerOptions::Display::kLive;
  const bool quiet = display == RunnerOptions::Display::kQuiet;
  const std::string metric = options.report_options.metrics.empty()
                                 ? std::string("eval/return_mean")
                                 : options.report_options.metrics.front().key;

  if (!quiet) {
    std::printf("suite %s: %lld runs (%lld finished earlier), %s, results in %s\n",
                suite.name.c_str(), static_cast<long long>(selected.size()),
                static_cast<long long>(outcome.skipped),
                on_slurm ? "a Slurm job array"
                         : (std::to_string(jobs) + " worker" + (jobs == 1 ? "" : "s")).c_str(),
                outcome.suite_dir.c_str());
    std::fflush(stdout);
  }

  StopSignals stop_signals;
  std::deque<const SuiteRun*> queue(pending.begin(), pending.end());
  std::vector<Worker> running;
  int64_t total_steps = 0, steps_of_ended = 0, ended = 0;
  for (const SuiteRun* run : pending) total_steps += run->steps();
  const double start = now_seconds();
  size_t key_width = 0;
  for (const SuiteRun* run : pending) key_width = std::max(key_width, run->key().size());
  key_width = std::min<size_t>(key_width, 48);
  size_t live_lines = 0;  // lines of the live block currently on screen
  double last_draw = -1;

  // measured per kind of run (suites/eta.h): env steps, tokens and pairs never mix
  EtaModel eta;
  // the cache builds in progress (base models, tokenizers, experts, feedback), looked at every
  // two seconds: a suite from a cold cache spends minutes there before its runs move
  std::vector<envs::CacheBuildStatus> builds;
  double builds_looked = -1;
  const std::string cache_dir = text::default_cache_dir();
  // rates measured by earlier suites on this machine: an estimate before this suite's own
  // (the repository's reference rates first, results/reference/eta_rates.json, so that a new
  // machine's first suite has an estimate while its first runs wait for the cache builds)
  const std::string rates_path = cache_dir + "/eta_rates.json";
  if (options.remembered_rates) {
    eta.load_remembered(std::string(TANDEM_SOURCE_DIR) + "/results/reference/eta_rates.json");
    eta.load_remembered(rates_path);
  }
  // env × algorithm × label: contenders of one algorithm cost differently (the quickstart's
  // RLHF-PPO, RLHF-APA and AIHF are all `aihf`, with 1 or 3 reward-model rounds), and a kind
  // measured on the cheapest label made the rest look cheap too
  auto kind_of = [](const SuiteRun* run) {
    const SuiteAlgorithm& a = *run->algorithm;
    return run->task->env_id + " " + a.name + (a.label == a.name ? "" : " " + a.label);
  };
  auto eta_text = [&](int64_t /*steps_now*/) {
    std::vector<EtaModel::Running> now;
    for (const auto& w : running)
      now.push_back({kind_of(w.run), std::min(w.steps_done, w.run->steps()), w.run->steps(),
                     now_seconds() - w.started});
    std::vector<EtaModel::Queued> waiting;
    for (const SuiteRun* run : queue) waiting.push_back({kind_of(run), run->steps()});
    std::optional<double> left = eta.remaining(now, waiting, jobs);
    // runs wait for the cache builds in progress: the longest one comes first
    double build_left = 0;
    for (const auto& b : builds) build_left = std::max(build_left, b.remaining().value_or(0.0));
    if (left) *left += build_left;
    return left ? human_seconds(*left) : std::string("--");
  };
  auto steps_now = [&] {
    int64_t s = steps_of_ended;
    for (const auto& w : running) s += std::min(w.steps_done, w.run->steps());
    return s;
  };
  auto clear_live = [&] {
    if (!live || live_lines == 0) return;
    std::printf("\r\x1b[%zuA\x1b[J", live_lines);
    live_lines = 0;
  };
  auto draw_live = [&] {
    if (!live) return;
    const size_t columns = static_cast<size_t>(terminal_columns());
    clear_live();
    for (const auto& w : running) {
      char line[512];
      // the metric's last name ("return_mean"): the line has to fit a terminal
      const std::string value =
          w.value ? metric.substr(metric.rfind('/') + 1) + " " + value_text(w.value) : "";
      std::snprintf(line, sizeof(line), "  %-*s %s %6s/%-6s %5s  %s", static_cast<int>(key_width),
                    w.run->key().c_str(),
                    bar(static_cast<double>(w.steps_done) / w.run->steps(), 16).c_str(),
                    human_count(static_cast<double>(w.steps_done)).c_str(),
                    human_count(static_cast<double>(w.run->steps())).c_str(),
                    human_seconds(now_seconds() - w.started).c_str(), value.c_str());
      std::printf("%s\n", fit(line, columns).c_str());
      ++live_lines;
    }
    const int64_t s = steps_now();
    char line[512];
    std::snprintf(line, sizeof(line),
                  "overall %s %lld/%lld runs  %s/%s steps  %s%s elapsed  ETA %s",
                  bar(total_steps ? static_cast<double>(s) / total_steps : 1.0, 30).c_str(),
                  static_cast<long long>(ended), static_cast<long long>(pending.size()),
                  human_count(static_cast<double>(s)).c_str(),
                  human_count(static_cast<double>(total_steps)).c_str(),
                  outcome.failed ? (std::to_string(outcome.failed) + " failed  ").c_str() : "",
                  human_seconds(now_seconds() - start).c_str(), eta_text(s).c_str());
    std::printf("%s\n", fit(line, columns).c_str());
    ++live_lines;
    for (const auto& b : builds) {
      std::printf("%s\n", fit("  cache: building " + b.describe(), columns).c_str());
      ++live_lines;
    }
    std::fflush(stdout);
    last_draw = now_seconds();
  };
  auto event = [&](const std::string& text) {
    if (quiet) return;
    clear_live();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  };

  auto launch = [&](const SuiteRun* run) {
    Worker w;
    w.run = run;
    w.dir = dir_of(*run);
    w.started = now_seconds();
    // still queued or running in Slurm from an earlier `tandem run`: followed, never started twice
    // (preparing its folder would delete what the running task writes)
    if (auto handle = executor->in_flight(run->key())) {
      w.handle = *handle;
      w.resumed = true;
      running.push_back(w);
      return;
    }
    const bool resumed = prepare_run_folder(w.dir, options.resume) == RunStart::kResume;
    w.resumed = resumed;
    const json request = {
        {"algorithm", run->config()}, {"policy", run->policy()}, {"env", run->task->options}};
    write_file_atomic(w.dir + "/request.json", request.dump(2) + "\n");
    std::vector<std::string> argv = {binary,
                                     "train",
                                     "--env",
                                     run->task->env_id,
                                     "--algo",
                                     run->algorithm->name,
                                     "--seed",
                                     std::to_string(run->seed),
                                     "--steps",
                                     std::to_string(run->steps()),
                                     "--eval-interval",
                                     std::to_string(run->eval_interval()),
                                     "--eval-episodes",
                                     std::to_string(run->task->eval_episodes),
                                     "--threads",
                                     std::to_string(suite.threads),
                                     "--config",
                                     w.dir + "/request.json",
                                     "--out",
                                     w.dir,
                                     "--quiet"};
    const std::string log = w.dir + "/log.txt";
    // a resumed run's log keeps the interrupted attempt's lines above its own
    std::ofstream(log, resumed ? std::ios::app : std::ios::trunc)
        << "# tandem run " << suite.name << ": " << run->key() << "\n# " << shell_quote(argv)
        << (resumed ? " --resume" : "") << "\n";
    w.handle = executor->start({run->key(), w.dir, argv, resumed});
    running.push_back(w);
  };

  while (!queue.empty() || !running.empty()) {
    if (g_stop_signal) {
      executor->stop_all(options.stop_grace_seconds);
      event("interrupted (" + std::string(::strsignal(g_stop_signal)) + "): " +
            std::to_string(running.size() + queue.size()) + " runs unfinished; `tandem run " +
            (suite.source_file.empty() ? suite.name + ".json" : suite.source_file) +
            " --resume` runs them and keeps the finished ones");
      running.clear();
      outcome.interrupted = true;
      break;
    }
    while (static_cast<int64_t>(running.size()) < capacity && !queue.empty()) {
      const SuiteRun* run = queue.front();
      queue.pop_front();
      try {
        launch(run);
      } catch (const Error& e) {
        ++ended;
        ++outcome.failed;
        outcome.failures.push_back(run->key() + ": could not start: " + e.what());
        event("FAILED " + run->key() + ": could not start: " + e.what());
      }
    }
    executor->submit();
    if (on_slurm && !options.slurm.wait) {
      outcome.detached = true;
      return outcome;
    }
    for (size_t i = 0; i < running.size();) {
      Worker& w = running[i];
      ExitStatus status;
      if (!executor->ended(w.handle, &status)) {
        poll_progress(w, metric);
        ++i;
        continue;
      }
      poll_progress(w, metric);
      // off the running list first, so the ETA below does not count its steps twice
      const Worker ended_worker = w;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      ++ended;
      steps_of_ended += ended_worker.run->steps();
      const std::string log = ended_worker.dir + "/log.txt";
      const double seconds = now_seconds() - ended_worker.started;
      // a resumed run's time covers only its rest: it would make its kind look faster
      if (status.ok() && !ended_worker.resumed && ended_worker.first_line_at) {
        const int64_t measured = ended_worker.run->steps() - ended_worker.first_line_steps;
        if (measured > 0) {
          eta.finished(kind_of(ended_worker.run), measured,
                       now_seconds() - *ended_worker.first_line_at,
                       *ended_worker.first_line_at - ended_worker.started);
          if (options.remembered_rates) eta.remember(rates_path);
        }
      }
      char head[64];
      std::snprintf(head, sizeof(head), "[%*lld/%lld] ",
                    static_cast<int>(std::to_string(pending.size()).size()),
                    static_cast<long long>(ended), static_cast<long long>(pending.size()));
      if (status.ok() && fs::exists(ended_worker.dir + "/done")) {
        ++outcome.finished;
        char text[512];
        std::snprintf(text, sizeof(text), "%sdone    %-*s %6.1f s  %s %s  | ETA %s", head,
                      static_cast<int>(key_width), ended_worker.run->key().c_str(), seconds,
                      metric.c_str(), value_text(ended_worker.value).c_str(),
                      queue.empty() && running.empty() ? "0m00s" : eta_text(steps_now()).c_str());
        event(text);
      } else {
        ++outcome.failed;
        const std::string why = status.ok() ? "exited without writing done" : status.describe();
        const std::string last = last_log_line(log);
        outcome.failures.push_back(ended_worker.run->key() + ": " + why +
                                   (last.empty() ? "" : ": " + last) + " (log: " + log + ")");
        event(std::string(head) + "FAILED  " + ended_worker.run->key() + ": " + why +
              (last.empty() ? "" : ": " + last) + " — log: " + log);
      }
    }
    if (now_seconds() - builds_looked >= 2) {
      builds_looked = now_seconds();
      std::vector<envs::CacheBuildStatus> seen = envs::cache_builds(cache_dir);
      auto has = [](const std::vector<envs::CacheBuildStatus>& in, const std::string& path) {
        return std::any_of(in.begin(), in.end(), [&](const auto& b) { return b.path == path; });
      };
      for (const auto& b : seen)
        if (!has(builds, b.path))
          event("cache: building " + b.what + " (a one-off; runs that need it wait)");
      for (const auto& b : builds) {
        if (has(seen, b.path)) continue;
        const std::string entry = b.path.substr(0, b.path.size() - std::string(".building").size());
        event("cache: " + b.what + (fs::exists(entry) ? " built" : " stopped") + " after about " +
              human_seconds(b.seconds));
      }
      builds = std::move(seen);
    }
    if (live && now_seconds() - last_draw >= 0.25) draw_live();
    // not a terminal (nohup, tee, a Slurm log): a plain line at a fixed interval, so a long run
    // never looks hung
    if (!live && !quiet && now_seconds() - last_draw >= options.progress_interval_seconds) {
      if (last_draw >= 0) {
        const int64_t s = steps_now();
        event("progress: " + std::to_string(ended) + "/" + std::to_string(pending.size()) +
              " runs ended, " + std::to_string(running.size()) + " running, " +
              human_count(static_cast<double>(s)) + "/" +
              human_count(static_cast<double>(total_steps)) + " steps, " +
              human_seconds(now_seconds() - start) + " elapsed, ETA " + eta_text(s));
        for (const auto& b : builds) event("  cache: building " + b.describe());
      }
      last_draw = now_seconds();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  clear_live();

  if (!quiet) {
    std::printf("suite %s: %lld finished now, %lld finished earlier, %lld failed%s, %.1f s\n",
                suite.name.c_str(), static_cast<long long>(outcome.finished),
                static_cast<long long>(outcome.skipped), static_cast<long long>(outcome.failed),
                outcome.interrupted ? ", interrupted" : "", now_seconds() - start);
    for (const auto& f : outcome.failures) std::printf("  failed: %s\n", f.c_str());
    std::fflush(stdout);
  }
  if (options.report && !outcome.interrupted) {
    try {
      ReportOutcome report = write_report(outcome.suite_dir, options.report_options);
      outcome.report_markdown = report.markdown_path;
      outcome.report_html = report.html_path;
      if (!quiet) {
        std::printf("report: %s (and %s)\n", report.html_path.c_str(),
                    report.markdown_path.c_str());
        for (const auto& note : report.notes) std::printf("  note: %s\n", note.c_str());
      }
    } catch (const std::exception& e) {
      outcome.report_error = e.what();
      if (!quiet) std::printf("report failed: %s\n", e.what());
    }
    std::fflush(stdout);
  }
  return outcome;
}

}  // namespace

RunnerOutcome run_suite(const Suite& suite, const RunnerOptions& options) {
  if (!suite.tuning || !suite.tuning_selection.is_null())
    return run_phase(suite, options, /*allow_empty=*/false);
  const bool quiet = options.display == RunnerOptions::Display::kQuiet;
  const Suite tuning = tuning_suite(suite);
  if (!options.only.empty()) {
    bool any = false;
    for (const Suite* s : {&tuning, &suite})
      for (const auto& run : s->runs()) any = any || matches_pattern(run.key(), options.only);
    if (!any)
      throw Error("--only '" + options.only + "' selects none of the runs of suite '" + suite.name +
                  "', tuning or evaluation (keys look like '" + tuning.runs().front().key() +
                  "' and '" + suite.runs().front().key() + "')");
  }
  RunnerOptions first = options;
  first.report = false;
  if (!quiet) {
    std::printf(
        "tuning phase: %zu configurations per contender on tuning seeds, then the "
        "evaluation seeds with the chosen ones\n",
        suite.tuning->points);
    std::fflush(stdout);
  }
  RunnerOutcome outcome = run_phase(tuning, first, /*allow_empty=*/true);
  const std::string suite_dir = (fs::path(options.results_dir) / suite.name).string();
  const std::string tuning_dir = (fs::path(options.results_dir) / tuning.name).string();
  if (outcome.failed || outcome.interrupted || outcome.detached) {
    outcome.suite_dir = suite_dir;
    return outcome;
  }
  const json selection = select_tuned(suite, tuning_dir);
  for (const auto& [task, keys] : selection["unfinished"].items()) {
    // --only ran part of a task's tuning: its evaluation waits for the rest
    outcome.waiting += std::string(outcome.waiting.empty() ? "" : "; ") + "task " + task +
                       ": evaluation phase not started, " + std::to_string(keys.size()) +
                       " tuning runs unfinished (e.g. " + keys[0].get<std::string>() + ")";
  }
  if (!quiet && !outcome.waiting.empty()) std::printf("%s\n", outcome.waiting.c_str());
  if (selection["tasks"].empty()) {
    outcome.suite_dir = suite_dir;
    return outcome;
  }
  write_file_atomic(tuning_dir + "/selection.json", selection.dump(2) + "\n");
  if (!quiet) {
    for (const auto& task : suite.tasks)
      if (selection["tasks"].contains(task.label))
        for (const auto& [label, c] : selection["tasks"][task.label]["contenders"].items()) {
          const json& point = c["points"][c["chosen"].get<size_t>()];
          std::printf(
              "  tuned: %s %s -> %s (mean %s %.3f over the tuning seeds)\n", task.label.c_str(),
              label.c_str(), point["values"].dump().c_str(),
              selection["tasks"][task.label]["scaled"].get<bool>() ? "normalized score" : "score",
              point["mean"].get<double>());
        }
    std::fflush(stdout);
  }
  const RunnerOutcome evaluation =
      run_phase(tuned_suite(suite, selection), options, /*allow_empty=*/true);
  outcome.suite_dir = suite_dir;
  outcome.selected += evaluation.selected;
  outcome.skipped += evaluation.skipped;
  outcome.finished += evaluation.finished;
  outcome.failed += evaluation.failed;
  outcome.failures.insert(outcome.failures.end(), evaluation.failures.begin(),
                          evaluation.failures.end());
  outcome.interrupted = evaluation.interrupted;
  outcome.detached = evaluation.detached;
  outcome.report_markdown = evaluation.report_markdown;
  outcome.report_html = evaluation.report_html;
  outcome.report_error = evaluation.report_error;
  return outcome;
}

}  // namespace tandem::suites
