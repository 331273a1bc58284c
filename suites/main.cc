// tandem — the command line: list what is registered, train one run, evaluate a checkpoint, run a
// suite (tasks × algorithms × seeds) and write its comparison report.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include "algorithms/algorithm.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "suites/cli_values.h"
#include "suites/record_command.h"
#include "suites/report.h"
#include "suites/runner.h"
#include "suites/sample_command.h"
#include "suites/single_run.h"
#include "suites/suite.h"
#include "suites/view_command.h"

namespace {

using tandem::json;

int list_envs() {
  std::printf("%-28s %-26s %-26s %s\n", "id", "observation", "action", "max steps");
  for (const auto* reg : tandem::envs::registered_envs()) {
    if (reg->id == "mujoco/xml") {
      std::printf("%-28s %-26s %-26s %s\n", reg->id.c_str(), "qpos+qvel of --xml PATH",
                  "its actuators", "option");
      continue;
    }
    std::unique_ptr<tandem::envs::Env> env;
    try {
      env = reg->factory(json::object());
    } catch (const tandem::Error& e) {
      // an env whose data is missing is still listed, with the reason
      std::printf("%-28s unavailable: %s\n", reg->id.c_str(), e.what());
      continue;
    }
    const auto& s = env->spec();
    std::printf("%-28s %-26s %-26s %lld\n", s.id.c_str(), s.observation_space.describe().c_str(),
                s.action_space.describe().c_str(), static_cast<long long>(s.max_episode_steps));
  }
  return 0;
}

int list_algorithms() {
  for (const auto* reg : tandem::algorithms::registered_algorithms()) {
    auto algo = reg->factory(json::object(), "defaults");
    std::printf("%s\n", reg->name.c_str());
    const json c = algo->config();
    for (auto it = c.begin(); it != c.end(); ++it)
      std::printf("  %-24s %s\n", it.key().c_str(), it.value().dump().c_str());
  }
  return 0;
}

// Levenshtein distance: how far a mistyped command is from each real one.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tandem: the same alignment algorithms (PPO, APA, DPO, AIHF) on token generation and "
      "MuJoCo control"};
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "list registered envs or algorithms");
  std::string what;
  list->add_option("what", what, "envs | algorithms")
      ->required()
      ->check(CLI::IsMember({"envs", "algorithms"}));

  tandem::suites::RunRequest run;
  std::string xml;
  auto* train =
      app.add_subcommand("train", "train one run and write results/runs/ENV__ALGO__SEED/");
  train->add_option("--env", run.env_id, "env id (see `tandem list envs`)")->capture_default_str();
  train->add_option("--xml", xml, "train on any MuJoCo XML model (the mujoco/xml env)");
  train->add_option("--algo", run.algorithm, "algorithm (see `tandem list algorithms`)")
      ->capture_default_str();
  train->add_option("--seed", run.seed, "seed of torch, the envs and evaluation")
      ->capture_default_str()
      ->transform(tandem::suites::seed_value());
  train->add_option("--steps", run.steps, "env steps of training (1000000 or 1e6)")
      ->capture_default_str()
      ->transform(tandem::suites::count_value(1));
  train->add_option("--eval-interval", run.eval_interval, "env steps between evaluations")
      ->capture_default_str()
      ->transform(tandem::suites::count_value(1));
  train->add_option("--eval-episodes", run.eval_episodes, "episodes per evaluation")
      ->capture_default_str()
      ->transform(tandem::suites::count_value(1));
  train->add_option("--threads", run.threads, "torch and env-stepping threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  train->add_option("--config", run.config_file,
                    "JSON file: {\"algorithm\": {...}, \"policy\": {...}, \"env\": {...}}");
  train->add_option("--set", run.set,
                    "override KEY=VALUE: algorithm field (learning_rate=1e-4), policy.FIELD, "
                    "env.FIELD; repeatable");
  train->add_option("--out", run.out_dir,
                    "run folder (default results/runs/ENV__ALGO__SEED); a run already in it, "
                    "finished or not, is never overwritten (see --resume)");
  bool quiet = false;
  train->add_flag("--quiet", quiet, "no progress bar");
  train->add_flag("--resume", run.resume,
                  "continue the interrupted run in --out from its checkpoint (same configuration): "
                  "every algorithm goes on exactly where it stopped and writes the metrics the "
                  "uninterrupted run would");

  tandem::suites::EvalRequest eval;
  bool stochastic = false;
  auto* ev = app.add_subcommand("eval", "evaluate a checkpoint (config.json must sit beside it)");
  ev->add_option("--checkpoint", eval.checkpoint, "path to a run's checkpoint.pt")->required();
  ev->add_option("--episodes", eval.episodes, "episodes")
      ->capture_default_str()
      ->transform(tandem::suites::count_value(1));
  ev->add_option("--seed", eval.seed, "seed of the evaluation envs")
      ->capture_default_str()
      ->transform(tandem::suites::seed_value());
  ev->add_flag("--stochastic", stochastic, "sample actions instead of taking the mean");

  std::string suite_path;
  tandem::suites::RunnerOptions runner;
  auto* run_suite = app.add_subcommand(
      "run",
      "run a suite: tasks × algorithms × seeds in parallel worker processes, then its report");
  run_suite->add_option("suite", suite_path, "the suite's JSON file (see suites/suite.h)")
      ->required()
      ->check(CLI::ExistingFile);
  run_suite->add_option("--jobs,-j", runner.jobs, "worker processes (default: one per core)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  run_suite->add_flag("--resume", runner.resume,
                      "skip finished runs (those with a `done` file), rerun unfinished ones");
  run_suite->add_option("--only", runner.only,
                        "run only runs whose TASK/ALGO/seed-K contains PATTERN (or matches it as "
                        "a glob with * ? [)");
  run_suite->add_option("--results", runner.results_dir, "results root: runs go to DIR/SUITE/")
      ->capture_default_str();
  bool no_report = false;
  run_suite->add_flag("--no-report", no_report, "do not write the report at the end");

  std::string report_dir;
  std::vector<std::string> report_metrics;
  tandem::suites::ReportOptions report;
  auto* report_cmd =
      app.add_subcommand("report", "write report.md and report.html for a suite's results folder");
  report_cmd->add_option("dir", report_dir, "the suite's results folder, e.g. results/smoke")
      ->required();
  report_cmd->add_option("--metric", report_metrics,
                         "metric key to report, repeatable (default: eval/return_mean)");
  report_cmd
      ->add_option("--baseline", report.baseline,
                   "label the probability of improvement compares against")
      ->capture_default_str();
  report_cmd->add_option("--resamples", report.resamples, "bootstrap resamples of the tables")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  bool no_figures = false;
  report_cmd->add_flag("--no-figures", no_figures, "tables only (no gnuplot)");

  // watching what the agents do: view, record (MuJoCo), sample (text)
  tandem::suites::ViewCommand view_command(app);
  tandem::suites::RecordCommand record_command(app);
  tandem::suites::SampleCommand sample_command(app);

  // CLI11 takes an unknown first word for a missing subcommand ("A subcommand is required"):
  // name it, and the nearest command
  const auto subcommands = app.get_subcommands({});
  const bool known = argc < 2 || argv[1][0] == '-' ||
                     std::any_of(subcommands.begin(), subcommands.end(),
                                 [&](const CLI::App* sub) { return sub->get_name() == argv[1]; });
  if (!known) {
    std::string commands, nearest;
    size_t best = SIZE_MAX;
    for (const CLI::App* sub : subcommands) {
      commands += (commands.empty() ? "" : ", ") + sub->get_name();
      const size_t d = edit_distance(argv[1], sub->get_name());
      if (d < best) {
        best = d;
        nearest = sub->get_name();
      }
    }
    std::fprintf(
        stderr, "tandem: error: unknown command '%s'%s (commands: %s; see tandem --help)\n",
        argv[1], best <= 2 ? (": did you mean '" + nearest + "'?").c_str() : "", commands.c_str());
    return 1;
  }
  CLI11_PARSE(app, argc, argv);
  try {
    if (view_command.chosen()) return view_command.run();
    if (record_command.chosen()) return record_command.run();
    if (sample_command.chosen()) return sample_command.run();
    if (*list) return what == "envs" ? list_envs() : list_algorithms();
    if (*train) {
      if (!xml.empty()) {
        run.env_id = "mujoco/xml";
        run.set.push_back("env.xml=\"" + xml + "\"");
      }
      run.progress = !quiet;
      auto outcome = tandem::suites::train_run(run);
      std::printf("run folder: %s%s\n", outcome.out_dir.c_str(),
                  outcome.resumed ? " (resumed from its checkpoint)" : "");
      std::printf("final evaluation return: %.1f ± %.1f over %lld episodes (%.0f s)\n",
                  outcome.final_eval.return_mean, outcome.final_eval.return_std,
                  static_cast<long long>(run.eval_episodes), outcome.wall_seconds);
      return 0;
    }
    if (*ev) {
      eval.deterministic = !stochastic;
      auto s = tandem::suites::eval_checkpoint(eval);
      std::printf(
          "evaluation return: %.1f ± %.1f (min %.1f, max %.1f) over %lld episodes, "
          "mean length %.0f\n",
          s.return_mean, s.return_std, s.return_min, s.return_max,
          static_cast<long long>(eval.episodes), s.length_mean);
      return 0;
    }
    if (*run_suite) {
      runner.report = !no_report;
      const tandem::suites::Suite suite = tandem::suites::load_suite(suite_path);
      const auto outcome = tandem::suites::run_suite(suite, runner);
      if (outcome.interrupted) return 130;
      return outcome.ok() ? 0 : 1;
    }
    if (*report_cmd) {
      if (!report_metrics.empty()) {
        // the named metrics become the sections; the text and DPO columns stay
        std::vector<tandem::suites::MetricSpec> metrics;
        for (const auto& key : report_metrics)
          metrics.push_back(tandem::suites::metric_spec_for(key));
        for (const auto& m : report.metrics)
          if (m.place != tandem::suites::MetricPlace::kSection) metrics.push_back(m);
        report.metrics = metrics;
      }
      report.figures = !no_figures;
      const auto outcome = tandem::suites::write_report(report_dir, report);
      std::printf("report: %s (and %s): %lld finished runs, %lld unfinished\n",
                  outcome.html_path.c_str(), outcome.markdown_path.c_str(),
                  static_cast<long long>(outcome.runs_finished),
                  static_cast<long long>(outcome.runs_unfinished));
      for (const auto& note : outcome.notes) std::printf("  note: %s\n", note.c_str());
      return 0;
    }
  } catch (const tandem::algorithms::Interrupted& e) {
    // the shell's convention for a command stopped by Ctrl-C: 128 + SIGINT
    std::fprintf(stderr, "tandem: %s\n", e.what());
    return 130;
  } catch (const tandem::Error& e) {
    std::fprintf(stderr, "tandem: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    // filesystem errors (a read-only results folder, a full disk) name the path themselves
    std::fprintf(stderr, "tandem: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
