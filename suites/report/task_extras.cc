#include "suites/report/task_extras.h"

#include <algorithm>
#include <map>

#include "suites/report/format.h"
#include "suites/report/run_data.h"
#include "suites/stats.h"

namespace tandem::suites::report {

namespace {

const int kSamplePrompts = 3;

}  // namespace

std::vector<std::string> column_legend(const std::vector<const MetricSpec*>& columns) {
  std::vector<std::string> items;
  for (const auto* m : columns) {
    if (m->note.empty()) continue;
    items.push_back("**" + m->column + "** (`" + m->key + "`" +
                    (m->unit.empty() ? "" : ", " + m->unit) + "): " + m->note + ".");
  }
  return items;
}

Cell mean_cell(const std::vector<double>& values) {
  return {values.empty() ? "—" : fmt(mean(values))};
}

void preference_table(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  const auto columns = logged_columns(a, task, c.options.metrics, MetricPlace::kPreferenceColumn);
  if (columns.empty()) return;
  doc.heading(4, task + ": implicit rewards (DPO)");
  doc.paragraph(
      "The implicit reward of one side y of a preference pair (a completion, or a control "
      "segment) is `β·(log π(y) − log π_ref(y))`; each cell is the mean over seeds of the runs' "
      "last logged value.");
  doc.list(column_legend(columns));
  std::vector<Cell> header = {{"label"}};
  for (const auto* m : columns) header.push_back({m->column});
  std::vector<std::vector<Cell>> rows;
  for (const auto& algo : a.algorithms) {
    std::vector<Cell> row = {{algo}};
    bool any = false;
    for (const auto* m : columns) {
      auto finals = finals_of(a, task, algo, m->key);
      any = any || !finals.empty();
      row.push_back(mean_cell(finals));
    }
    if (any) rows.push_back(row);
  }
  doc.table(header, rows);
}

void samples_table(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  // the base: the lowest seed with samples at env step 0, in the labels' display order
  std::map<const RunRecord*, std::vector<json>> samples;
  for (const auto* r : a.finished)
    if (r->task == task) samples[r] = read_samples(*r);
  const RunRecord* base = nullptr;
  std::vector<const json*> prompts;
  for (const auto& algo : a.algorithms) {
    for (const auto* r : runs_of(a, task, algo)) {
      if (base && r->seed >= base->seed) continue;
      std::vector<const json*> at_zero;
      for (const auto& line : samples[r]) {
        if (number_at(line, "env_steps") != 0.0 || !line.is_object() || !line.contains("prompt") ||
            !line["prompt"].is_string())
          continue;
        const bool seen = std::any_of(at_zero.begin(), at_zero.end(), [&](const json* p) {
          return (*p)["prompt"] == line["prompt"];
        });
        if (!seen && static_cast<int>(at_zero.size()) < kSamplePrompts) at_zero.push_back(&line);
      }
      if (at_zero.empty()) continue;
      base = r;
      prompts = at_zero;
    }
  }
  if (!base) return;
  doc.heading(4, task + ": sample completions");
  doc.paragraph("The first " + std::to_string(prompts.size()) + " evaluation prompts of seed " +
                std::to_string(base->seed) +
                ": the base model's completion (the evaluation at env step 0, before any "
                "training) and each label's at its final evaluation, as the evaluation drew "
                "them, with their gold rewards. Evaluation prompts depend on the seed alone, so "
                "every label answers the same ones (where a label lacks this seed, another of its "
                "seeds with the same prompt stands in).");
  std::vector<std::vector<Cell>> rows;
  auto text_of = [](const json& line, const char* key) {
    const json v = line.contains(key) ? line[key] : json();
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  for (const json* p : prompts) {
    const std::string prompt = (*p)["prompt"].get<std::string>();
    auto gold = number_at(*p, "return");
    rows.push_back({{prompt, false, true},
                    {"base model (env step 0)"},
                    {gold ? fmt(*gold) : "—"},
                    {text_of(*p, "completion"), false, true}});
    for (const auto& algo : a.algorithms) {
      // this seed's run first, then the label's others
      std::vector<const RunRecord*> candidates = runs_of(a, task, algo);
      std::stable_partition(candidates.begin(), candidates.end(),
                            [&](const RunRecord* r) { return r->seed == base->seed; });
      for (const auto* r : candidates) {
        double step = 0;
        const json* line = final_sample(samples[r], prompt, &step);
        if (!line || step == 0) continue;
        auto g = number_at(*line, "return");
        std::string who = algo + " (env step " + step_text(step) +
                          (r->seed == base->seed ? "" : ", seed " + std::to_string(r->seed)) + ")";
        rows.push_back({{"", false, true},
                        {who},
                        {g ? fmt(*g) : "—"},
                        {text_of(*line, "completion"), false, true}});
        break;
      }
    }
  }
  doc.table({{"prompt"}, {"model"}, {"gold reward"}, {"completion"}}, rows);
}

}  // namespace tandem::suites::report
