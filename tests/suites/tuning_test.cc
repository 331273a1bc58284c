// Fair tuning (suites/tuning.h, docs/protocol.md §4): every contender the same budget of grid
// points, the choice made on the tuning seeds alone against the references run on those seeds,
// and the runner's two phases end to end with --only and --resume across them.
#include "suites/tuning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "envs/error.h"
#include "suites/suite.h"
#include "tests/suites/run_tandem.h"
#include "tests/suites/suite_text.h"
#include "tests/suites/test_files.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

Suite parse(const std::string& text) { return tandem::testing::parse_suite(text, "tuned"); }
std::string error_of(const std::string& text) { return tandem::testing::suite_error(text); }

// A protocol suite on one cheap task with two contenders; `tuning` is its "tuning" field.
std::string suite_with(const std::string& tuning, const std::string& feedback = "{}") {
  return R"({"tasks": [{"env": "InvertedPendulum-v5", "label": "pendulum", "steps": 1024,
                        "eval": {"interval": 512, "episodes": 2},
                        "protocol": {"oracle": {"steps_per_env": 256, "minibatches": 4,
                                                "epochs": 2},
                                     "feedback": )" +
         feedback + R"(}}],
    "algorithms": [{"name": "ppo", "config": {"steps_per_env": 256, "minibatches": 4,
                                              "epochs": 2}, "policy": {"hidden": [8]}},
                   {"name": "apa", "config": {"steps_per_env": 256, "minibatches": 4,
                                              "epochs": 2}, "policy": {"hidden": [8]}}],
    "seeds": 2, "tuning": )" +
         tuning + "}";
}

const char* kTuning = R"({"seeds": 2, "grids": {
    "ppo": {"config.learning_rate": [0.001, 0.0003], "config.clip": [0.1, 0.2]},
    "apa": {"config.learning_rate": [0.003, 0.001, 0.0003, 0.0001]}}})";

fs::path fresh_dir(const std::string& name) {
  return tandem::testing::fresh_test_dir("tuning_test", name);
}
using tandem::testing::read_text;

TEST(Tuning, EveryContenderGetsTheSameGridBudgetOnTuningSeeds) {
  const Suite s = parse(suite_with(kTuning));
  ASSERT_TRUE(s.tuning.has_value());
  EXPECT_EQ(s.tuning->points, 4u);
  EXPECT_EQ(s.tuning->seeds, (std::vector<uint64_t>{1001, 1002})) << "a count: from 1001 on";
  const Suite t = tuning_suite(s);
  EXPECT_EQ(t.name, "tuned/tuning");
  EXPECT_EQ(t.seeds, s.tuning->seeds);
  std::vector<std::string> labels;
  for (const auto& a : t.algorithms) labels.push_back(a.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"ppo.g1", "ppo.g2", "ppo.g3", "ppo.g4", "apa.g1",
                                              "apa.g2", "apa.g3", "apa.g4", "start", "oracle"}));
  EXPECT_EQ(t.runs().size(), 10u * 2u);
  std::map<std::string, json> config;
  for (const SuiteRun& r : t.runs())
    if (r.seed == 1001) config[r.algorithm->label] = r.config();
  // the cross product over the fields in name order, the last fastest; the rest of the config
  // kept
  EXPECT_EQ(config["ppo.g1"]["clip"], 0.1);
  EXPECT_EQ(config["ppo.g1"]["learning_rate"], 0.001);
  EXPECT_EQ(config["ppo.g2"]["clip"], 0.1);
  EXPECT_EQ(config["ppo.g2"]["learning_rate"], 0.0003);
  EXPECT_EQ(config["ppo.g3"]["clip"], 0.2);
  EXPECT_EQ(config["ppo.g3"]["learning_rate"], 0.001);
  EXPECT_EQ(config["ppo.g4"]["epochs"], 2);
  EXPECT_EQ(config["apa.g4"]["learning_rate"], 0.0001);
  EXPECT_FALSE(config["oracle"].contains("learning_rate")) << "references are not tuned";
  // the evaluation phase's suite is untouched until a choice is made
  for (const SuiteRun& r : s.runs()) EXPECT_FALSE(r.config().contains("clip"));
  EXPECT_EQ(s.resolved()["tuning"]["points"], 4);
}

