// tandem — the command line: list what is registered, train one run, evaluate a checkpoint, run a
// suite (tasks × algorithms × seeds) and write its comparison report.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agents/policy_factory.h"
#include "algorithms/algorithm.h"
#include "algorithms/data_parallel.h"
#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/option_help.h"
#include "envs/registry.h"
#include "suites/cli_values.h"
#include "suites/data_parallel_launch.h"
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

// One documented field as `list` prints it: name, default, range or choices, help.
void print_field(const std::string& key, const json& value, const std::string& range,
                 const std::string& help) {
  std::printf("  %-26s %-14s %-22s %s\n", key.c_str(), value.is_null() ? "" : value.dump().c_str(),
              range.c_str(), help.c_str());
}

// Prints the fields of `resolved` (every field in effect, defaults included) with the range each
// was read with (`docs`), sub-objects as "outer.field"; `extra` documents fields read without a
// ConfigReader.
void print_fields(const json& resolved, const std::vector<tandem::FieldDocs::Field>& docs,
                  const std::map<std::string, std::pair<std::string, std::string>>& extra,
                  const std::string& prefix = "") {
  for (auto it = resolved.begin(); it != resolved.end(); ++it) {
    if (it.value().is_object() && !it.value().empty()) {
      print_fields(it.value(), docs, extra, prefix + it.key() + ".");
      continue;
    }
    std::string range, help = tandem::envs::option_help(it.key());
    if (auto e = extra.find(it.key()); e != extra.end()) {
      range = e->second.first;
      help = e->second.second;
    } else {
      for (const auto& f : docs)
        if (f.key == it.key()) {
          range = f.range;
          if (!f.help.empty()) help = f.help;
          break;
        }
    }
    print_field(prefix + it.key(), it.value(), range, help);
  }
}

// `tandem list envs --options ENV`: every option of the env and every field of its policy, with
// the default in effect and the range the env or the policy checks.
int list_env_options(const std::string& id) {
  std::unique_ptr<tandem::envs::Env> env;
  {
    tandem::FieldDocs docs;
    // the generic env needs a model to build: its options are shown with the example one
    json options = json::object();
    if (id == "mujoco/xml")
      options["xml"] = tandem::envs::mujoco_asset_path("examples/point_mass.xml");
    env = tandem::envs::make_env(id, options);
    std::printf("%s options (`--set env.FIELD=VALUE`, or a suite task's \"options\")%s:\n",
                id.c_str(),
                id == "mujoco/xml" ? "; `xml` (required, or `train --xml PATH`) is shown with the "
                                     "example model"
                                   : "");
    print_fields(env->spec().options, docs.fields, {});
  }
  tandem::FieldDocs docs;
  const json policy = tandem::agents::resolved_policy_config(env->spec(), json::object(), id);
  std::printf("policy fields (`--set policy.FIELD=VALUE`, or a contender's \"policy\"):\n");
  const std::map<std::string, std::pair<std::string, std::string>> extra = {
      {"init",
       {"pretrained|random",
        "pretrained: the task's cached base model (trained on first use); random: GPT-2 init"}},
      {"eot_id", {"integer", "the end-of-text id every sequence starts with"}}};
  print_fields(policy, docs.fields, extra);
  print_field("start_from", json(), "run folder|expert:NAME",
              "starting weights: a finished run of this env and architecture, or a snapshot of "
              "the cached expert (control: expert:early); none by default");
  const json& recommended = env->spec().recommended;
  if (!recommended.empty())
    std::printf("recommended settings (below anything you set): %s\n", recommended.dump().c_str());
  return 0;
}

