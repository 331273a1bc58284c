#include "suites/report/protocol_setup.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "suites/report/algorithm_defaults.h"
#include "suites/report/format.h"
#include "suites/stats.h"

namespace tandem::suites::report {

namespace {

// "k = v, k = v" of a JSON object's fields; `or_else` when none.
std::string fields_text(const json& fields, const std::string& or_else) {
  std::string text;
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it)
      text += (text.empty() ? "" : ", ") + it.key() + " = " + it->dump();
  return text.empty() ? or_else : text;
}

// The field of an algorithm's config that anchors it to π₀, and how the table names it.
struct Anchor {
  std::string field, name;
};
Anchor anchor_of(const std::string& algorithm, const json& config) {
  if (algorithm == "apa") return {"adv_coeff", "λ: adv_coeff"};
  if (algorithm == "aihf")
    return config.value("inner", std::string()) == "apa" ? Anchor{"adv_coeff", "λ: adv_coeff"}
                                                         : Anchor{"kl_coef", "kl_coef"};
  if (algorithm == "ppo") return {"kl_coef", "kl_coef"};
  if (algorithm == "dpo" || algorithm == "aihf_dpo") return {"beta", "β: beta"};
  return {};
}

const char* const kGradientStepsKey = "charts/gradient_steps";

}  // namespace

void describe_protocol_setup(Document& doc, const Analysis& a, const std::vector<RunRecord>& runs) {
  doc.paragraph(
      "A protocol suite (`docs/protocol.md` in the repository): on each task every contender starts from the "
      "same π₀ (**start**), learns from the same feedback (**feedback**: the task's feedback "
      "fields, as the contender's config.json holds them) and is anchored to π₀ (**anchor**: "
      "PPO's and RLHF-with-PPO's `kl_coef`, APA's λ `adv_coeff`, DPO's and AIHF-DPO's `beta`). "
      "The references frame them: `start` is π₀ itself, evaluated and not trained (score 0), "
      "`oracle` PPO on the task's gold signal from π₀ with the task's env-step budget (score 1). "
      "Budget on both axes: the env steps of a run (`steps` in its config.json) and the gradient "
      "steps it took (the last `charts/gradient_steps` it logged, mean over finished seeds; — "
      "where no run logs it). **other settings**: the fields of the label's algorithm config "
      "that differ from the algorithm's defaults (feedback and anchor aside).");
  std::map<std::string, json> defaults;  // algorithm → its default config
  std::vector<std::vector<Cell>> rows;
  for (const auto& task : a.tasks) {
    const auto p = a.suite.task_protocol.find(task);
    const json protocol = p == a.suite.task_protocol.end() ? json::object() : p->second;
    const json feedback = protocol.value("feedback", json::object());
    const std::string start =
        fields_text(protocol.value("start", json::object()), "the default policy");
    for (const auto& label : a.algorithms) {
      const RunRecord* any = nullptr;
      for (const auto& r : runs)
        if (r.task == task && r.algorithm == label && r.config.is_object()) {
          any = &r;
          break;
        }
      if (!any) continue;
      const std::string role = role_of(a, label), name = a.algo_name.at(label);
      const json config =
          any->config.value(json::json_pointer("/algorithm/config"), json::object());
      // feedback: the task's fields the label has (references: none)
      json mine = json::object();
      if (role == "contender")
        for (auto it = feedback.begin(); it != feedback.end(); ++it)
          if (config.contains(it.key())) mine[it.key()] = config[it.key()];
      const Anchor anchor = anchor_of(name, config);
      std::string anchor_text = "—";
      if (!anchor.field.empty() && config.contains(anchor.field))
        anchor_text = anchor.name + " = " + config[anchor.field].dump();
      // budget: env steps of the run, gradient steps of the finished seeds
      const std::string steps = any->config.contains("steps") ? any->config["steps"].dump() : "?";
      std::vector<double> gradient_steps;
      for (const auto* r : runs_of(a, task, label))
        if (auto g = final_value(*r, kGradientStepsKey)) gradient_steps.push_back(*g);
      // other settings: what differs from the algorithm's defaults
      if (!defaults.count(name)) defaults[name] = algorithm_defaults(name);
      const json& d = defaults[name];
      std::string other;
      for (auto it = config.begin(); it != config.end(); ++it) {
        if (feedback.contains(it.key()) || it.key() == anchor.field) continue;
        if (d.is_object() && d.contains(it.key()) && d[it.key()] == *it) continue;
        other += (other.empty() ? "" : ", ") + it.key() + " = " + it->dump();
      }
      if (!d.is_object() && !other.empty()) other += " (the defaults are unknown: every field)";
      rows.push_back({{task},
                      {label},
                      {role},
                      {role == "contender" ? fields_text(mine, "none of the task's") : "—"},
                      {start},
                      {anchor_text},
                      {steps},
                      {gradient_steps.empty() ? "—" : step_text(mean(gradient_steps))},
                      {other.empty() ? "—" : other}});
    }
  }
  doc.table({{"task"},
             {"label"},
             {"role"},
             {"feedback"},
             {"start"},
             {"anchor"},
             {"env steps"},
             {"gradient steps"},
             {"other settings"}},
            rows);
}

}  // namespace tandem::suites::report