TEST(Tuning, GridsThatWouldMakeTheComparisonUnfairAreRefused) {
  auto error = [](const std::string& tuning, const std::string& feedback = "{}") {
    return error_of(suite_with(tuning, feedback));
  };
  // unequal budgets
  EXPECT_NE(error(R"({"grids": {"ppo": {"config.learning_rate": [0.001, 0.0003]},
                                 "apa": {"config.learning_rate": [0.001]}}})")
                .find("same number of points"),
            std::string::npos);
  // a contender left untuned
  EXPECT_NE(error(R"({"grids": {"ppo": {"config.learning_rate": [0.001]}}})")
                .find("no grid for contender 'apa'"),
            std::string::npos);
  // references are not tuned
  EXPECT_NE(error(R"({"grids": {"ppo": {"config.learning_rate": [0.001]},
                                 "apa": {"config.learning_rate": [0.001]},
                                 "oracle": {"config.learning_rate": [0.001]}}})")
                .find("not the label of a contender"),
            std::string::npos);
  // tuning seeds overlap the evaluation seeds
  EXPECT_NE(error(R"({"seeds": [2, 7], "grids": {"ppo": {"config.learning_rate": [0.001]},
                                                  "apa": {"config.learning_rate": [0.001]}}})")
                .find("seed 2, an evaluation seed"),
            std::string::npos);
  // the task's feedback is the protocol's, not a knob
  EXPECT_NE(error(R"({"grids": {"ppo": {"config.learning_rate": [0.001, 0.0003]},
                                 "apa": {"config.adv_coeff": [1, 3]}}})",
                  R"({"adv_coeff": 2})")
                .find("not tuned"),
            std::string::npos);
  // a misspelt field fails when the suite is read, naming it
  EXPECT_NE(error(R"({"grids": {"ppo": {"config.learning_rat": [0.001]},
                                 "apa": {"config.learning_rate": [0.001]}}})")
                .find("learning_rat"),
            std::string::npos);
  EXPECT_NE(error(R"({"grids": {"ppo": {"learning_rate": [0.001]},
                                 "apa": {"config.learning_rate": [0.001]}}})")
                .find("config.NAME"),
            std::string::npos);
  // tuning needs the references: a protocol suite
  EXPECT_NE(error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
                         "algorithms": [{"name": "ppo"}],
                         "tuning": {"grids": {"ppo": {"config.learning_rate": [0.001]}}}})")
                .find("protocol suite"),
            std::string::npos);
  EXPECT_EQ(error(kTuning), "");
}

// A run folder whose last three evaluations score `score` (final score: their mean).
void fake_run(const fs::path& dir, double score, bool finished = true) {
  fs::create_directories(dir);
  // a finished run's config.json says its budget; the report checks its metrics reach it
  std::ofstream(dir / "config.json") << json{{"steps", 512 * 3}}.dump() << "\n";
  std::ofstream m(dir / "metrics.jsonl");
  m << json{{"env_steps", 0}, {"eval/return_mean", -1000.0}}.dump() << "\n";
  for (int k = 1; k <= 3; ++k)
    m << json{{"env_steps", 512 * k}, {"eval/return_mean", score + (k - 2) * 1.0}}.dump() << "\n";
  if (finished) std::ofstream(dir / "done") << "\n";
}

