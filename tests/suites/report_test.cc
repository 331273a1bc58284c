// The report on hand-made suite folders: a text task (two algorithms × two seeds, numbers chosen so
// the means are easy to check by hand) and a MuJoCo-only one, which must show nothing of the text
// tasks' sections.
#include "suites/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/suites/test_files.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  return tandem::testing::fresh_test_dir("report_test", name);
}
using tandem::testing::read_text;

// A finished run folder as the runner leaves it: config.json, metrics.jsonl, samples.jsonl when
// given, done.
void write_run(const fs::path& suite, const std::string& task, const std::string& env_id,
               const std::string& label, const std::string& algorithm, int seed,
               const std::vector<json>& metrics, const std::vector<json>& samples = {},
               const json& algorithm_config = json::object()) {
  const fs::path dir = suite / task / label / ("seed-" + std::to_string(seed));
  fs::create_directories(dir);
  const json config = {{"env", {{"id", env_id}, {"options", json::object()}}},
                       {"algorithm", {{"name", algorithm}, {"config", algorithm_config}}},
                       {"policy", json::object()},
                       {"seed", seed},
                       {"steps", 200},
                       {"eval", {{"interval", 100}, {"episodes", 4}, {"deterministic", false}}},
                       {"threads", 1}};
  std::ofstream(dir / "config.json") << config.dump(2) << '\n';
  std::ofstream m(dir / "metrics.jsonl");
  for (const auto& line : metrics) m << line.dump() << '\n';
  if (!samples.empty()) {
    std::ofstream s(dir / "samples.jsonl");
    for (const auto& line : samples) s << line.dump() << '\n';
  }
  std::ofstream(dir / "done") << "";
}

// One evaluation line of a text run: gold reward, both KL estimates, distinct-2, length.
json text_eval(int steps, double gold, double k1, double k3, double distinct_2, double length) {
  return {{"env_steps", steps},         {"wall_seconds", 1.0 + steps},
          {"eval/return_mean", gold},   {"eval/kl_ref", k1},
          {"eval/kl_ref_k3", k3},       {"eval/distinct_2", distinct_2},
          {"eval/length_mean", length}, {"eval/entropy", 1.5}};
}

// Four evaluation prompts per seed, the same for every label; completions at steps 0, 100, 200.
const char* kBaseCompletion = "base says <b>1|2</b> & *3* _x_";
std::vector<json> text_samples(int seed, const std::string& label) {
  std::vector<json> out;
  for (int steps : {0, 100, 200}) {
    for (int k = 0; k < 4; ++k) {
      const std::string prompt = "prompt " + std::to_string(k) + " of seed " + std::to_string(seed);
      std::string completion = steps == 0
                                   ? (k == 0 ? std::string(kBaseCompletion) : "base " + prompt)
                                   : label + " at " + std::to_string(steps) + " on " + prompt;
      out.push_back({{"env_steps", steps},
                     {"return", 0.1 * k + steps / 1000.0},
                     {"prompt", prompt},
                     {"completion", completion}});
    }
  }
  return out;
}

// The text suite. Final scores of the gold reward (the mean of the last 3 evaluations, here steps
// 0, 100, 200): ppo (0.2 + 0.5 + 0.6) / 3, (0.3 + 0.5 + 0.8) / 3 → 0.483; dpo (0.2 + 0.25 + 0.3) /
// 3, (0.3 + 0.25 + 0.5) / 3 → 0.300. The columns' final values (step 200), by hand:
//   ppo: gold 0.6, 0.8 → 0.700; k1 0.5, 0.7 → 0.600; k3 0.4, 0.6 → 0.500; distinct-2 0.8, 0.6 →
//        0.700; length 12, 14 → 13.00; proxy 0.9, 1.1 → 1.00
//   dpo: gold 0.3, 0.5 → 0.400; k1 -0.1, 0.3 → 0.100; k3 0.05, 0.15 → 0.100; distinct-2 0.9, 0.7
//        → 0.800; length 20, 22 → 21.00; chosen -0.2, -0.4 → -0.300; rejected -0.8, -1.2 → -1.00;
//        margin 0.6, 0.8 → 0.700
//   base (step 0, all four runs): gold 0.2, 0.3, 0.2, 0.3 → 0.250; distinct-2 0.5; length 10.00
fs::path text_suite(const std::string& name) {
  const fs::path suite = fresh_dir(name) / "textsuite";
  for (int seed : {1, 2}) {
    const double s = seed - 1;  // 0 or 1
    const double base_gold = 0.2 + 0.1 * s;
    std::vector<json> ppo = {
        text_eval(0, base_gold, 0, 0, 0.5, 10), text_eval(100, 0.5, 0.3, 0.2, 0.6, 11),
        text_eval(200, 0.6 + 0.2 * s, 0.5 + 0.2 * s, 0.4 + 0.2 * s, 0.8 - 0.2 * s, 12 + 2 * s)};
    for (size_t k = 0; k < ppo.size(); ++k)
      ppo[k]["eval/proxy_reward"] = k == 2 ? 0.9 + 0.2 * s : 0.1;
    write_run(suite, "text_sort", "text/sort", "ppo", "ppo", seed, ppo, text_samples(seed, "ppo"));
    std::vector<json> dpo = {
        text_eval(0, base_gold, 0, 0, 0.5, 10), text_eval(100, 0.25, 0.1, 0.05, 0.7, 15),
        text_eval(200, 0.3 + 0.2 * s, -0.1 + 0.4 * s, 0.05 + 0.1 * s, 0.9 - 0.2 * s, 20 + 2 * s)};
    dpo[2]["dpo/train_chosen_reward"] = -0.2 - 0.2 * s;
    dpo[2]["dpo/train_rejected_reward"] = -0.8 - 0.4 * s;
    dpo[2]["dpo/train_margin"] = 0.6 + 0.2 * s;
    write_run(suite, "text_sort", "text/sort", "dpo", "dpo", seed, dpo, text_samples(seed, "dpo"));
  }
  return suite;
}

