#include "suites/report/sections.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "suites/report/aggregate.h"
#include "suites/report/figures.h"
#include "suites/report/format.h"
#include "suites/report/metric_context.h"
#include "suites/report/protocol_setup.h"
#include "suites/report/task_extras.h"
#include "suites/stats.h"

namespace tandem::suites::report {

void describe_setup(Document& doc, const Analysis& a, const std::vector<RunRecord>& runs) {
  doc.heading(2, "Setup");
  // tasks: env, budget, evaluation, runs
  std::vector<std::vector<Cell>> rows;
  for (const auto& task : a.tasks) {
    const RunRecord* any = nullptr;
    int64_t total = 0, done = 0;
    double wall = 0;
    // a protocol suite's oracle runs the task's own budget; other labels may have their own
    const std::string oracle = label_with_role(a, "oracle");
    for (const auto& r : runs) {
      if (r.task != task) continue;
      ++total;
      if (r.config.is_object() && (!any || (r.algorithm == oracle && any->algorithm != oracle)))
        any = &r;
      if (!r.finished) continue;
      ++done;
      if (!r.metrics.empty())
        if (auto w = number_at(r.metrics.back(), "wall_seconds")) wall += *w;
    }
    std::string env = "?", steps = "?", eval = "?";
    if (any) {
      const json& c = any->config;
      env = c.value(json::json_pointer("/env/id"), std::string("?"));
      if (c.contains("steps")) steps = c["steps"].dump();
      if (c.contains("eval"))
        eval = "every " + c["eval"].value("interval", json()).dump() + " steps, " +
               c["eval"].value("episodes", json()).dump() + " episodes";
    }
    rows.push_back({{task},
                    {env},
                    {steps},
                    {eval},
                    {std::to_string(done) + " / " + std::to_string(total)},
                    {done ? fmt(wall / static_cast<double>(done)) : "—"}});
  }
  doc.table(
      {{"task"}, {"env"}, {"steps per run"}, {"evaluation"}, {"runs finished"}, {"wall s per run"}},
      rows);

  if (a.suite.protocol) {
    describe_protocol_setup(doc, a, runs);
    return;
  }
  // algorithms: the settings that tell labels of the same algorithm apart
  std::map<std::string, json> settings;  // label → algorithm fields and "policy.FIELD"s
  for (const auto& label : a.algorithms) {
    for (const auto& r : runs) {
      if (r.algorithm != label || !r.config.is_object()) continue;
      json flat = json::object();
      const json config = r.config.value(json::json_pointer("/algorithm/config"), json::object());
      for (auto it = config.begin(); it != config.end(); ++it) flat[it.key()] = *it;
      const json policy = r.config.value("policy", json::object());
      for (auto it = policy.begin(); it != policy.end(); ++it) flat["policy." + it.key()] = *it;
      settings[label] = flat;
      break;
    }
  }
  rows.clear();
  for (const auto& label : a.algorithms) {
    std::vector<std::string> differing;
    const json& mine = settings[label];
    for (const auto& [other, theirs] : settings) {
      if (other == label || a.algo_name.at(other) != a.algo_name.at(label)) continue;
      std::set<std::string> keys;
      for (auto it = theirs.begin(); it != theirs.end(); ++it) keys.insert(it.key());
      for (auto it = mine.begin(); it != mine.end(); ++it) keys.insert(it.key());
      for (const auto& k : keys) {
        const bool differs = !mine.contains(k) || !theirs.contains(k) || mine[k] != theirs[k];
        if (differs && std::find(differing.begin(), differing.end(), k) == differing.end())
          differing.push_back(k);
      }
    }
    std::string text;
    for (const auto& k : differing)
      text += (text.empty() ? "" : ", ") + k + " = " +
              (mine.contains(k) ? mine[k].dump() : std::string("(default)"));
    rows.push_back({{label}, {a.algo_name.at(label)}, {text.empty() ? "—" : text}});
  }
  doc.table({{"label"}, {"algorithm"}, {"settings that differ from other labels"}}, rows);
}

void report_metric(Document& doc, const Analysis& a, const MetricSpec& m,
                   const ReportOptions& options, Plotter& plotter, bool task_extras) {
  MetricContext c{a, m, options, plotter, {}, "", "", {}};
  c.boot.resamples = options.resamples;
  c.boot.confidence = options.confidence;
  c.boot.seed = options.seed;
  c.pct = std::to_string(static_cast<int>(std::lround(options.confidence * 100)));
  c.title = m.title + (m.unit.empty() ? "" : " (" + m.unit + ")");
  const BootstrapOptions& boot = c.boot;
  const std::string& pct = c.pct;
  const std::string& title = c.title;
  auto& cis = c.cis;
  const std::string direction = m.higher_is_better ? "higher is better" : "lower is better";

  doc.heading(2, title + " — `" + m.key + "`");
  const bool protocol = a.suite.protocol;
  doc.paragraph("Final score: the mean of each finished run's last 3 evaluations of `" + m.key +
                "` (all of them when it has fewer; one evaluation is noisy), " + direction +
                ". Mean over seeds with a " + pct + "% percentile bootstrap interval (" +
                std::to_string(options.resamples) + " resamples); the best mean per task in " +
                "**bold**" + (protocol ? " among the contenders" : "") +
                ". IQM: the mean of the middle 50% of seeds (stats.h)." +
                (protocol ? " The references `start` (the start policy π₀, not trained) and "
                            "`oracle` (PPO on the gold signal from π₀) frame the contenders and "
                            "are neither ranked nor bolded: they are listed apart."
                          : ""));
  if (task_extras) {
    // the text tasks' columns, explained once
    std::vector<const MetricSpec*> columns;
    for (const auto& spec : options.metrics) {
      if (spec.place != MetricPlace::kTextColumn) continue;
      bool logged = false;
      for (const auto& task : a.tasks)
        logged = logged || (is_text_task(a, task) && task_logs(a, task, spec.key));
      if (logged) columns.push_back(&spec);
    }
    if (!columns.empty()) {
      doc.paragraph(
          "On text tasks (env ids `text/...`) the evaluation return is the **gold reward** of "
          "the completions, the task's own score, which training never sees when it learns from "
          "feedback. Each text task's table adds columns, the mean over seeds of the runs' last "
          "logged value, and a row for the **base model**: the evaluation at env step 0, before "
          "any training, averaged over every finished run of the task (its KL is 0).");
      doc.list(column_legend(columns));
    }
  }

  // the final scores; the best mean of the contenders per task
  const std::vector<std::string> ranked = contenders(a);
  std::map<std::string, std::optional<double>> best;  // task → best contender mean
  std::map<std::pair<std::string, std::string>, size_t> seeds;
  for (const auto& task : a.tasks) {
    for (const auto& algo : a.algorithms) {
      auto scores = final_scores_of(a, task, algo, m.key);
      seeds[{task, algo}] = scores.size();
      if (scores.empty()) continue;
      cis[{task, algo}] = mean_ci(scores, boot);
      const double est = cis[{task, algo}].estimate;
      std::optional<double>& b = best[task];
      if (!is_reference(a, algo) && (!b || better(est, *b, m.higher_is_better))) b = est;
    }
  }
  auto is_best = [&](const std::string& task, const std::string& algo) {
    auto it = cis.find({task, algo});
    return it != cis.end() && !is_reference(a, algo) && best[task] &&
           it->second.estimate == *best[task];
  };
  auto few_seeds = [&](const std::string& task, const std::string& algo) {
    const size_t n = seeds[{task, algo}];
    return n > 0 && n < kMinimumSeeds;
  };

  // overview: tasks × algorithms, the references' columns last
  std::vector<Cell> header = {{"task"}};
  for (const auto& algo : a.algorithms)
    header.push_back({algo + (is_reference(a, algo) ? " (reference)" : "")});
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> few;
  for (const auto& task : a.tasks) {
    std::vector<Cell> row = {{task}};
    for (const auto& algo : a.algorithms) {
      auto it = cis.find({task, algo});
      row.push_back(it == cis.end() ? Cell{"—"}
                                    : Cell{fmt_interval(it->second), is_best(task, algo)});
      if (few_seeds(task, algo))
        few.push_back(task + "/" + algo + " (" + seeds_text(seeds[{task, algo}]) + ")");
    }
    rows.push_back(row);
  }
  doc.heading(3, "Final " + m.title + " per task: mean [" + pct + "% CI]");
  doc.table(header, rows);
  if (!few.empty()) doc.paragraph(few_seeds_warning("this table", few));

  // per task: the algorithms in detail, and the curves
  for (const auto& task : a.tasks) {
    doc.heading(3, task);
    rows.clear();
    few.clear();
    const bool text = task_extras && is_text_task(a, task);
    const std::vector<const MetricSpec*> columns =
        text ? logged_columns(a, task, options.metrics, MetricPlace::kTextColumn)
             : std::vector<const MetricSpec*>{};
    if (!columns.empty()) {
      // the base model: every run's evaluation at env step 0
      auto initials = [&](const std::string& key) {
        std::vector<double> out;
        for (const auto* r : a.finished)
          if (r->task == task)
            if (auto v = initial_value(*r, key)) out.push_back(*v);
        return out;
      };
      std::vector<Cell> row = {
          {"base model (env step 0)"}, {"—"}, mean_cell(initials(m.key)), {"—"}};
      for (const auto* spec : columns) row.push_back(mean_cell(initials(spec->key)));
      row.push_back({"—"});
      rows.push_back(row);
    }
    auto label_row = [&](const std::string& algo) {
      auto scores = final_scores_of(a, task, algo, m.key);
      auto it = cis.find({task, algo});
      const bool bold = is_best(task, algo);
      std::string name = a.algo_name.at(algo);
      if (role_of(a, algo) == "start") name += " (π₀, not trained)";
      if (role_of(a, algo) == "oracle") name += " (on the gold signal)";
      std::vector<Cell> row = {{algo, bold},
                               {name},
                               {it == cis.end() ? "—" : fmt_interval(it->second), bold},
                               {scores.empty() ? "—" : fmt(interquartile_mean(scores))}};
      for (const auto* spec : columns)
        row.push_back(mean_cell(finals_of(a, task, algo, spec->key)));
      row.push_back({std::to_string(scores.size())});
      rows.push_back(row);
      if (few_seeds(task, algo)) few.push_back(algo + " (" + seeds_text(scores.size()) + ")");
    };
    for (const auto& algo : ranked) label_row(algo);
    if (protocol) {
      // the references apart, under a separator row: framing, not ranked
      std::vector<Cell> separator(4 + columns.size() + 1, Cell{""});
      separator[0].text = "references (not ranked):";
      rows.push_back(separator);
      for (const auto& algo : a.algorithms)
        if (is_reference(a, algo)) label_row(algo);
    }
    header = {{"label"}, {"algorithm"}, {"final mean [" + pct + "% CI]"}, {"IQM"}};
    for (const auto* spec : columns) header.push_back({spec->column});
    header.push_back({"seeds finished"});
    doc.table(header, rows);
    if (!few.empty()) doc.paragraph(few_seeds_warning("the " + task + " table", few));
    if (m.curves) task_curves(doc, c, task);
    if (m.curves) gradient_step_curves(doc, c, task);
    if (task_extras) frontier_figure(doc, c, task);
    if (task_extras) preference_table(doc, c, task);
    if (text) samples_table(doc, c, task);
  }
  if (m.aggregate) aggregate_section(doc, c);
}

}  // namespace tandem::suites::report