// Each algorithm's fields: default, allowed range or choices, and what it does (the help its
// config's visit() gives), as `--set FIELD=VALUE` or a suite's "config" takes them.
int list_algorithms() {
  for (const auto* reg : tandem::algorithms::registered_algorithms()) {
    tandem::FieldDocs docs;
    auto algo = reg->factory(json::object(), "defaults");
    std::printf("%s\n", reg->name.c_str());
    const json c = algo->config();
    std::set<std::string> shown;  // a field read twice (nested configs) is listed once
    for (const auto& f : docs.fields) {
      if (!shown.insert(f.key).second) continue;
      const std::string value = c.contains(f.key) ? c[f.key].dump() : "";
      std::printf("  %-22s %-10s %-22s %s\n", f.key.c_str(), value.c_str(), f.range.c_str(),
                  f.help.c_str());
    }
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

// What `tandem report` is asked to read, checked before anything is written: a folder of run
// folders (a single `tandem train` folder has nothing to compare), a --baseline that is one of its
// labels, and --metric keys that some run logs (a typo names the nearest logged key).
void check_report_request(const std::string& dir, const std::vector<std::string>& metrics,
                          const std::string& baseline, bool baseline_given) {
  const auto runs = tandem::suites::load_runs(dir);
  if (runs.empty())
    throw tandem::Error(dir +
                        ": no run folders here (TASK/LABEL/seed-K/, as `tandem run` writes "
                        "them): give a suite's results folder, e.g. results/smoke; a single "
                        "`tandem train` run has its numbers in its metrics.jsonl");
  std::vector<std::string> labels;
  std::set<std::string> keys;
  for (const auto& r : runs) {
    if (std::find(labels.begin(), labels.end(), r.algorithm) == labels.end())
      labels.push_back(r.algorithm);
    for (const auto& line : r.metrics)
      if (line.is_object())
        for (auto it = line.begin(); it != line.end(); ++it) keys.insert(it.key());
  }
  auto listed = [](const auto& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  if (baseline_given && std::find(labels.begin(), labels.end(), baseline) == labels.end())
    throw tandem::Error("--baseline '" + baseline + "' is not a label of " + dir +
                        " (labels: " + listed(labels) + ")");
  for (const auto& key : metrics) {
    if (keys.count(key)) continue;
    std::string nearest;
    size_t best = SIZE_MAX;
    for (const auto& k : keys)
      if (const size_t d = edit_distance(key, k); d < best) best = d, nearest = k;
    // a metric close to one the runs log is a typo; any other is one these tasks do not log
    // (a text metric on a control suite): the report names it as skipped
    if (best <= 2)
      throw tandem::Error("--metric '" + key + "': no run in " + dir + " logs it; did you mean '" +
                          nearest + "'? (see a run's metrics.jsonl for the keys)");
  }
}

// The command line without --nproc N (or --nproc=N): what each data-parallel worker runs.
std::vector<std::string> without_nproc(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    out.push_back(a);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tandem: the same alignment algorithms (PPO, APA, DPO, AIHF) on token generation and "
      "MuJoCo control"};
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "list registered envs or algorithms");
  std::string what, options_of;
  list->add_option("what", what, "envs | algorithms")
      ->required()
      ->check(CLI::IsMember({"envs", "algorithms"}));
  list->add_option("--options", options_of,
                   "with `envs`: every option of env ENV and of its policy, with default, range "
                   "and help")
      ->option_text("ENV");

  tandem::suites::RunRequest run;
  std::string xml;
  auto* train =
      app.add_subcommand("train", "train one run and write results/runs/ENV__ALGO__SEED/");
  auto* env_option = train->add_option("--env", run.env_id, "env id (see `tandem list envs`)");
  env_option->capture_default_str();
  train->add_option("--xml", xml,
                    "train on any MuJoCo XML model (the mujoco/xml env; instead of --env); the "
                    "run folder is named after the file: results/runs/xml_STEM__ALGO__SEED");
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
  int nproc = 1;
  train
      ->add_option("--nproc", nproc,
                   "data-parallel worker processes on this machine (rollouts and minibatches "
                   "split among them, gradients averaged over c10d/Gloo; rank 0 evaluates and "
                   "writes). Under torchrun or srun, leave it out: RANK/WORLD_SIZE or "
                   "SLURM_PROCID/SLURM_STEP_NUM_TASKS place each process")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  train->add_flag("--resume", run.resume,
                  "continue the interrupted run in --out from its checkpoint (same configuration): "
                  "every algorithm goes on exactly where it stopped and writes the metrics the "
                  "uninterrupted run would");

  tandem::suites::EvalRequest eval;
  bool stochastic = false;
  auto* ev = app.add_subcommand("eval", "evaluate a checkpoint (config.json must sit beside it)");
  ev->add_option("--checkpoint", eval.checkpoint, "a run folder, or the checkpoint.pt in it")
      ->required();
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
                      "keep finished runs (those with a `done` file) and continue unfinished ones "
                      "from their last checkpoint (from the start when they have none)");
  run_suite->add_option("--only", runner.only,
                        "run only runs whose TASK/ALGO/seed-K contains PATTERN (or matches it as "
                        "a glob with * ? [)");
  run_suite->add_option("--results", runner.results_dir, "results root: runs go to DIR/SUITE/")
      ->capture_default_str();
  bool no_report = false;
  run_suite->add_flag("--no-report", no_report, "do not write the report at the end");
  run_suite
      ->add_option("--executor", runner.executor,
                   "where runs execute: local worker processes, or slurm: the unfinished "
                   "runs as one Slurm job array (sbatch), followed with squeue; the run "
                   "folders must be on a filesystem the nodes share")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  run_suite->add_option("--partition", runner.slurm.partition,
                        "slurm: the partition (default: the cluster's)");
  run_suite->add_option("--time-limit", runner.slurm.time_limit,
                        "slurm: each run's time limit in sbatch's --time format (e.g. 30, "
                        "2:00:00); a run that hits it writes its checkpoint and --resume "
                        "continues it");
  run_suite
      ->add_option("--cpus-per-run", runner.slurm.cpus_per_run,
                   "slurm: CPUs per run (default: the suite's threads)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  run_suite
      ->add_option("--tasks-per-run", runner.slurm.tasks_per_run,
                   "slurm: data-parallel processes per run (each array task runs its run as "
                   "`srun --ntasks N tandem train`, over as many nodes as Slurm gives it)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  std::string sbatch_args;
  run_suite->add_option("--sbatch-args", sbatch_args,
                        "slurm: more sbatch arguments, one string (e.g. \"--account=A --qos=Q\")");
  bool no_wait = false;
  run_suite->add_flag("--no-wait", no_wait,
                      "slurm: submit and return; the same command with --resume follows the "
                      "array and writes the report");

  std::string report_dir;
  std::vector<std::string> report_metrics;
  tandem::suites::ReportOptions report;
  auto* report_cmd =
      app.add_subcommand("report", "write report.md and report.html for a suite's results folder");
  report_cmd->add_option("dir", report_dir, "the suite's results folder, e.g. results/smoke")
      ->required();
  report_cmd->add_option("--metric", report_metrics,
                         "metric key to report, repeatable (default: eval/return_mean)");
  auto* baseline_option = report_cmd->add_option(
      "--baseline", report.baseline, "label the probability of improvement compares against");
  baseline_option->capture_default_str();
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
    if (*list) {
      if (!options_of.empty() && what != "envs")
        throw tandem::Error("--options ENV goes with `tandem list envs`");
      if (!options_of.empty()) return list_env_options(options_of);
      return what == "envs" ? list_envs() : list_algorithms();
    }
    if (*train) {
      if (!xml.empty()) {
        if (env_option->count() > 0 && run.env_id != "mujoco/xml")
          throw tandem::Error("--xml and --env '" + run.env_id +
                              "' both name the env: give one (the XML file is the env)");
        run.env_id = "mujoco/xml";
        run.set.push_back("env.xml=" + json(xml).dump());
        // every XML is the env mujoco/xml: its file names the run, so two models do not meet
        if (run.out_dir.empty())
          run.out_dir = "results/runs/" + tandem::suites::run_name(
                                              "xml_" + std::filesystem::path(xml).stem().string(),
                                              run.algorithm, run.seed);
      }
      run.progress = !quiet;
      if (nproc > 1) return tandem::suites::launch_data_parallel(without_nproc(argc, argv), nproc);
      tandem::algorithms::DataParallel::start(tandem::algorithms::data_parallel_place_from_env());
      auto outcome = tandem::suites::train_run(run);
      // the other ranks of a data-parallel run trained beside rank 0, which speaks for the run
      if (tandem::algorithms::RunContext::secondary_rank()) return 0;
      std::printf("run folder: %s%s\n", outcome.out_dir.c_str(),
                  outcome.resumed ? " (resumed from its checkpoint)" : "");
      // a learned reward model (reward_model's, or AIHF's last round) and its held-out pairs
      const std::string reward_model = outcome.out_dir + "/reward_model.json";
      std::string accuracy;
      if (std::filesystem::exists(reward_model)) {
        const json info = tandem::read_json_file(reward_model);
        if (info.contains("heldout_accuracy") && info.contains("heldout_ceiling")) {
          char line[256];
          std::snprintf(line, sizeof(line),
                        "held-out pair accuracy: %.3f, against a ceiling of %.3f (the gold "
                        "reward's own accuracy on these noisy labels)",
                        info["heldout_accuracy"].get<double>(),
                        info["heldout_ceiling"].get<double>());
          accuracy = line;
        }
      }
      // a reward model leaves the policy untouched: what it learned is its held-out accuracy
      if (run.algorithm == "reward_model" && !accuracy.empty()) {
        std::printf("%s (%.0f s)\n", accuracy.c_str(), outcome.wall_seconds);
        return 0;
      }
      // %.4g: control returns in the thousands and text gold rewards in [0, 1] both read well
      std::printf("final evaluation return: %.4g ± %.3g over %lld episodes (%.0f s)\n",
                  outcome.final_eval.return_mean, outcome.final_eval.return_std,
                  static_cast<long long>(run.eval_episodes), outcome.wall_seconds);
      if (!accuracy.empty()) std::printf("its reward model's %s\n", accuracy.c_str());
      return 0;
    }
    if (*ev) {
      eval.deterministic = !stochastic;
      auto s = tandem::suites::eval_checkpoint(eval);
      std::printf(
          "evaluation return: %.4g ± %.3g (min %.4g, max %.4g) over %lld episodes, "
          "mean length %.0f\n",
          s.return_mean, s.return_std, s.return_min, s.return_max,
          static_cast<long long>(eval.episodes), s.length_mean);
      return 0;
    }
    if (*run_suite) {
      runner.report = !no_report;
      if (runner.executor != "slurm" &&
          (no_wait || !sbatch_args.empty() || !runner.slurm.partition.empty() ||
           !runner.slurm.time_limit.empty() || runner.slurm.cpus_per_run > 0 ||
           runner.slurm.tasks_per_run > 1))
        throw tandem::Error(
            "--partition, --time-limit, --cpus-per-run, --tasks-per-run, --sbatch-args and "
            "--no-wait go with --executor slurm");
      runner.slurm.wait = !no_wait;
      runner.slurm.max_running = runner.jobs;
      std::istringstream words(sbatch_args);
      for (std::string w; words >> w;) runner.slurm.sbatch_args.push_back(w);
      const tandem::suites::Suite suite = tandem::suites::load_suite(suite_path);
      const auto outcome = tandem::suites::run_suite(suite, runner);
      if (outcome.interrupted) return 130;
      return outcome.ok() ? 0 : 1;
    }
    if (*report_cmd) {
      check_report_request(report_dir, report_metrics, report.baseline,
                           baseline_option->count() > 0);
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
