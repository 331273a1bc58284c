#include "suites/report.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "envs/config.h"
#include "suites/report/claims.h"
#include "suites/report/document.h"
#include "suites/report/gnuplot.h"
#include "suites/report/run_data.h"
#include "suites/report/sections.h"
#include "suites/report/tuning_section.h"

// This file: the default metrics and write_report, which reads the runs, fills a Document section
// by section and writes it out. The parts it calls on are under report/, in namespace
// tandem::suites::report:
//   run_data     what the runs logged: load_runs, final scores, curves over seeds, suite.json
//                (roles, protocol, claims), Analysis
//   claims       the suite's claims and their verdicts, after the setup
//   tuning_section  a tuned suite's grids, tuning scores and choices, after the claims
//   normalize    final scores normalized per task: start/oracle (protocol) or each run's start
//   sections     the setup (a protocol suite's in protocol_setup, with algorithm_defaults),
//                and each metric's section (report_metric), which calls on
//   aggregate    the aggregate over tasks of normalized scores (normalize),
//   task_extras  text tasks' columns, DPO's implicit rewards, sample completions,
//   figures      curves, the aggregate's interval plot, the reward-KL frontier,
//   gnuplot      colours, axes, legends and Plotter, which runs gnuplot,
//   document     the Document they fill, written as Markdown and as HTML,
//   format       numbers and names as the report writes them.
namespace tandem::suites {
namespace fs = std::filesystem;

namespace {

MetricSpec section(const std::string& key, const std::string& title, const std::string& unit) {
  MetricSpec m;
  m.key = key;
  m.title = title;
  m.unit = unit;
  return m;
}

// A column of a compact per-task table: no aggregate (KL or a length is no score to normalize);
// curves when asked for as a section.
MetricSpec column(MetricPlace place, const std::string& key, const std::string& header,
                  const std::string& title, const std::string& unit, bool higher_is_better,
                  const std::string& note) {
  MetricSpec m = section(key, title, unit);
  m.higher_is_better = higher_is_better;
  m.aggregate = false;
  m.place = place;
  m.column = header;
  m.note = note;
  return m;
}

MetricSpec sampled_return_section() {
  MetricSpec m = section("eval/sampled_return_mean", "sampled-action return", "");
  m.aggregate = false;
  m.only_where_logged = true;  // text tasks sample anyway: they do not log it
  return m;
}

}  // namespace

std::vector<MetricSpec> default_report_metrics() {
  // text tasks: algorithm.cc's evaluation_extras and evaluation.cc; DPO: dpo.cc. A key no run
  // logs is skipped, so listing one costs nothing where it does not apply.
  const MetricPlace text = MetricPlace::kTextColumn, pref = MetricPlace::kPreferenceColumn;
  return {
      section("eval/return_mean", "evaluation return", ""),
      // control evaluations also sample the policy's actions (docs/protocol.md §5): a preference
      // learner may change the distribution more than its mean; tables and curves, no aggregate
      sampled_return_section(),
      column(text, "eval/kl_ref", "KL k1", "KL to the reference, k1 estimate",
             "nats per completion", false,
             "the sum over the completion's tokens of `log π/π_ref`: unbiased, but a finite "
             "sample can make it negative, which is noise, not a negative KL"),
      column(text, "eval/kl_ref_k3", "KL k3", "KL to the reference, k3 estimate",
             "nats per completion", false,
             "the sum over the tokens of `r − 1 − log r` with `r = π_ref/π`: unbiased too, never "
             "negative, lower variance (Schulman 2020, \"Approximating KL divergence\")"),
      column(text, "eval/distinct_2", "distinct-2", "distinct-2", "", true,
             "distinct bigrams over all bigrams of the evaluation completions: falls when the "
             "policy collapses onto a few completions"),
      column(text, "eval/entropy", "entropy", "policy entropy", "nats per token", true,
             "the policy's mean per-token entropy on its completions"),
      column(text, "eval/length_mean", "length", "completion length", "tokens", true,
             "mean completion length: a length that grows with the reward hints at reward "
             "hacking by length"),
      column(text, "eval/proxy_reward", "proxy reward", "proxy reward", "", true,
             "the learned reward model's score (RLHF runs): far above a flat gold reward, the "
             "policy exploits the reward model"),
      column(pref, "dpo/train_chosen_reward", "chosen (train)", "implicit reward of chosen", "",
             true,
             "`β·(log π − log π_ref)` of the preferred completion, mean over the training pairs "
             "since the previous evaluation; 0 at the start (`π = π_ref`)"),
      column(pref, "dpo/train_rejected_reward", "rejected (train)", "implicit reward of rejected",
             "", false, "the same for the other completion"),
      column(pref, "dpo/train_margin", "margin (train)", "implicit reward margin", "", true,
             "chosen − rejected, what the loss pushes up; a chosen reward going down while the "
             "margin grows means both completions lose likelihood, the rejected one faster"),
      column(pref, "dpo/heldout_chosen_reward", "chosen (held-out)",
             "held-out implicit reward of chosen", "", true, "the same on held-out pairs"),
      column(pref, "dpo/heldout_rejected_reward", "rejected (held-out)",
             "held-out implicit reward of rejected", "", false, ""),
      column(pref, "dpo/heldout_margin", "margin (held-out)", "held-out implicit reward margin", "",
             true, ""),
      column(pref, "dpo/heldout_accuracy", "accuracy (held-out)", "held-out pair accuracy", "",
             true,
             "the share of held-out pairs whose chosen completion has the larger implicit "
             "reward"),
  };
}

MetricSpec metric_spec_for(const std::string& key) {
  for (auto m : default_report_metrics()) {
    if (m.key != key) continue;
    m.place = MetricPlace::kSection;  // asked for by name: a section of its own
    return m;
  }
  return section(key, key, "");
}

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

ReportOutcome write_report(const std::string& suite_dir, const ReportOptions& options) {
  const std::vector<RunRecord> runs = load_runs(suite_dir);
  ReportOutcome outcome;
  report::Analysis a;
  std::vector<std::string> unfinished, damaged;
  for (const auto& r : runs) {
    if (std::find(a.tasks.begin(), a.tasks.end(), r.task) == a.tasks.end())
      a.tasks.push_back(r.task);
    if (!a.algo_name.count(r.algorithm)) {
      a.algorithms.push_back(r.algorithm);
      a.algo_name[r.algorithm] = "?";
    }
    if (r.config.is_object() && a.algo_name[r.algorithm] == "?")
      a.algo_name[r.algorithm] =
          r.config.value(json::json_pointer("/algorithm/name"), std::string("?"));
    if (r.config.is_object() && !a.env_id.count(r.task))
      a.env_id[r.task] = r.config.value(json::json_pointer("/env/id"), std::string());
    if (r.finished) {
      a.finished.push_back(&r);
    } else if (!r.damaged.empty()) {
      const std::string name = r.task + "/" + r.algorithm + "/seed-" + std::to_string(r.seed);
      damaged.push_back("`" + name + "`: " + r.damaged);
      outcome.notes.push_back("damaged run left out: " + name + ": " + r.damaged);
    } else {
      unfinished.push_back(r.task + "/" + r.algorithm + "/seed-" + std::to_string(r.seed));
    }
  }
  a.suite = report::read_suite_info(suite_dir, outcome.notes);
  // contenders before references (start, then oracle); among them the baseline first, the others
  // in name order: the same colour for a label in every figure
  auto rank = [&](const std::string& label) {
    const std::string role = report::role_of(a, label);
    return std::make_tuple(role == "oracle"  ? 2
                           : role == "start" ? 1
                                             : 0,
                           label != options.baseline, label);
  };
  std::sort(a.algorithms.begin(), a.algorithms.end(),
            [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
  outcome.runs_finished = static_cast<int64_t>(a.finished.size());
  outcome.runs_unfinished = static_cast<int64_t>(unfinished.size());

  fs::path normal = fs::path(suite_dir).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();  // "results/smoke/"
  const std::string suite = normal.filename().string();
  report::Document doc;
  doc.heading(1, "Suite " + suite);
  doc.paragraph(std::to_string(a.finished.size()) + " finished runs of " +
                std::to_string(runs.size()) + " (" + std::to_string(a.tasks.size()) + " tasks × " +
                std::to_string(a.algorithms.size()) + " algorithms), read from `" + suite_dir +
                "` on " + utc_now() + " by `tandem report`.");
  if (!unfinished.empty()) {
    doc.paragraph(
        "Unfinished runs (no `done`: interrupted, failed or still running; see their "
        "`log.txt`), left out of every table and figure:");
    for (auto& u : unfinished) u = "`" + u + "`";
    doc.list(unfinished);
  }
  if (!damaged.empty()) {
    doc.paragraph(
        "**Damaged runs** (a `done`, but their files do not hold what the run wrote: cut short, "
        "edited or unreadable), left out of every table and figure; remove such a folder and "
        "rerun the suite with `--resume` to train it again:");
    doc.list(damaged);
  }
  if (runs.empty()) doc.paragraph("There are no run folders here yet.");
  report::describe_setup(doc, a, runs);
  report::claims_section(doc, a, options);
  report::tuning_section(doc, a);

  report::Plotter plotter(suite_dir, options, outcome);
  std::vector<std::string> absent;
  bool first = true;
  for (const auto& m : options.metrics) {
    if (m.place != MetricPlace::kSection) continue;  // columns show beside the first section
    bool logged = false;
    for (const auto* r : a.finished) logged = logged || report::final_value(*r, m.key).has_value();
    if (!logged) {
      if (!m.only_where_logged) absent.push_back("`" + m.key + "`");
      continue;
    }
    if (m.only_where_logged) {
      // the tasks that log it, alone (a control metric in a suite with text tasks)
      report::Analysis some = a;
      some.tasks.erase(
          std::remove_if(some.tasks.begin(), some.tasks.end(),
                         [&](const std::string& task) {
                           for (const auto* r : a.finished)
                             if (r->task == task && report::final_value(*r, m.key).has_value())
                               return false;
                           return true;
                         }),
          some.tasks.end());
      report::report_metric(doc, some, m, options, plotter, first);
    } else {
      report::report_metric(doc, a, m, options, plotter, first);
    }
    first = false;
  }
  if (!absent.empty()) {
    std::string list;
    for (const auto& k : absent) list += (list.empty() ? "" : ", ") + k;
    doc.paragraph("Metrics no finished run logs (skipped): " + list + ".");
  }
  if (!outcome.notes.empty()) {
    doc.heading(2, "Notes");
    doc.list(outcome.notes);
  }

  outcome.markdown_path = (fs::path(suite_dir) / "report.md").string();
  outcome.html_path = (fs::path(suite_dir) / "report.html").string();
  write_file_atomic(outcome.markdown_path, report::to_markdown(doc));
  write_file_atomic(outcome.html_path, report::to_html(doc, "Suite " + suite, suite_dir));
  return outcome;
}

}  // namespace tandem::suites
