#include "suites/report/claims.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "suites/report/format.h"
#include "suites/report/normalize.h"
#include "suites/stats.h"

namespace tandem::suites::report {

namespace {

// "5 seeds each", or the range per side when they differ: "dpo 3–5 seeds, ppo 5 seeds".
std::string seeds_behind(const std::string& a, const TaskScores& x, const std::string& b,
                         const TaskScores& y, size_t* fewest) {
  auto range = [&](const TaskScores& s) {
    size_t lo = SIZE_MAX, hi = 0;
    for (const auto& t : s) {
      lo = std::min(lo, t.size());
      hi = std::max(hi, t.size());
    }
    *fewest = std::min(*fewest, lo);
    return lo == hi ? seeds_text(lo) : std::to_string(lo) + "–" + seeds_text(hi);
  };
  const std::string rx = range(x), ry = range(y);
  if (rx == ry) return rx + " each" + (x.size() > 1 ? " per task" : "");
  return a + " " + rx + ", " + b + " " + ry + (x.size() > 1 ? " per task" : "");
}

}  // namespace

void claims_section(Document& doc, const Analysis& a, const ReportOptions& options) {
  if (a.suite.claims.empty()) return;
  const MetricSpec* m = nullptr;
  for (const auto& spec : options.metrics) {
    if (spec.place != MetricPlace::kSection || !spec.aggregate || m) continue;
    for (const auto* r : a.finished)
      if (final_value(*r, spec.key)) {
        m = &spec;
        break;
      }
  }
  doc.heading(2, "Claims");
  if (!m) {
    doc.paragraph("No finished run logs a metric to judge the claims by.");
    return;
  }
  BootstrapOptions boot;
  boot.resamples = options.resamples;
  boot.confidence = options.confidence;
  boot.seed = options.seed;
  const std::string pct = std::to_string(static_cast<int>(std::lround(options.confidence * 100)));
  const Normalized n = normalize(a, *m);
  doc.paragraph(
      "Each claim \"A beats B\" is judged on the difference A − B of normalized final " + m->title +
      " (`" + m->key + "`, the mean of a run's last 3 evaluations; " +
      (n.protocol ? "per task 0 = the start π₀, 1 = the oracle"
                  : "per task each run against its own start, as in the aggregate") +
      "): the mean over the claim's tasks of the per-task difference of means, with a " + pct +
      "% stratified bootstrap interval (seeds resampled within each task, A's and B's "
      "independently). It **holds** when the interval excludes 0 above, is **refuted** when it "
      "excludes 0 below, and is **inconclusive** otherwise.");
  std::vector<std::string> items;
  for (const auto& claim : a.suite.claims) {
    std::vector<std::string> tasks_a, tasks_b, tasks;
    const TaskScores all_a = n.of(claim.a, &tasks_a, claim.tasks);
    const TaskScores all_b = n.of(claim.b, &tasks_b, claim.tasks);
    TaskScores x, y;
    for (size_t k = 0; k < tasks_a.size(); ++k) {
      auto it = std::find(tasks_b.begin(), tasks_b.end(), tasks_a[k]);
      if (it == tasks_b.end()) continue;
      x.push_back(all_a[k]);
      y.push_back(all_b[static_cast<size_t>(it - tasks_b.begin())]);
      tasks.push_back(tasks_a[k]);
    }
    std::string missing;
    for (const auto& t : claim.tasks)
      if (std::find(tasks.begin(), tasks.end(), t) == tasks.end())
        missing += (missing.empty() ? "" : ", ") + t;
    const std::string said = claim.claim.empty() ? "" : " (\"" + claim.claim + "\")";
    if (x.empty()) {
      items.push_back("**cannot be judged**" + said + ": no task of the claim has normalized " +
                      "scores of both " + claim.a + " and " + claim.b +
                      " (unfinished runs, or tasks without a scale).");
      continue;
    }
    const Interval d = difference_of_means_ci(x, y, boot);
    std::string on;
    for (const auto& t : tasks) on += (on.empty() ? "" : ", ") + t;
    size_t fewest = SIZE_MAX;
    const std::string seeds = seeds_behind(claim.a, x, claim.b, y, &fewest);
    std::string item = "**" + std::string(verdict_name(verdict(d))) + "**: " + claim.a + " − " +
                       claim.b + " = " + fmt_interval(d, fmt2) + " on " + on + " (" + seeds + ")" +
                       said + ".";
    if (!missing.empty()) item += " Left out, without scores of both: " + missing + ".";
    if (fewest < kMinimumSeeds)
      item += " " + few_seeds_warning("this claim", {claim.a + " and " + claim.b + " (as few as " +
                                                     seeds_text(fewest) + " on a task)"});
    items.push_back(item);
  }
  doc.list(items);
}

}  // namespace tandem::suites::report