ReportOptions quick_options(bool figures) {
  ReportOptions o;
  o.resamples = 200;
  o.curve_resamples = 50;
  o.figures = figures;
  return o;
}

bool have_gnuplot() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

// The cells of a Markdown table row, split at unescaped |.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      const size_t b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}

// The first Markdown table whose header has `column`: header → row (by first cell) → cells.
struct Table {
  std::vector<std::string> header;
  std::map<std::string, std::vector<std::string>> rows;
  std::string cell(const std::string& row, const std::string& column) const {
    auto r = rows.find(row);
    if (r == rows.end()) return "(no row " + row + ")";
    for (size_t i = 0; i < header.size() && i < r->second.size(); ++i)
      if (header[i] == column) return r->second[i];
    return "(no column " + column + ")";
  }
};

Table table_with(const std::string& md, const std::string& column) {
  Table t;
  std::istringstream in(md);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside) {
      if (line.rfind("|", 0) != 0) continue;
      auto h = cells(line);
      if (std::find(h.begin(), h.end(), column) == h.end()) continue;
      t.header = h;
      inside = true;
      std::getline(in, line);  // |---|
      continue;
    }
    if (line.rfind("|", 0) != 0) break;
    auto c = cells(line);
    t.rows[c.empty() ? "" : c[0]] = c;
  }
  return t;
}

// The unrounded estimates an aggregate figure's data file holds, by quoted label: each line is
// row label colour mean low high iqm low high.
std::map<std::string, std::vector<double>> aggregate_estimates(const fs::path& dat) {
  std::ifstream in(dat);
  std::map<std::string, std::vector<double>> by_label;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    double row, colour;
    std::string label;
    s >> row >> label >> colour;
    std::vector<double> v(6);
    for (double& x : v) s >> x;
    by_label[label] = v;
  }
  return by_label;
}

TEST(Report, TextMetricsDefaultsArePlacedAsColumns) {
  const auto metrics = default_report_metrics();
  ASSERT_FALSE(metrics.empty());
  EXPECT_EQ(metrics.front().key, "eval/return_mean");
  EXPECT_EQ(metrics.front().place, MetricPlace::kSection);
  std::map<std::string, MetricSpec> by_key;
  for (const auto& m : metrics) by_key[m.key] = m;
  for (const char* key : {"eval/kl_ref", "eval/kl_ref_k3", "eval/distinct_2", "eval/length_mean",
                          "eval/proxy_reward", "eval/entropy"}) {
    ASSERT_TRUE(by_key.count(key)) << key;
    EXPECT_EQ(by_key[key].place, MetricPlace::kTextColumn) << key;
    EXPECT_FALSE(by_key[key].aggregate) << key;
    EXPECT_FALSE(by_key[key].column.empty()) << key;
  }
  EXPECT_FALSE(by_key["eval/kl_ref"].higher_is_better);
  EXPECT_FALSE(by_key["eval/kl_ref_k3"].higher_is_better);
  for (const char* key : {"dpo/train_chosen_reward", "dpo/train_rejected_reward",
                          "dpo/train_margin", "dpo/heldout_chosen_reward"})
    EXPECT_EQ(by_key[key].place, MetricPlace::kPreferenceColumn) << key;
  // asked for by name on the command line: a section of its own, its other settings kept
  const MetricSpec kl = metric_spec_for("eval/kl_ref");
  EXPECT_EQ(kl.place, MetricPlace::kSection);
  EXPECT_FALSE(kl.higher_is_better);
  EXPECT_EQ(metric_spec_for("custom/x").title, "custom/x");
}

