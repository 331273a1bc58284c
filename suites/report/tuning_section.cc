#include "suites/report/tuning_section.h"

#include <algorithm>
#include <string>
#include <vector>

#include "suites/report/format.h"

namespace tandem::suites::report {

namespace {

// {"config.learning_rate": 0.0001, "policy.hidden": [32, 32]} → "learning_rate=0.0001,
// hidden=[32,32]": the field's last name is what a reader knows it by.
std::string point_text(const json& values) {
  std::string out;
  for (auto it = values.begin(); it != values.end(); ++it) {
    const std::string name = it.key().substr(it.key().rfind('.') + 1);
    out += (out.empty() ? "" : ", ") + name + "=" + it->dump();
  }
  return out.empty() ? "(defaults)" : out;
}

// The chosen point's numeric fields that sit at the edge of the values its grid tried: "kl_coef
// (0.1, the largest tried)". A best value at the edge says the grid may not hold the optimum.
std::vector<std::string> at_edge(const json& points, size_t chosen) {
  std::vector<std::string> out;
  const json& values = points[chosen].value("values", json::object());
  for (auto it = values.begin(); it != values.end(); ++it) {
    if (!it->is_number()) continue;
    double lo = it->get<double>(), hi = lo;
    for (const auto& p : points) {
      const json& v = p.value("values", json::object());
      if (!v.contains(it.key()) || !v[it.key()].is_number()) continue;
      lo = std::min(lo, v[it.key()].get<double>());
      hi = std::max(hi, v[it.key()].get<double>());
    }
    if (lo == hi) continue;
    const double x = it->get<double>();
    if (x != lo && x != hi) continue;
    const std::string name = it.key().substr(it.key().rfind('.') + 1);
    out.push_back(name + " (" + it->dump() + ", the " + (x == hi ? "largest" : "smallest") +
                  " tried)");
  }
  return out;
}

std::string seeds_list(const json& seeds) {
  std::string out;
  for (const auto& s : seeds) out += (out.empty() ? "" : ", ") + s.dump();
  return out;
}

}  // namespace

void tuning_section(Document& doc, const Analysis& a) {
  const json& t = a.suite.tuning;
  if (t.is_null() || !t.is_object()) return;
  doc.heading(2, "Tuning");
  const size_t points = t.value("points", size_t{0});
  const std::string metric = t.value("metric", std::string("eval/return_mean"));
  const json seeds = t.value("seeds", json::array());
  doc.paragraph(
      "Every contender had the same tuning budget: " + std::to_string(points) +
      " configurations of its grid, each run on the tuning seeds " + seeds_list(seeds) +
      " (none of them an evaluation seed), beside the start and the oracle on the same seeds. "
      "Each configuration's final `" +
      metric +
      "` (the mean of its last 3 evaluations) is normalized against those references (0 = the "
      "start, 1 = the oracle) and, per task, the configuration with the best mean over the "
      "tuning seeds was chosen; the evaluation seeds ran that one alone, and only they enter the "
      "tables above and below. The tuning runs are in `tuning/` (`tandem report` of that folder "
      "reports them on their own).");
  if (seeds.size() < 2)
    doc.paragraph(
        "**Warning:** the choice rests on one tuning seed per configuration: a noisy "
        "choice.");
  if (!t.contains("selection")) {
    doc.paragraph("No choice has been made yet: the tuning phase has not finished.");
    return;
  }
  const json& selection = t["selection"];
  for (const auto& task : a.tasks) {
    if (!selection.contains("tasks") || !selection["tasks"].contains(task)) continue;
    const json& entry = selection["tasks"][task];
    doc.heading(3, task);
    const bool scaled = entry.value("scaled", false);
    doc.paragraph(
        "On the tuning seeds the start scored " + fmt(entry.value("start", 0.0)) +
        " and the oracle " + fmt(entry.value("oracle", 0.0)) +
        (scaled ? "."
                : ": the oracle is no better than the start, so there is no scale and the raw "
                  "scores decided (higher is better)."));
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> edges;
    for (const auto& label : a.algorithms) {  // the suite's order
      if (!entry["contenders"].contains(label)) continue;
      const json& c = entry["contenders"][label];
      const size_t chosen = c.value("chosen", size_t{0});
      const json& pts = c["points"];
      const std::vector<std::string> edge = at_edge(pts, chosen);
      if (!edge.empty()) {
        std::string fields;
        for (const auto& e : edge) fields += (fields.empty() ? "" : ", ") + e;
        edges.push_back(label + "'s " + fields);
      }
      for (size_t k = 0; k < pts.size(); ++k) {
        const bool is_chosen = k == chosen;
        std::string per_seed;
        for (const auto& v : pts[k].value("normalized", json::array()))
          per_seed += (per_seed.empty() ? "" : ", ") + fmt2(v.get<double>());
        rows.push_back({Cell{k == 0 ? label : ""},
                        Cell{point_text(pts[k].value("values", json::object())), is_chosen},
                        Cell{fmt2(pts[k].value("mean", 0.0)), is_chosen}, Cell{per_seed},
                        Cell{is_chosen ? "chosen" : ""}});
      }
    }
    doc.table({Cell{"contender"}, Cell{"configuration"},
               Cell{scaled ? "normalized score (mean)" : "score (mean)"}, Cell{"per tuning seed"},
               Cell{""}},
              rows);
    if (!edges.empty()) {
      std::string list;
      for (size_t k = 0; k < edges.size(); ++k)
        list += (k == 0 ? "" : k + 1 == edges.size() ? " and " : "; ") + edges[k];
      doc.paragraph("**At the edge of the grid:** " + list +
                    ". The best value tried is the first or the last: a wider grid may do "
                    "better for " +
                    (edges.size() == 1 ? "it" : "them") +
                    ", and a comparison tuned this way may favour the contender whose grid "
                    "happened to hold its optimum.");
    }
  }
}

}  // namespace tandem::suites::report
