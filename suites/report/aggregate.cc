#include "suites/report/aggregate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "suites/report/figures.h"
#include "suites/report/format.h"
#include "suites/report/run_data.h"
#include "suites/stats.h"

namespace tandem::suites::report {

void aggregate_section(Document& doc, const MetricContext& c) {
  const Analysis& a = c.a;
  const MetricSpec& m = c.m;
  const ReportOptions& options = c.options;
  const BootstrapOptions& boot = c.boot;
  const std::string& pct = c.pct;
  std::vector<Cell> header;
  std::vector<std::vector<Cell>> rows;
  doc.heading(3, "Aggregate over tasks (normalized " + m.title + ")");
  // per task: each run against its own start, on the task's one scale (stats.h)
  std::vector<std::string> tasks_used, skipped, scales;
  std::vector<StartNormalization> norms;
  size_t no_start = 0;
  for (const auto& task : a.tasks) {
    std::vector<std::vector<StartAndFinal>> runs(a.algorithms.size());
    size_t n_runs = 0;
    for (size_t i = 0; i < a.algorithms.size(); ++i)
      for (const auto* r : runs_of(a, task, a.algorithms[i])) {
        auto final_score = final_value(*r, m.key), start = initial_value(*r, m.key);
        if (final_score) (start ? ++n_runs : ++no_start);
        if (final_score && start) runs[i].push_back({*start, *final_score});
      }
    if (n_runs == 0) {
      skipped.push_back(task + " (no evaluation at env step 0)");
      continue;
    }
    StartNormalization n = normalize_against_starts(runs, m.higher_is_better);
    const std::string& ref_label = a.algorithms[n.reference_label];
    if (!n.scalable) {
      skipped.push_back(task + " (every label starts at or beyond the best final mean, " +
                        fmt(n.reference) + " by " + ref_label + ": nothing to scale)");
      continue;
    }
    std::string line = task + ": reference " + fmt(n.reference) + " (" + ref_label +
                       "'s final mean), lowest start " + fmt(n.lowest_start) + " (" +
                       a.algorithms[n.lowest_start_label] + "'s mean start)";
    for (size_t i = 0; i < runs.size(); ++i)
      if (!runs[i].empty() && !better(n.reference, n.mean_start[i], m.higher_is_better))
        line += "; " + a.algorithms[i] + " starts at " + fmt(n.mean_start[i]) +
                ", at or beyond the reference: only its change from there shows";
    scales.push_back(line + ".");
    tasks_used.push_back(task);
    norms.push_back(std::move(n));
  }
  const size_t base_i = static_cast<size_t>(
      std::find(a.algorithms.begin(), a.algorithms.end(), options.baseline) - a.algorithms.begin());
  const bool has_baseline = base_i < a.algorithms.size();
  doc.paragraph(
      "Per task, each run is normalized against **its own start**: (final − start) / (reference "
      "− lowest start). **start** is the run's own `" +
      m.key +
      "` at env step 0 (labels may start from different policies: fresh networks, an expert's "
      "snapshot), **reference** the best final mean of any label on the task, **lowest start** "
      "the worst mean start of any label. 0 is no change from the run's start, below 0 worse; 1 "
      "a gain as large as the span from the lowest start to the reference. One scale per task: "
      "(reference − the run's start) would blow up for a run starting just short of the "
      "reference and flip the sign of one starting beyond it. A label starting at or beyond the "
      "reference shows only its change; the one setting the reference may have got there by "
      "starting there. The aggregate ranks this suite's labels, not comparable across suites. "
      "Mean: the mean over tasks of the per-task mean; IQM: the IQM of all runs pooled. " +
      pct + "% stratified bootstrap intervals: seeds are resampled within each task." +
      (has_baseline ? " P(X > " + options.baseline +
                          "): the probability that a run of the label "
                          "gains more (normalized) over its own start than a run of " +
                          options.baseline +
                          " on the same task (ties count ½), averaged over tasks, with a "
                          "stratified bootstrap interval."
                    : ""));
  if (!scales.empty()) doc.list(scales);
  if (no_start > 0)
    doc.paragraph("Left out: " + std::to_string(no_start) + " finished run" +
                  (no_start == 1 ? "" : "s") + " without an evaluation at env step 0 (no start).");
  if (!skipped.empty()) {
    std::string list;
    for (const auto& s : skipped) list += (list.empty() ? "" : "; ") + s;
    doc.paragraph("Tasks left out of the aggregate: " + list + ".");
  }
  if (tasks_used.empty()) {
    doc.paragraph("No task can be normalized, so there is no aggregate.");
    return;
  }
  auto scores_of = [&](size_t i, std::vector<size_t>* task_index) {  // i: the label's index
    TaskScores scores;
    for (size_t t = 0; t < tasks_used.size(); ++t) {
      if (norms[t].scores[i].empty()) continue;
      scores.push_back(norms[t].scores[i]);
      if (task_index) task_index->push_back(t);
    }
    return scores;
  };
  rows.clear();
  std::vector<AggregateRow> agg;
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    std::vector<size_t> index;
    TaskScores scores = scores_of(i, &index);
    if (scores.empty()) continue;
    AggregateRow row{i, algo, aggregate_mean_ci(scores, boot), aggregate_iqm_ci(scores, boot), {}};
    std::string poi_text = "—";
    if (has_baseline && algo != options.baseline) {
      // both algorithms on the tasks both have
      std::vector<size_t> base_index;
      TaskScores base = scores_of(base_i, &base_index);
      TaskScores x, y;
      for (size_t k = 0; k < index.size(); ++k) {
        auto it = std::find(base_index.begin(), base_index.end(), index[k]);
        if (it == base_index.end()) continue;
        x.push_back(scores[k]);
        y.push_back(base[static_cast<size_t>(it - base_index.begin())]);
      }
      if (!x.empty()) {
        row.poi = probability_of_improvement_ci(x, y, boot);
        row.has_poi = true;
        poi_text = fmt_interval(row.poi, fmt2);
      }
    }
    size_t n_runs = 0;
    for (const auto& t : scores) n_runs += t.size();
    std::vector<Cell> cells = {
        {algo}, {fmt_interval(row.mean, fmt2)}, {fmt_interval(row.iqm, fmt2)}};
    if (has_baseline) cells.push_back({poi_text});
    cells.push_back({std::to_string(scores.size()) + " / " + std::to_string(tasks_used.size())});
    cells.push_back({std::to_string(n_runs)});
    rows.push_back(cells);
    agg.push_back(row);
  }
  // bold: the best mean and the best IQM
  for (int column : {1, 2}) {
    double best = -INFINITY;
    for (const auto& r : agg) best = std::max(best, column == 1 ? r.mean.estimate : r.iqm.estimate);
    for (size_t k = 0; k < agg.size(); ++k)
      rows[k][static_cast<size_t>(column)].bold =
          (column == 1 ? agg[k].mean.estimate : agg[k].iqm.estimate) == best;
  }
  header = {{"label"}, {"normalized mean [" + pct + "% CI]"}, {"normalized IQM [" + pct + "% CI]"}};
  if (has_baseline) header.push_back({"P(X > " + options.baseline + ") [" + pct + "% CI]"});
  header.push_back({"tasks"});
  header.push_back({"runs"});
  doc.table(header, rows);

  if (options.figures) aggregate_figure(doc, c, agg, tasks_used.size(), has_baseline);
}

}  // namespace tandem::suites::report