TEST(Report, TextTaskTableHoldsKlDistinctAndTheBaseModel) {
  const fs::path suite = text_suite("table");
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  EXPECT_EQ(outcome.runs_finished, 4);
  const std::string md = read_text(outcome.markdown_path);

  const Table t = table_with(md, "KL k1");
  ASSERT_FALSE(t.header.empty()) << md;
  // the best gold reward (ppo's 0.483 against dpo's 0.300) in bold, label and cell
  ASSERT_TRUE(t.rows.count("**ppo**")) << md;
  ASSERT_TRUE(t.rows.count("dpo")) << md;
  EXPECT_EQ(t.cell("**ppo**", "final mean [95% CI]").rfind("**0.483 [", 0), 0u) << md;
  EXPECT_EQ(t.cell("dpo", "final mean [95% CI]").rfind("0.300 [", 0), 0u) << md;
  EXPECT_EQ(t.cell("**ppo**", "KL k1"), "0.600");
  EXPECT_EQ(t.cell("dpo", "KL k1"), "0.100");
  EXPECT_EQ(t.cell("**ppo**", "KL k3"), "0.500");
  EXPECT_EQ(t.cell("dpo", "KL k3"), "0.100");
  EXPECT_EQ(t.cell("**ppo**", "distinct-2"), "0.700");
  EXPECT_EQ(t.cell("dpo", "distinct-2"), "0.800");
  EXPECT_EQ(t.cell("**ppo**", "length"), "13.00");
  EXPECT_EQ(t.cell("dpo", "length"), "21.00");
  EXPECT_EQ(t.cell("**ppo**", "proxy reward"), "1.00");
  EXPECT_EQ(t.cell("dpo", "proxy reward"), "—") << "dpo logs no proxy reward";
  EXPECT_EQ(t.cell("**ppo**", "seeds finished"), "2");
  // the base model: the evaluations at env step 0
  const std::string base = "base model (env step 0)";
  EXPECT_EQ(t.cell(base, "final mean [95% CI]"), "0.250");
  EXPECT_EQ(t.cell(base, "KL k1"), "0.000");
  EXPECT_EQ(t.cell(base, "distinct-2"), "0.500");
  EXPECT_EQ(t.cell(base, "length"), "10.00");
  // the columns are explained, both KL estimators among them
  EXPECT_NE(md.find("**KL k1** (`eval/kl_ref`"), std::string::npos) << md;
  EXPECT_NE(md.find("**KL k3** (`eval/kl_ref_k3`"), std::string::npos) << md;
  EXPECT_NE(md.find("negative"), std::string::npos);

  // DPO's implicit rewards: dpo's row only
  const Table d = table_with(md, "chosen (train)");
  ASSERT_FALSE(d.header.empty()) << md;
  EXPECT_EQ(d.cell("dpo", "chosen (train)"), "-0.300");
  EXPECT_EQ(d.cell("dpo", "rejected (train)"), "-1.00");
  EXPECT_EQ(d.cell("dpo", "margin (train)"), "0.700");
  EXPECT_EQ(d.rows.count("ppo") + d.rows.count("**ppo**"), 0u) << "ppo logs no implicit reward";
  EXPECT_EQ(std::find(d.header.begin(), d.header.end(), "chosen (held-out)"), d.header.end())
      << "no run logs held-out rewards: no column";
  // columns are not sections, so no "skipped" line lists them
  EXPECT_EQ(md.find("## KL to the reference"), std::string::npos);
  EXPECT_EQ(md.find("skipped"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

TEST(Report, TextTaskSamplesShowTheBaseModelBesideEachAlgorithm) {
  const fs::path suite = text_suite("samples");
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  const std::string html = read_text(outcome.html_path);
  ASSERT_NE(md.find("sample completions"), std::string::npos) << md;
  const std::string samples = md.substr(md.find("sample completions"));

  // the base completion, escaped: no tag, emphasis, entity or cell break survives
  EXPECT_NE(samples.find("base says \\<b\\>1\\|2\\</b\\> \\& \\*3\\* \\_x\\_"), std::string::npos)
      << samples;
  EXPECT_NE(html.find("base says &lt;b&gt;1|2&lt;/b&gt; &amp; *3* _x_"), std::string::npos);
  EXPECT_EQ(html.find("<b>1|2</b>"), std::string::npos);
  // three prompts of seed 1, each answered by both labels at their final evaluation
  for (int k = 0; k < 3; ++k) {
    const std::string prompt = "prompt " + std::to_string(k) + " of seed 1";
    EXPECT_NE(samples.find("| " + prompt + " |"), std::string::npos) << prompt << samples;
    for (const char* label : {"ppo", "dpo"})
      EXPECT_NE(samples.find(std::string(label) + " at 200 on " + prompt), std::string::npos)
          << label << " " << prompt;
  }
  EXPECT_NE(samples.find("base prompt 1 of seed 1"), std::string::npos);
  EXPECT_NE(samples.find("ppo (env step 200)"), std::string::npos);
  EXPECT_EQ(samples.find("prompt 3 of seed 1"), std::string::npos) << "three prompts only";
  EXPECT_EQ(samples.find("of seed 2"), std::string::npos) << "one seed's prompts";
  EXPECT_EQ(samples.find(" at 100 on "), std::string::npos) << "final completions only";
  fs::remove_all(suite.parent_path());
}

TEST(Report, TextTaskFrontierFigure) {
  ASSERT_TRUE(have_gnuplot()) << "gnuplot-nox is part of the set-up (scripts/setup.sh)";
  const fs::path suite = text_suite("frontier");
  const ReportOutcome outcome = write_report(suite.string(), quick_options(true));
  const fs::path png = suite / "figures" / "text_sort__frontier.png";
  ASSERT_TRUE(fs::exists(png)) << read_text(outcome.markdown_path);
  EXPECT_GT(fs::file_size(png), 1000u);
  EXPECT_NE(std::find(outcome.figures.begin(), outcome.figures.end(), png.string()),
            outcome.figures.end());
  const std::string md = read_text(outcome.markdown_path);
  EXPECT_NE(md.find("](figures/text_sort__frontier.png)"), std::string::npos);
  EXPECT_NE(md.find("k3 estimate"), std::string::npos) << "the caption says which KL";
  // the line's points: mean k3, mean gold, env step; the final one again as index 1
  std::ifstream in(suite / "figures" / "text_sort__frontier__ppo.dat");
  std::vector<std::vector<double>> points;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    double x, y, step;
    s >> x >> y >> step;
    points.push_back({x, y, step});
  }
  ASSERT_EQ(points.size(), 4u);  // steps 0, 100, 200, and the final point
  EXPECT_DOUBLE_EQ(points[0][0], 0.0);
  EXPECT_NEAR(points[0][1], 0.25, 1e-12);  // the base model's gold reward, (0.2 + 0.3) / 2
  EXPECT_NEAR(points[1][0], 0.2, 1e-12);
  EXPECT_NEAR(points[2][0], 0.5, 1e-12);  // (0.4 + 0.6) / 2
  EXPECT_NEAR(points[2][1], 0.7, 1e-12);  // (0.6 + 0.8) / 2
  EXPECT_EQ(points[3], points[2]);
  EXPECT_NE(read_text(outcome.html_path).find("data:image/png;base64,"), std::string::npos);
  fs::remove_all(suite.parent_path());
}

TEST(Report, MujocoSuiteHasNoTextSections) {
  ASSERT_TRUE(have_gnuplot()) << "gnuplot-nox is part of the set-up (scripts/setup.sh)";
  const fs::path suite = fresh_dir("mujoco") / "control";
  for (int seed : {1, 2}) {
    // what an APA run on Hopper logs: a KL to its reference and episode lengths too
    std::vector<json> lines;
    for (int steps : {0, 100, 200})
      lines.push_back({{"env_steps", steps},
                       {"wall_seconds", 1.0 + steps},
                       {"eval/return_mean", 10.0 * seed + steps},
                       {"eval/length_mean", 50.0 + steps},
                       {"eval/kl_ref", 0.01 * steps}});
    write_run(suite, "Hopper-v5", "Hopper-v5", "ppo", "ppo", seed, lines);
    write_run(suite, "Hopper-v5", "Hopper-v5", "apa", "apa", seed, lines);
  }
  const ReportOutcome outcome = write_report(suite.string(), quick_options(true));
  const std::string md = read_text(outcome.markdown_path);
  EXPECT_NE(md.find("| label | algorithm | final mean [95% CI] | IQM | seeds finished |"),
            std::string::npos)
      << md;
  for (const char* text : {"KL k1", "distinct-2", "base model", "sample completions",
                           "implicit rewards", "gold reward", "skipped"})
    EXPECT_EQ(md.find(text), std::string::npos) << text << " in\n" << md;
  EXPECT_NE(md.find("figures/Hopper-v5__eval_return_mean.png"), std::string::npos);
  // the runs log a KL to their reference: the reward–KL frontier, of the true reward
  EXPECT_NE(md.find("](figures/Hopper-v5__frontier.png)"), std::string::npos) << md;
  EXPECT_NE(md.find("Hopper-v5: evaluation return against the KL"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

// Runs that start from different policies (fresh networks against an expert's snapshot) are each
// normalized against their own start (the evaluation at env step 0), on one scale per task: a run
// that got worse scores below 0 however high it started, one that improved above 0. By hand:
//   ppo: seeds 110 → 330, 130 → 350: gains 220, 220; mean start 120, final mean 340
//   dpo: seeds 412.0 → 409.9, 413.2 → 411.1: gains −2.1, −2.1; mean start 412.6, final mean 410.5
//   reference: the best final mean, dpo's 410.5; lowest start: ppo's 120; scale 410.5 − 120 = 290.5
//   ppo: 220 / 290.5 = 0.757315; dpo: −2.1 / 290.5 = −0.0072289; P(dpo > ppo) = 0
// (Normalizing against the mean start of all runs, 266.3, gave dpo 1.00 and ppo 0.51.)
TEST(Report, EachRunIsNormalizedAgainstItsOwnStart) {
  ASSERT_TRUE(have_gnuplot()) << "gnuplot-nox is part of the set-up (scripts/setup.sh)";
  const fs::path suite = fresh_dir("own_start") / "control";
  auto run = [&](const std::string& label, int seed, double start, double final_return) {
    // the last 3 evaluations at the final return: the final score is that return
    std::vector<json> lines;
    for (int steps : {0, 100, 200, 300, 400})
      lines.push_back({{"env_steps", steps},
                       {"wall_seconds", 1.0 + steps},
                       {"eval/return_mean", steps == 0     ? start
                                            : steps == 100 ? (start + final_return) / 2
                                                           : final_return}});
    write_run(suite, "Hopper-v5", "Hopper-v5", label, label, seed, lines);
  };
  run("ppo", 1, 110, 330);
  run("ppo", 2, 130, 350);
  run("dpo", 1, 412.0, 409.9);
  run("dpo", 2, 413.2, 411.1);
  ReportOptions options = quick_options(true);
  options.baseline = "ppo";
  const ReportOutcome outcome = write_report(suite.string(), options);
  const std::string md = read_text(outcome.markdown_path);

  const Table t = table_with(md, "normalized mean [95% CI]");
  ASSERT_FALSE(t.header.empty()) << md;
  EXPECT_EQ(t.cell("ppo", "normalized mean [95% CI]"), "**0.76 [0.76, 0.76]**") << md;
  EXPECT_EQ(t.cell("dpo", "normalized mean [95% CI]"), "-0.01 [-0.01, -0.01]") << md;
  EXPECT_EQ(t.cell("dpo", "P(X > ppo) [95% CI]"), "0.00 [0.00, 0.00]") << md;

  // the unrounded estimates: row label colour mean low high iqm low high ...
  std::map<std::string, std::vector<double>> by_label =
      aggregate_estimates(suite / "figures" / "aggregate__eval_return_mean.dat");
  ASSERT_EQ(by_label.size(), 2u) << md;
  const std::vector<double> ppo = by_label["\"ppo\""], dpo = by_label["\"dpo\""];
  ASSERT_EQ(ppo.size(), 6u);
  ASSERT_EQ(dpo.size(), 6u);
  EXPECT_NEAR(ppo[0], 220 / 290.5, 1e-5);  // mean
  EXPECT_NEAR(ppo[3], 220 / 290.5, 1e-5);  // IQM
  EXPECT_NEAR(dpo[0], -2.1 / 290.5, 1e-6);
  EXPECT_NEAR(dpo[3], -2.1 / 290.5, 1e-6);
  EXPECT_GT(ppo[0], 0) << "ppo improved";
  EXPECT_LT(dpo[0], 0) << "dpo got worse";

  // the report says what the normalization is, and that dpo started beyond the reference
  EXPECT_NE(md.find("its own start"), std::string::npos) << md;
  EXPECT_NE(md.find("dpo starts at 412.6"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

// ---- a protocol suite: contenders framed by the references start (0) and oracle (1) ----

// results/<suite>/suite.json as Suite::resolved writes it, with the parts the report reads.
void write_suite_json(const fs::path& suite, const json& claims) {
  json algorithms = json::array();
  for (const auto& [label, name, role] :
       std::vector<std::array<std::string, 3>>{{"ppo", "ppo", "contender"},
                                               {"apa", "apa", "contender"},
                                               {"dpo", "dpo", "contender"},
                                               {"start", "start", "start"},
                                               {"oracle", "ppo", "oracle"}})
    algorithms.push_back(
        {{"label", label}, {"name", name}, {"role", role}, {"config", json::object()}});
  const json j = {{"name", suite.filename().string()},
                  {"protocol", true},
                  {"tasks",
                   {{{"label", "Hopper-v5"},
                     {"env", "Hopper-v5"},
                     {"protocol",
                      {{"start", {{"start_from", "expert:early"}}},
                       {"feedback", {{"pairs", 500}}},
                       {"oracle", {{"kl_coef", 0.05}}}}}}}},
                  {"algorithms", algorithms},
                  {"claims", claims}};
  fs::create_directories(suite);
  std::ofstream(suite / "suite.json") << j.dump(2) << '\n';
}

// Seeds 1..n with offsets d summing to 0 (−1, 0, 1 or −2 … 2). Each run evaluates at steps 0 to
// 400; the last three at target − 10, target, target + 10, so its final score (the mean of the last
// 3) is the target while its last value is 10 more. Targets, return scale:
//   start 100 + d, oracle 200 + d: 0 and 1 of the normalized scale (start 100, oracle 200)
//   ppo 100 + d → 0 + d/100;  apa 200 + d → 1 + d/100, the oracle's own mean, yet not ranked
//   with it;  dpo 190 + 50·d → 0.9 + d/2, widely spread
// Claims: apa beats ppo (≈ 1) holds; ppo beats apa refuted; dpo beats apa (≈ −0.1 ± 0.5)
// inconclusive.
fs::path protocol_suite(const std::string& name, int n_seeds) {
  const fs::path suite = fresh_dir(name) / "proto";
  const json claims = {
      {{"claim", "APA beats PPO"}, {"a", "apa"}, {"b", "ppo"}, {"tasks", {"Hopper-v5"}}},
      {{"claim", "PPO beats APA"}, {"a", "ppo"}, {"b", "apa"}, {"tasks", {"Hopper-v5"}}},
      {{"claim", "DPO beats APA"}, {"a", "dpo"}, {"b", "apa"}, {"tasks", {"Hopper-v5"}}}};
  write_suite_json(suite, claims);
  for (int seed = 1; seed <= n_seeds; ++seed) {
    const double d = seed - (n_seeds + 1) / 2.0;
    auto run = [&](const std::string& label, const std::string& algorithm, double target,
                   const json& config, bool gradient_steps) {
      std::vector<json> lines;
      const double values[] = {100 + d, (100 + target) / 2, target - 10, target, target + 10};
      for (int k = 0; k < 5; ++k) {
        json line = {
            {"env_steps", 100 * k}, {"wall_seconds", 1.0 + k}, {"eval/return_mean", values[k]}};
        if (gradient_steps) line["charts/gradient_steps"] = 10 * k;
        lines.push_back(line);
      }
      write_run(suite, "Hopper-v5", "Hopper-v5", label, algorithm, seed, lines, {}, config);
    };
    run("start", "start", 100 + d, json::object(), false);
    run("oracle", "ppo", 200 + d, {{"kl_coef", 0.05}, {"learning_rate", 3e-4}}, false);
    run("ppo", "ppo", 100 + d, {{"kl_coef", 0.1}, {"pairs", 500}}, false);
    run("apa", "apa", 200 + d, {{"adv_coeff", 10.0}, {"pairs", 500}}, false);
    run("dpo", "dpo", 190 + 50 * d, {{"beta", 0.1}, {"pairs", 500}}, true);
  }
  return suite;
}

TEST(Report, ProtocolReferencesStandApartAndAreNotRanked) {
  const fs::path suite = protocol_suite("protocol_table", 3);
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  const Table t = table_with(md, "seeds finished");
  ASSERT_FALSE(t.header.empty()) << md;
  // apa and the oracle have the same mean, 200.0 (the mean of the last 3 evaluations, not the last
  // value 210): apa is the best contender, in bold; the oracle is a reference, never bold
  EXPECT_EQ(t.cell("**apa**", "final mean [95% CI]").rfind("**200.0 [", 0), 0u) << md;
  EXPECT_EQ(t.cell("oracle", "final mean [95% CI]").rfind("200.0 [", 0), 0u) << md;
  EXPECT_EQ(t.cell("start", "final mean [95% CI]").rfind("100.0 [", 0), 0u) << md;
  EXPECT_EQ(t.cell("dpo", "final mean [95% CI]").rfind("190.0 [", 0), 0u) << md;
  EXPECT_EQ(t.rows.count("**oracle**"), 0u);
  // under a separator, after the contenders
  const size_t separator = md.find("| references (not ranked): |");
  ASSERT_NE(separator, std::string::npos) << md;
  EXPECT_LT(md.find("| **apa** |"), separator);
  EXPECT_LT(md.find("| ppo |"), separator);
  EXPECT_GT(md.find("| oracle |", md.find("### Hopper-v5")), separator);
  EXPECT_GT(md.find("| start |", md.find("### Hopper-v5")), separator);
  // the overview: the references' columns named so, not bold
  const Table o = table_with(md, "oracle (reference)");
  ASSERT_FALSE(o.header.empty()) << md;
  EXPECT_EQ(o.cell("Hopper-v5", "oracle (reference)").rfind("200.0 [", 0), 0u) << md;
  EXPECT_EQ(o.cell("Hopper-v5", "apa").rfind("**200.0 [", 0), 0u) << md;
  EXPECT_NE(md.find("mean of each finished run's last 3 evaluations"), std::string::npos);

  // the setup: per task and label, role, feedback, start, anchor and budget
  const Table s = table_with(md, "anchor");
  ASSERT_FALSE(s.header.empty()) << md;
  std::map<std::string, std::vector<std::string>> by_label;
  {
    std::istringstream in(md.substr(md.find("| task | label | role |")));
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    while (std::getline(in, line) && line.rfind("|", 0) == 0) {
      auto c = cells(line);
      by_label[c[1]] = c;
    }
  }
  ASSERT_EQ(by_label.size(), 5u) << md;
  EXPECT_EQ(by_label["oracle"][2], "oracle");
  EXPECT_EQ(by_label["oracle"][3], "—");
  EXPECT_EQ(by_label["oracle"][5], "kl_coef = 0.05");
  EXPECT_EQ(by_label["ppo"][2], "contender");
  EXPECT_EQ(by_label["ppo"][3], "pairs = 500");
  EXPECT_EQ(by_label["ppo"][4], "start_from = \"expert:early\"");
  EXPECT_EQ(by_label["ppo"][5], "kl_coef = 0.1");
  EXPECT_EQ(by_label["apa"][5], "λ: adv_coeff = 10.0");
  EXPECT_EQ(by_label["dpo"][5], "β: beta = 0.1");
  EXPECT_EQ(by_label["dpo"][6], "200");  // env steps
  EXPECT_EQ(by_label["dpo"][7], "40");   // gradient steps, the last logged
  EXPECT_EQ(by_label["ppo"][7], "—");
  fs::remove_all(suite.parent_path());
}

TEST(Report, ProtocolNormalizesZeroAtTheStartAndOneAtTheOracle) {
  ASSERT_TRUE(have_gnuplot()) << "gnuplot-nox is part of the set-up (scripts/setup.sh)";
  const fs::path suite = protocol_suite("protocol_normalized", 5);
  const ReportOutcome outcome = write_report(suite.string(), quick_options(true));
  const std::string md = read_text(outcome.markdown_path);
  // the unrounded estimates: row label colour mean low high iqm low high ...
  std::map<std::string, std::vector<double>> by_label =
      aggregate_estimates(suite / "figures" / "aggregate__eval_return_mean.dat");
  // contenders only: ppo at the start's mean is 0, apa at the oracle's is 1
  ASSERT_EQ(by_label.size(), 3u) << md;
  EXPECT_NEAR(by_label["\"ppo\""][0], 0.0, 1e-9);
  EXPECT_NEAR(by_label["\"apa\""][0], 1.0, 1e-9);
  EXPECT_NEAR(by_label["\"dpo\""][0], 0.9, 1e-9);
  EXPECT_EQ(by_label.count("\"oracle\"") + by_label.count("\"start\""), 0u);
  const Table t = table_with(md, "normalized mean [95% CI]");
  EXPECT_EQ(t.rows.count("oracle") + t.rows.count("start"), 0u) << md;
  EXPECT_EQ(t.cell("ppo", "normalized mean [95% CI]").rfind("0.00 [", 0), 0u) << md;
  EXPECT_NE(md.find("Hopper-v5: 0 = 100.0 (`start`"), std::string::npos) << md;
  EXPECT_NE(md.find("1 = 200.0 (`oracle`"), std::string::npos) << md;
  // five seeds: no warning
  EXPECT_EQ(md.find("fewer than 5 finished seeds"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

TEST(Report, ClaimsGetTheirVerdictInWords) {
  const fs::path suite = protocol_suite("protocol_claims", 5);
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  const size_t claims = md.find("## Claims");
  ASSERT_NE(claims, std::string::npos) << md;
  EXPECT_LT(md.find("## Setup"), claims);
  EXPECT_GT(md.find("## evaluation return"), claims) << "near the top, before the sections";
  EXPECT_NE(md.find("- **holds**: apa − ppo = 1.00 [", claims), std::string::npos) << md;
  EXPECT_NE(md.find("on Hopper-v5 (5 seeds each) (\"APA beats PPO\")", claims), std::string::npos)
      << md;
  EXPECT_NE(md.find("- **refuted**: ppo − apa = -1.00 [", claims), std::string::npos) << md;
  EXPECT_NE(md.find("- **inconclusive**: dpo − apa = -0.10 [", claims), std::string::npos) << md;
  EXPECT_EQ(md.find("fewer than 5 finished seeds"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

TEST(Report, FewerThanFiveSeedsAreWarnedInWords) {
  const fs::path suite = protocol_suite("protocol_few", 3);
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  const std::string html = read_text(outcome.html_path);
  const std::string warning = "fewer than 5 finished seeds";
  // the per-task table, the overview, the aggregate and each claim
  EXPECT_NE(md.find(warning + "** stand behind ppo (3 seeds), apa (3 seeds), dpo (3 seeds), "
                              "start (3 seeds) and oracle (3 seeds) in the Hopper-v5 table"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find(warning + "** stand behind Hopper-v5/ppo (3 seeds)"), std::string::npos);
  EXPECT_NE(md.find(warning + "** stand behind ppo (3 seeds), apa (3 seeds) and dpo (3 seeds) in "
                              "the aggregate"),
            std::string::npos)
      << md;
  size_t in_claims = 0;
  for (size_t at = md.find("## Claims"); (at = md.find(warning, at + 1)) != std::string::npos &&
                                         at < md.find("## evaluation return");)
    ++in_claims;
  EXPECT_EQ(in_claims, 3u) << md;
  EXPECT_NE(html.find("<b>Warning: " + warning + "</b>"), std::string::npos);
  fs::remove_all(suite.parent_path());
}

TEST(Report, ProtocolTaskWhoseOracleIsNoBetterIsLeftOut) {
  const fs::path suite = fresh_dir("protocol_flat") / "proto";
  write_suite_json(suite, json::array());
  for (int seed = 1; seed <= 2; ++seed)
    for (const char* label : {"ppo", "start", "oracle"}) {
      std::vector<json> lines;
      for (int k = 0; k < 3; ++k)
        lines.push_back({{"env_steps", 100 * k}, {"eval/return_mean", 50.0 + seed}});
      write_run(suite, "Hopper-v5", "Hopper-v5", label, label == std::string("ppo") ? "ppo" : label,
                seed, lines);
    }
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  EXPECT_NE(md.find("the oracle (51.50, mean over 2 seeds) is not better than the start"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("No task can be normalized"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

// Control evaluations also log the sampled-action return: a section of its own over the tasks
// that log it, and no "skipped" line where none does (text tasks).
TEST(Report, SampledActionReturnIsASectionWhereItIsLogged) {
  const fs::path suite = fresh_dir("sampled") / "suite";
  for (int seed = 1; seed <= 2; ++seed) {
    std::vector<json> lines;
    for (int k = 0; k <= 2; ++k)
      lines.push_back({{"env_steps", 100 * k},
                       {"wall_seconds", 1.0 + k},
                       {"eval/return_mean", 10.0 * k},
                       {"eval/sampled_return_mean", 7.0 * k + seed}});
    write_run(suite, "Hopper-v5", "Hopper-v5", "ppo", "ppo", seed, lines);
    write_run(suite, "text_sort", "text/sort", "ppo", "ppo", seed,
              {text_eval(0, 0.5, 0, 0, 0.9, 8), text_eval(200, 0.7, 1, 1, 0.8, 8)});
  }
  const std::string md =
      read_text(write_report(suite.string(), quick_options(false)).markdown_path);
  const size_t at = md.find("## sampled-action return — `eval/sampled_return_mean`");
  ASSERT_NE(at, std::string::npos) << md;
  const std::string section = md.substr(at);
  // final score: the mean of the last 3 evaluations, (1 + 8 + 15)/3 = 8 and 9 → 8.5
  EXPECT_NE(section.find("| Hopper-v5 | **8.50 [8.00, 9.00]**"), std::string::npos) << section;
  EXPECT_EQ(section.find("### text_sort"), std::string::npos) << "no text task in it";
  EXPECT_EQ(md.find("skipped"), std::string::npos) << md;
  fs::remove_all(suite.parent_path());
}

// A finished run whose files were damaged after it ended (defect: a truncated metrics.jsonl made
// an earlier evaluation the final score; a wrong-typed line dropped the seed while the setup still
// said "4 / 4 finished"; a bad line mid-file listed it as "no `done`") is reported as damaged, by
// name and with the reason, and left out; the intact seed alone is reported.
TEST(Report, DamagedFinishedRunsAreNamedAndLeftOut) {
  const fs::path suite = fresh_dir("damaged") / "suite";
  auto lines_of = [](int seed) {
    std::vector<json> lines;
    for (int steps : {0, 100, 200})
      lines.push_back({{"env_steps", steps},
                       {"wall_seconds", 1.0 + steps},
                       {"eval/return_mean", 1000.0 * seed + steps}});
    return lines;
  };
  for (int seed = 1; seed <= 5; ++seed) {
    write_run(suite, "Hopper-v5", "Hopper-v5", "ppo", "ppo", seed, lines_of(seed));
    // what the runner's `done` records
    std::ofstream(suite / "Hopper-v5/ppo" / ("seed-" + std::to_string(seed)) / "done")
        << json({{"wall_seconds", 3.0},
                 {"final_return_mean", 1000.0 * seed + 200},
                 {"metrics_lines", 3}})
               .dump()
        << "\n";
  }
  auto metrics_of = [&](int seed) {
    return suite / "Hopper-v5/ppo" / ("seed-" + std::to_string(seed)) / "metrics.jsonl";
  };
  {  // seed 1: cut after its second line (the last evaluation lost)
    std::vector<json> l = lines_of(1);
    std::ofstream m(metrics_of(1));
    m << l[0].dump() << "\n" << l[1].dump() << "\n";
  }
  {  // seed 2: a wrong-typed evaluation in the middle
    std::vector<json> l = lines_of(2);
    l[1]["eval/return_mean"] = "1100";
    std::ofstream m(metrics_of(2));
    for (const auto& x : l) m << x.dump() << "\n";
  }
  {  // seed 3: a torn line mid-file
    std::vector<json> l = lines_of(3);
    std::ofstream m(metrics_of(3));
    m << l[0].dump() << "\n{\"env_steps\": 10\n" << l[2].dump() << "\n";
  }
  {  // seed 4: an empty file
    std::ofstream m(metrics_of(4));
  }
  // seed 5: intact
  const ReportOutcome outcome = write_report(suite.string(), quick_options(false));
  const std::string md = read_text(outcome.markdown_path);
  EXPECT_EQ(outcome.runs_finished, 1);
  const size_t at = md.find("**Damaged runs**");
  ASSERT_NE(at, std::string::npos) << md;
  for (const char* expected :
       {"`Hopper-v5/ppo/seed-1`: metrics.jsonl's last evaluation is at 100 steps, short of the "
        "budget of 200",
        "`Hopper-v5/ppo/seed-2`: metrics.jsonl line 2: `eval/return_mean` is \"1100\", not a "
        "number",
        "`Hopper-v5/ppo/seed-3`: ", "metrics.jsonl:2: not a JSON line",
        "`Hopper-v5/ppo/seed-4`: metrics.jsonl is missing or empty"})
    EXPECT_NE(md.find(expected, at), std::string::npos) << expected << " in\n" << md;
  EXPECT_EQ(md.find("Unfinished runs"), std::string::npos) << md;
  EXPECT_EQ(md.find("seed-5`:"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 / 5 |"), std::string::npos) << "the setup counts the intact run only\n"
                                                     << md;
  EXPECT_EQ(outcome.notes.size() >= 4, true);

  // the count `done` recorded catches a cut that still reaches the budget (a line lost before it)
  {
    std::vector<json> l = lines_of(5);
    std::ofstream m(metrics_of(5));
    m << l[1].dump() << "\n" << l[2].dump() << "\n";
  }
  const std::string md2 =
      read_text(write_report(suite.string(), quick_options(false)).markdown_path);
  EXPECT_NE(md2.find("`Hopper-v5/ppo/seed-5`: metrics.jsonl has 2 lines; the run wrote 3"),
            std::string::npos)
      << md2;
  // and the final return `done` recorded catches an edited last evaluation
  {
    std::vector<json> l = lines_of(5);
    l[2]["eval/return_mean"] = 9.0;
    std::ofstream m(metrics_of(5));
    for (const auto& x : l) m << x.dump() << "\n";
  }
  const std::string md3 =
      read_text(write_report(suite.string(), quick_options(false)).markdown_path);
  EXPECT_NE(md3.find("`Hopper-v5/ppo/seed-5`: metrics.jsonl's last evaluation return is 9.0; "
                     "the run ended at 5200.0"),
            std::string::npos)
      << md3;
  fs::remove_all(suite.parent_path());
}

}  // namespace
}  // namespace tandem::suites
