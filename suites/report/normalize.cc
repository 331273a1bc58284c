#include "suites/report/normalize.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "suites/report/format.h"
#include "suites/stats.h"

namespace tandem::suites::report {

TaskScores Normalized::of(const std::string& label, std::vector<std::string>* task_names,
                          const std::vector<std::string>& only) const {
  TaskScores out;
  for (const auto& t : tasks) {
    if (!only.empty() && std::find(only.begin(), only.end(), t.task) == only.end()) continue;
    auto it = t.scores.find(label);
    if (it == t.scores.end() || it->second.empty()) continue;
    out.push_back(it->second);
    if (task_names) task_names->push_back(t.task);
  }
  return out;
}

namespace {

// Protocol: (score − start) / (oracle − start), the references' mean final scores.
void normalize_to_task_references(const Analysis& a, const MetricSpec& m, Normalized& n) {
  const std::string start = label_with_role(a, "start"), oracle = label_with_role(a, "oracle");
  for (const auto& task : a.tasks) {
    const auto starts = final_scores_of(a, task, start, m.key);
    const auto oracles = final_scores_of(a, task, oracle, m.key);
    if (starts.empty() || oracles.empty()) {
      n.skipped.push_back(task + " (no finished " + (starts.empty() ? start : oracle) +
                          " run logs `" + m.key + "`: no reference to scale by)");
      continue;
    }
    const double s = mean(starts), o = mean(oracles);
    if (!normalize_to_references({}, s, o, m.higher_is_better)) {
      n.skipped.push_back(task + ": the oracle (" + fmt(o) + ", mean over " +
                          seeds_text(oracles.size()) + ") is not better than the start (" + fmt(s) +
                          ", " + seeds_text(starts.size()) +
                          "), so there is no scale from 0 to 1: PPO on the gold signal did not "
                          "improve on π₀ within the budget");
      continue;
    }
    n.scales.push_back(task + ": 0 = " + fmt(s) + " (`" + start + "`, the start π₀, mean over " +
                       seeds_text(starts.size()) + "), 1 = " + fmt(o) + " (`" + oracle +
                       "`, PPO on the gold signal, mean over " + seeds_text(oracles.size()) + ").");
    TaskScale scale{task, {}};
    for (const auto& label : contenders(a)) {
      const auto scores = final_scores_of(a, task, label, m.key);
      if (!scores.empty())
        scale.scores[label] = *normalize_to_references(scores, s, o, m.higher_is_better);
    }
    n.tasks.push_back(std::move(scale));
  }
}

// Other suites: each run against its own start, one scale per task (stats.h).
void normalize_against_own_starts(const Analysis& a, const MetricSpec& m, Normalized& n) {
  for (const auto& task : a.tasks) {
    std::vector<std::vector<StartAndFinal>> runs(a.algorithms.size());
    size_t n_runs = 0;
    for (size_t i = 0; i < a.algorithms.size(); ++i)
      for (const auto* r : runs_of(a, task, a.algorithms[i])) {
        auto final_score = final_score_of(*r, m.key), start = initial_value(*r, m.key);
        if (final_score) (start ? ++n_runs : ++n.no_start);
        if (final_score && start) runs[i].push_back({*start, *final_score});
      }
    if (n_runs == 0) {
      n.skipped.push_back(task + " (no evaluation at env step 0)");
      continue;
    }
    StartNormalization s = normalize_against_starts(runs, m.higher_is_better);
    const std::string& ref_label = a.algorithms[s.reference_label];
    if (!s.scalable) {
      n.skipped.push_back(task + " (every label starts at or beyond the best final mean, " +
                          fmt(s.reference) + " by " + ref_label + ": nothing to scale)");
      continue;
    }
    std::string line = task + ": reference " + fmt(s.reference) + " (" + ref_label +
                       "'s final mean), lowest start " + fmt(s.lowest_start) + " (" +
                       a.algorithms[s.lowest_start_label] + "'s mean start)";
    for (size_t i = 0; i < runs.size(); ++i)
      if (!runs[i].empty() && !better(s.reference, s.mean_start[i], m.higher_is_better))
        line += "; " + a.algorithms[i] + " starts at " + fmt(s.mean_start[i]) +
                ", at or beyond the reference: only its change from there shows";
    n.scales.push_back(line + ".");
    TaskScale scale{task, {}};
    for (size_t i = 0; i < a.algorithms.size(); ++i)
      if (!s.scores[i].empty()) scale.scores[a.algorithms[i]] = s.scores[i];
    n.tasks.push_back(std::move(scale));
  }
}

}  // namespace

Normalized normalize(const Analysis& a, const MetricSpec& m) {
  Normalized n;
  n.protocol = a.suite.protocol && !label_with_role(a, "start").empty() &&
               !label_with_role(a, "oracle").empty();
  if (n.protocol) {
    normalize_to_task_references(a, m, n);
  } else {
    normalize_against_own_starts(a, m, n);
  }
  return n;
}

}  // namespace tandem::suites::report
