#include "suites/report/aggregate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "suites/report/figures.h"
#include "suites/report/format.h"
#include "suites/report/normalize.h"
#include "suites/report/run_data.h"
#include "suites/stats.h"

namespace tandem::suites::report {

namespace {

// What the normalized scores mean, for one of the two scales (normalize.h).
std::string scale_text(const Analysis& a, const MetricSpec& m, bool protocol) {
  if (protocol)
    return "Per task, each contender's final score (the mean of its last 3 evaluations) is "
           "normalized against the task's **references**: (score − start) / (oracle − start), "
           "where **start** is the mean final score of `" +
           label_with_role(a, "start") +
           "` (the start policy π₀, not trained) and **oracle** that of `" +
           label_with_role(a, "oracle") +
           "` (PPO on the gold signal from π₀, with the same env-step budget and anchor). So 0 is "
           "where every contender started, 1 what RL on the gold signal reached; above 1 the "
           "contender beat it, below 0 it got worse than π₀. The references frame the contenders "
           "and are not ranked with them.";
  return "Per task, each run is normalized against **its own start**: (final − start) / (reference "
         "− lowest start). **final** is the run's final score (the mean of its last 3 "
         "evaluations), **start** the run's own `" +
         m.key +
         "` at env step 0 (labels may start from different policies: fresh networks, an expert's "
         "snapshot), **reference** the best final mean of any label on the task, **lowest start** "
         "the worst mean start of any label. 0 is no change from the run's start, below 0 worse; "
         "1 a gain as large as the span from the lowest start to the reference. One scale per "
         "task: (reference − the run's start) would blow up for a run starting just short of the "
         "reference and flip the sign of one starting beyond it. A label starting at or beyond "
         "the reference shows only its change; the one setting the reference may have got there "
         "by starting there. The aggregate ranks this suite's labels, not comparable across "
         "suites.";
}

}  // namespace

void aggregate_section(Document& doc, const MetricContext& c) {
  const Analysis& a = c.a;
  const MetricSpec& m = c.m;
  const ReportOptions& options = c.options;
  const BootstrapOptions& boot = c.boot;
  const std::string& pct = c.pct;
  doc.heading(3, "Aggregate over tasks (normalized " + m.title + ")");
  const Normalized n = normalize(a, m);
  const std::vector<std::string> labels = contenders(a);
  const bool has_baseline =
      std::find(labels.begin(), labels.end(), options.baseline) != labels.end();
  doc.paragraph(
      scale_text(a, m, n.protocol) +
      " Mean: the mean over tasks of the per-task mean; IQM: the IQM of all runs pooled. " + pct +
      "% stratified bootstrap intervals: seeds are resampled within each task." +
      (has_baseline ? " P(X > " + options.baseline +
                          "): the probability that a run of the label scores higher (normalized) "
                          "than a run of " +
                          options.baseline +
                          " on the same task (ties count ½), averaged over tasks, with a "
                          "stratified bootstrap interval."
                    : " There is no probability-of-improvement column: no " +
                          std::string(n.protocol ? "contender" : "label") + " is labelled `" +
                          options.baseline + "`, the baseline (`tandem report --baseline`)."));
  doc.list(n.scales);
  if (n.no_start > 0)
    doc.paragraph("Left out: " + std::to_string(n.no_start) + " finished run" +
                  (n.no_start == 1 ? "" : "s") +
                  " without an evaluation at env step 0 (no start).");
  if (!n.skipped.empty()) {
    std::string list;
    for (const auto& s : n.skipped) list += (list.empty() ? "" : "; ") + s;
    doc.paragraph("Tasks left out of the aggregate: " + list + ".");
  }
  if (n.tasks.empty()) {
    doc.paragraph("No task can be normalized, so there is no aggregate.");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  std::vector<AggregateRow> agg;
  std::vector<std::string> few;
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    if (std::find(labels.begin(), labels.end(), algo) == labels.end()) continue;
    std::vector<std::string> tasks;
    TaskScores scores = n.of(algo, &tasks);
    if (scores.empty()) continue;
    AggregateRow row{i, algo, aggregate_mean_ci(scores, boot), aggregate_iqm_ci(scores, boot), {}};
    std::string poi_text = "—";
    if (has_baseline && algo != options.baseline) {
      // both algorithms on the tasks both have
      TaskScores x, y;
      for (size_t k = 0; k < tasks.size(); ++k) {
        TaskScores base = n.of(options.baseline, nullptr, {tasks[k]});
        if (base.empty()) continue;
        x.push_back(scores[k]);
        y.push_back(base[0]);
      }
      if (!x.empty()) {
        row.poi = probability_of_improvement_ci(x, y, boot);
        row.has_poi = true;
        poi_text = fmt_interval(row.poi, fmt2);
      }
    }
    size_t n_runs = 0, fewest = SIZE_MAX;
    for (const auto& t : scores) {
      n_runs += t.size();
      fewest = std::min(fewest, t.size());
    }
    if (fewest < kMinimumSeeds)
      few.push_back(algo + " (" + (scores.size() > 1 ? "as few as " : "") + seeds_text(fewest) +
                    (scores.size() > 1 ? " on a task" : "") + ")");
    std::vector<Cell> cells = {
        {algo}, {fmt_interval(row.mean, fmt2)}, {fmt_interval(row.iqm, fmt2)}};
    if (has_baseline) cells.push_back({poi_text});
    cells.push_back({std::to_string(scores.size()) + " / " + std::to_string(n.tasks.size())});
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
  std::vector<Cell> header = {
      {"label"}, {"normalized mean [" + pct + "% CI]"}, {"normalized IQM [" + pct + "% CI]"}};
  if (has_baseline) header.push_back({"P(X > " + options.baseline + ") [" + pct + "% CI]"});
  header.push_back({"tasks"});
  header.push_back({"runs"});
  doc.table(header, rows);
  const std::string warning = few_seeds_warning("the aggregate", few);
  if (!warning.empty()) doc.paragraph(warning);

  if (options.figures) aggregate_figure(doc, c, agg, n.tasks.size(), has_baseline);
}

}  // namespace tandem::suites::report