// The choice reads the tuning seeds' runs alone: runs of an evaluation seed in the tuning folder
// (planted here with the opposite ranking) change nothing.
TEST(Tuning, TheChoiceIsMadeOnTheTuningSeedsOnly) {
  const Suite s = parse(suite_with(kTuning));
  const fs::path dir = fresh_dir("select");
  auto run = [&](const std::string& label, uint64_t seed, double score, bool finished = true) {
    fake_run(dir / "pendulum" / label / ("seed-" + std::to_string(seed)), score, finished);
  };
  for (uint64_t seed : {1001, 1002}) {
    run("start", seed, 10);
    run("oracle", seed, 110);
    // ppo: g3 best (60 → 0.5 normalized), g1 second
    for (int k = 1; k <= 4; ++k) run("ppo.g" + std::to_string(k), seed, k == 3 ? 60 : 40 - k);
    // apa: g2 and g4 tie on the mean: the earlier point is kept
    for (int k = 1; k <= 4; ++k)
      run("apa.g" + std::to_string(k), seed, k == 2 || k == 4 ? (seed == 1001 ? 30 : 50) : 20);
  }
  // an evaluation seed's runs: g1 far ahead, for both contenders
  for (const char* label : {"ppo.g1", "apa.g1", "start", "oracle"}) run(label, 1, 1e6);
  json selection = select_tuned(s, dir.string());
  const json& task = selection["tasks"]["pendulum"];
  EXPECT_DOUBLE_EQ(task["start"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(task["oracle"].get<double>(), 110);
  const json& ppo = task["contenders"]["ppo"];
  EXPECT_EQ(ppo["chosen"], 2);
  EXPECT_DOUBLE_EQ(ppo["points"][2]["mean"].get<double>(), 0.5);
  EXPECT_EQ(ppo["points"][2]["values"],
            (json{{"config.learning_rate", 0.001}, {"config.clip", 0.2}}));
  EXPECT_EQ(ppo["points"][2]["scores"], (json{60.0, 60.0})) << "two tuning seeds, not three";
  EXPECT_EQ(task["contenders"]["apa"]["chosen"], 1);
  EXPECT_DOUBLE_EQ(task["contenders"]["apa"]["points"][1]["mean"].get<double>(), 0.3);

  // the evaluation phase runs the choice
  const Suite tuned = tuned_suite(s, selection);
  for (const SuiteRun& r : tuned.runs()) {
    if (r.algorithm->label == "ppo") {
      EXPECT_EQ(r.config()["learning_rate"], 0.001);
      EXPECT_EQ(r.config()["clip"], 0.2);
      EXPECT_EQ(r.config()["epochs"], 2);
    }
    if (r.algorithm->label == "apa") {
      EXPECT_EQ(r.config()["learning_rate"], 0.001);
    }
    if (r.algorithm->label == "oracle") {
      EXPECT_FALSE(r.config().contains("learning_rate"));
    }
    EXPECT_TRUE(r.seed == 1 || r.seed == 2) << "evaluation seeds";
  }
  const json resolved = tuned.resolved();
  EXPECT_EQ(resolved["tuning"]["selection"], selection);
  EXPECT_EQ(resolved["algorithms"][0]["by_task"]["pendulum"]["config"]["learning_rate"], 0.001);

  // an unfinished tuning run: no choice on its task, which waits, naming the run
  fs::remove(dir / "pendulum/apa.g3/seed-1002/done");
  const json waiting = select_tuned(s, dir.string());
  EXPECT_FALSE(waiting["tasks"].contains("pendulum"));
  EXPECT_EQ(waiting["unfinished"]["pendulum"], (json{"pendulum/apa.g3/seed-1002"}));
  fs::remove_all(dir);
}

// Task by task: a task whose tuning runs have finished is chosen for and evaluated while another
// still tunes; a claim on the waiting task alone waits with it.
TEST(Tuning, ATaskWhoseTuningHasFinishedGoesOnWhileAnotherWaits) {
  std::string text = suite_with(kTuning);
  // a second task, and claims on each
  text.replace(
      text.find("\"tasks\": ["), 10,
      R"("tasks": [{"env": "InvertedPendulum-v5", "label": "second", "steps": 1024, "protocol": {}},)");
  text.insert(text.rfind('}'), R"(, "claims": [{"claim": "on both", "a": "apa", "b": "ppo"},
      {"claim": "on the second", "a": "apa", "b": "ppo", "tasks": ["second"]}])");
  const Suite s = parse(text);
  ASSERT_EQ(s.tasks.size(), 2u);
  const fs::path dir = fresh_dir("per_task");
  for (uint64_t seed : {1001, 1002}) {
    const std::string sd = "seed-" + std::to_string(seed);
    for (const char* label : {"start", "oracle"}) fake_run(dir / "pendulum" / label / sd, 10);
    for (int k = 1; k <= 4; ++k) {
      fake_run(dir / "pendulum" / ("ppo.g" + std::to_string(k)) / sd, 30);
      fake_run(dir / "pendulum" / ("apa.g" + std::to_string(k)) / sd, 30);
    }
  }
  fake_run(dir / "second/start/seed-1001", 10);  // the second task has barely begun
  const json selection = select_tuned(s, dir.string());
  EXPECT_TRUE(selection["tasks"].contains("pendulum"));
  EXPECT_FALSE(selection["tasks"].contains("second"));
  EXPECT_EQ(selection["unfinished"]["second"].size(), 19u) << "10 labels × 2 seeds, one done";
  const Suite tuned = tuned_suite(s, selection);
  ASSERT_EQ(tuned.tasks.size(), 1u);
  EXPECT_EQ(tuned.tasks[0].label, "pendulum");
  EXPECT_EQ(tuned.runs().size(), 4u * 2u) << "2 contenders and 2 references × 2 seeds";
  ASSERT_EQ(tuned.claims.size(), 1u) << "the claim on the second task alone waits";
  EXPECT_EQ(tuned.claims[0].tasks, (std::vector<std::string>{"pendulum"}));
  fs::remove_all(dir);
}

// Without a scale (the oracle no better than the start) the raw scores decide.
TEST(Tuning, WithoutAScaleTheRawScoresDecide) {
  const Suite s = parse(suite_with(kTuning));
  const fs::path dir = fresh_dir("unscaled");
  for (uint64_t seed : {1001, 1002}) {
    const std::string sd = "seed-" + std::to_string(seed);
    fake_run(dir / "pendulum/start" / sd, 50);
    fake_run(dir / "pendulum/oracle" / sd, 40);
    for (int k = 1; k <= 4; ++k) {
      fake_run(dir / "pendulum" / ("ppo.g" + std::to_string(k)) / sd, k == 4 ? 70 : 30);
      fake_run(dir / "pendulum" / ("apa.g" + std::to_string(k)) / sd, 30);
    }
  }
  const json selection = select_tuned(s, dir.string());
  EXPECT_FALSE(selection["tasks"]["pendulum"]["scaled"].get<bool>());
  EXPECT_EQ(selection["tasks"]["pendulum"]["contenders"]["ppo"]["chosen"], 3);
  EXPECT_DOUBLE_EQ(
      selection["tasks"]["pendulum"]["contenders"]["ppo"]["points"][3]["mean"].get<double>(), 70);
  fs::remove_all(dir);
}

// The runner end to end: --only runs part of the tuning phase and waits; --resume finishes it,
// writes the choice, runs the evaluation seeds with it and the report prints grid and choice;
// a rerun recomputes nothing.
TEST(Tuning, TheRunnerTunesThenEvaluatesAndResumesAcrossPhases) {
  const fs::path dir = fresh_dir("runner");
  const fs::path file = dir / "tuned.json";
  std::ofstream(file) << suite_with(R"({"seeds": 2, "grids": {
      "ppo": {"config.learning_rate": [0.003, 0.0003]},
      "apa": {"config.learning_rate": [0.003, 0.0003]}}})");
  const std::string results = (dir / "results").string();
  using tandem::testing::run_tandem;
  const auto part =
      run_tandem("run " + file.string() + " --jobs 2 --only '*.g1/*' --results " + results);
  ASSERT_EQ(part.status, 0) << part.text;
  EXPECT_NE(part.text.find("evaluation phase not started"), std::string::npos) << part.text;
  EXPECT_TRUE(fs::exists(dir / "results/tuned/tuning/pendulum/ppo.g1/seed-1002/done"));
  EXPECT_FALSE(fs::exists(dir / "results/tuned/tuning/pendulum/ppo.g2"));
  EXPECT_FALSE(fs::exists(dir / "results/tuned/pendulum")) << "no evaluation run before the choice";

  const auto again = run_tandem("run " + file.string() + " --jobs 2 --results " + results);
  EXPECT_NE(again.status, 0) << "finished tuning runs without --resume are refused";
  EXPECT_NE(again.text.find("--resume"), std::string::npos) << again.text;

  const auto rest = run_tandem("run " + file.string() + " --jobs 2 --resume --results " + results);
  ASSERT_EQ(rest.status, 0) << rest.text;
  EXPECT_NE(rest.text.find("tuned: pendulum ppo"), std::string::npos) << rest.text;
  const json selection = read_json_file((dir / "results/tuned/tuning/selection.json").string());
  const size_t chosen = selection["tasks"]["pendulum"]["contenders"]["ppo"]["chosen"];
  const double lr = chosen == 0 ? 0.003 : 0.0003;
  for (int seed : {1, 2}) {
    const json config = read_json_file(
        (dir / ("results/tuned/pendulum/ppo/seed-" + std::to_string(seed)) / "config.json")
            .string());
    EXPECT_EQ(config["algorithm"]["config"]["learning_rate"], lr) << "the chosen point runs";
    EXPECT_TRUE(
        fs::exists(dir / ("results/tuned/pendulum/oracle/seed-" + std::to_string(seed)) / "done"));
  }
  const std::string md = read_text(dir / "results/tuned/report.md");
  EXPECT_NE(md.find("## Tuning"), std::string::npos) << md;
  EXPECT_NE(md.find("chosen"), std::string::npos);
  EXPECT_NE(md.find("learning_rate=0.003"), std::string::npos);
  EXPECT_NE(md.find("1001, 1002"), std::string::npos);
  // a grid of two learning rates: whichever is chosen sits at its edge, and the report says so
  EXPECT_NE(md.find("At the edge of the grid"), std::string::npos) << md;
  EXPECT_EQ(md.find("ppo.g1"), std::string::npos) << "tuning runs stay out of the tables";

  const auto done = run_tandem("run " + file.string() + " --resume --results " + results);
  ASSERT_EQ(done.status, 0) << done.text;
  EXPECT_NE(done.text.find("0 finished now"), std::string::npos) << done.text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tandem::suites
