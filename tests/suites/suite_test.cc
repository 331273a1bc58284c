// The suite file: defaults, expansion into runs, sweeps, and errors that name file and field.
#include "suites/suite.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "envs/error.h"
#include "tests/suites/suite_text.h"
#include "tests/text_support.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;

Suite parse(const std::string& text) { return tandem::testing::parse_suite(text); }
std::string error_of(const std::string& text) { return tandem::testing::suite_error(text); }

const char* kMinimal = R"({"tasks": [{"env": "InvertedPendulum-v5"}],
                           "algorithms": [{"name": "ppo"}]})";

TEST(Suite, DefaultsAndRunKeys) {
  Suite s = parse(kMinimal);
  EXPECT_EQ(s.name, "fallback");
  ASSERT_EQ(s.tasks.size(), 1u);
  EXPECT_EQ(s.tasks[0].label, "InvertedPendulum-v5");
  EXPECT_EQ(s.tasks[0].steps, 1000000);
  EXPECT_EQ(s.tasks[0].eval_interval, 20000);
  EXPECT_EQ(s.tasks[0].eval_episodes, 10);
  EXPECT_EQ(s.algorithms[0].label, "ppo");
  EXPECT_EQ(s.algorithms[0].resolved_config["epochs"], 10) << "defaults resolved";
  EXPECT_EQ(s.seeds, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s.threads, 1);
  auto runs = s.runs();
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0].key(), "InvertedPendulum-v5/ppo/seed-1");
  EXPECT_EQ(runs[4].key(), "InvertedPendulum-v5/ppo/seed-5");
}

TEST(Suite, FullSchemaExpandsSeedMajor) {
  Suite s = parse(R"({
    "name": "grid",
    "tasks": [{"env": "InvertedPendulum-v5", "label": "pendulum", "kind": "control",
               "options": {"reset_noise_scale": 0.02}},
              {"env": "Hopper-v5", "steps": 777, "eval": {"episodes": 2}}],
    "algorithms": [{"name": "ppo", "label": "ppo_small", "config": {"epochs": 3},
                    "policy": {"hidden": [16]}},
                   {"name": "ppo"}],
    "seeds": [7, 3],
    "steps": {"control": 1000, "default": 2000},
    "eval": {"interval": 500, "episodes": 4},
    "threads": 2
  })");
  EXPECT_EQ(s.name, "grid");
  EXPECT_EQ(s.tasks[0].label, "pendulum");
  EXPECT_EQ(s.tasks[0].steps, 1000) << "by kind";
  EXPECT_EQ(s.tasks[0].options["reset_noise_scale"], 0.02);
  EXPECT_EQ(s.tasks[0].eval_episodes, 4);
  EXPECT_EQ(s.tasks[1].steps, 777) << "the task's own steps win";
  EXPECT_EQ(s.tasks[1].eval_interval, 500);
  EXPECT_EQ(s.tasks[1].eval_episodes, 2) << "task eval overrides field by field";
  EXPECT_EQ(s.algorithms[0].resolved_config["epochs"], 3);
  EXPECT_EQ(s.algorithms[0].policy["hidden"], json({16}));
  EXPECT_EQ(s.threads, 2);
  std::vector<std::string> keys;
  for (const auto& r : s.runs()) keys.push_back(r.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"pendulum/ppo_small/seed-7", "pendulum/ppo/seed-7",
                                            "Hopper-v5/ppo_small/seed-7", "Hopper-v5/ppo/seed-7",
                                            "pendulum/ppo_small/seed-3", "pendulum/ppo/seed-3",
                                            "Hopper-v5/ppo_small/seed-3", "Hopper-v5/ppo/seed-3"}));
  const json expected = s.expected_run_config(s.runs()[0]);
  EXPECT_EQ(expected["seed"], 7);
  EXPECT_EQ(expected["steps"], 1000);
  EXPECT_EQ(expected["algorithm"]["config"]["epochs"], 3);
  const json resolved = s.resolved();
  EXPECT_EQ(resolved["runs"], 8);
  EXPECT_EQ(resolved["tasks"][1]["steps"], 777);
}

TEST(Suite, AlgorithmsOverrideBudgetAndFieldsByTaskKind) {
  TANDEM_SKIP_WITHOUT_TEXT();
  Suite s = parse(R"({
    "tasks": [{"env": "InvertedPendulum-v5", "kind": "control"},
              {"env": "Hopper-v5", "kind": "control", "steps": 5000},
              {"env": "text/sort", "kind": "text"}],
    "algorithms": [{"name": "dpo", "steps": {"text": 300, "default": 200},
                    "eval_interval": {"control": 50}, "config": {"pairs": 100},
                    "by_kind": {"text": {"config": {"pairs": 50, "beta": 0.2}}}},
                   {"name": "ppo", "steps": 64},
                   {"name": "apa"}],
    "seeds": 1,
    "steps": 1000
  })");
  auto runs = s.runs();
  ASSERT_EQ(runs.size(), 9u);
  // dpo: its own budget by kind, "default" for control; fields by kind over "config"
  EXPECT_EQ(runs[0].steps(), 200);
  EXPECT_EQ(runs[0].config()["pairs"], 100);
  EXPECT_EQ(runs[6].key(), "text_sort/dpo/seed-1");
  EXPECT_EQ(runs[6].steps(), 300);
  EXPECT_EQ(runs[6].config()["pairs"], 50);
  EXPECT_EQ(runs[6].config()["beta"], 0.2);
  // ppo: one number for every task; apa: the tasks' budgets
  EXPECT_EQ(runs[4].steps(), 64);
  EXPECT_EQ(runs[5].steps(), 5000);
  EXPECT_EQ(runs[8].steps(), 1000);
  EXPECT_EQ(s.expected_run_config(runs[6])["steps"], 300);
  // dpo evaluates every 50 pairs on control tasks, at the tasks' spacing on text; the others
  // at the tasks'
  EXPECT_EQ(runs[0].eval_interval(), 50);
  EXPECT_EQ(s.expected_run_config(runs[3])["eval"]["interval"], 50);
  EXPECT_EQ(runs[6].eval_interval(), 20000);
  EXPECT_EQ(runs[4].eval_interval(), 20000);
  EXPECT_EQ(s.resolved()["algorithms"][0]["eval_interval"], json({{"control", 50}}));
  EXPECT_NE(error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
                       "algorithms": [{"name": "dpo", "eval_interval": {"text": 10}}]})")
                .find("eval_interval: field 'text' names no task kind"),
            std::string::npos)
      << "a kind no task has";
  EXPECT_NE(error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
                       "algorithms": [{"name": "dpo", "eval_interval": 0}]})")
                .find("eval_interval"),
            std::string::npos)
      << "a spacing below 1";

  EXPECT_NE(error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
                       "algorithms": [{"name": "dpo", "by_kind": {"text": {"config": {}}}}]})")
                .find("by_kind: field 'text' names no task kind"),
            std::string::npos)
      << "a kind no task has";
  EXPECT_NE(error_of(R"({"tasks": [{"env": "text/sort", "kind": "text"}],
                       "algorithms": [{"name": "dpo", "by_kind": {"text": {"config": {"beta": -1}}}}]})")
                .find("beta"),
            std::string::npos)
      << "by-kind fields are validated";
}

TEST(Suite, SweepAddsLabelsAfterTheSweptOne) {
  Suite s = parse(R"({
    "tasks": [{"env": "InvertedPendulum-v5"}],
    "algorithms": [{"name": "ppo"}, {"name": "ppo", "label": "other"}],
    "sweep": {"algorithm": "ppo", "field": "config.learning_rate", "values": [0.001, 0.0001],
              "short": "lr"},
    "seeds": 1
  })");
  std::vector<std::string> labels;
  for (const auto& a : s.algorithms) labels.push_back(a.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"ppo", "ppo_lr=0.001", "ppo_lr=0.0001", "other"}));
  EXPECT_EQ(s.algorithms[1].resolved_config["learning_rate"], 0.001);
  EXPECT_EQ(s.algorithms[2].resolved_config["learning_rate"], 0.0001);
  EXPECT_EQ(s.algorithms[0].resolved_config["learning_rate"], 3e-4) << "the base stays";

  Suite p = parse(R"({
    "tasks": [{"env": "InvertedPendulum-v5"}], "algorithms": [{"name": "ppo"}],
    "sweep": {"field": "policy.hidden", "values": [[16, 16], [8]]}
  })");
  ASSERT_EQ(p.algorithms.size(), 3u);
  EXPECT_EQ(p.algorithms[1].label, "ppo_hidden=16-16");
  EXPECT_EQ(p.algorithms[1].policy["hidden"], json({16, 16}));
  EXPECT_EQ(p.algorithms[2].label, "ppo_hidden=8");
}

TEST(Suite, ErrorsNameTheFileAndTheField) {
  struct Case {
    const char* text;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}], "seed": 3})",
       {"test.json", "unknown field 'seed'", "seeds"}},
      {R"({"tasks": [{"env": "Hopper-v5", "option": {}}], "algorithms": [{"name": "ppo"}]})",
       {"tasks[0]", "'option'", "options"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}],
           "eval": {"interval": 0}})",
       {"test.json: eval", "'interval'", "out of range"}},
      {R"({"tasks": [{"env": "Hoper-v5"}], "algorithms": [{"name": "ppo"}]})",
       {"test.json", "Hoper-v5", "Hopper-v5"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppx"}]})", {"ppx", "ppo"}},
      {R"({"tasks": [{"env": "Hopper-v5"}],
           "algorithms": [{"name": "ppo", "config": {"learning_rate": 5}}]})",
       {"test.json", "algorithm 'ppo'", "learning_rate"}},
      {R"({"tasks": [{"env": "Hopper-v5"}],
           "algorithms": [{"name": "ppo"}, {"name": "ppo"}]})",
       {"algorithms[1]", "label", "twice"}},
      {R"({"tasks": [{"env": "Hopper-v5"}, {"env": "Hopper-v5"}],
           "algorithms": [{"name": "ppo"}]})",
       {"tasks[1]", "label", "distinct"}},
      {R"({"tasks": [{"env": "Hopper-v5", "kind": "text"}], "algorithms": [{"name": "ppo"}],
           "steps": {"control": 10}})",
       {"tasks[0]", "kind", "text"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}],
           "steps": {"default": 10, "contorl": 5}})",
       {"steps", "contorl", "names no task kind"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}], "seeds": [1, 1]})",
       {"seeds", "twice"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}], "seeds": 0})",
       {"seeds", "out of range"}},
      {R"({"tasks": [], "algorithms": [{"name": "ppo"}]})", {"tasks", "non-empty"}},
      {R"({"algorithms": [{"name": "ppo"}]})", {"tasks", "required"}},
      {R"({"tasks": [{"env": "Hopper-v5", "label": "a/b"}], "algorithms": [{"name": "ppo"}]})",
       {"label", "a/b", "folder"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}],
           "sweep": {"field": "learning_rate", "values": [1]}})",
       {"sweep", "field", "config.NAME"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}],
           "sweep": {"field": "config.learning_rate", "values": [7]}})",
       {"sweep value 7", "learning_rate"}},
      {R"({"tasks": [{"env": "Hopper-v5"}], "algorithms": [{"name": "ppo"}],
           "sweep": {"field": "config.learning_rate", "values": [0.1], "algorithm": "sac"}})",
       {"sweep", "'sac'"}},
      {R"({"tasks": [{"env": "Hopper-v5"}],
           "algorithms": [{"name": "ppo", "policy": {"hiddn": [3]}}]})",
       {"policy", "hiddn"}},
  };
  for (const auto& c : cases) {
    const std::string message = error_of(c.text);
    ASSERT_FALSE(message.empty()) << "no error for " << c.text;
    for (const auto& m : c.mentions)
      EXPECT_NE(message.find(m), std::string::npos) << "'" << m << "' not in: " << message;
  }
}

TEST(Suite, PatternsAreSubstringsOrGlobs) {
  EXPECT_TRUE(matches_pattern("Hopper-v5/ppo/seed-1", "Hopper"));
  EXPECT_TRUE(matches_pattern("Hopper-v5/ppo/seed-1", "ppo/seed-1"));
  EXPECT_FALSE(matches_pattern("Hopper-v5/ppo/seed-1", "seed-2"));
  EXPECT_TRUE(matches_pattern("Hopper-v5/ppo/seed-1", "*/ppo/*"));
  EXPECT_TRUE(matches_pattern("Hopper-v5/ppo/seed-12", "*seed-1?"));
  EXPECT_FALSE(matches_pattern("Hopper-v5/ppo_lr=0.001/seed-1", "*/ppo/*"));
  EXPECT_TRUE(matches_pattern("Hopper-v5/ppo/seed-3", "Hopper-v5/ppo/seed-[23]"));
}

TEST(Suite, TheSmokeSuiteParses) {
  const fs::path file =
      fs::path(TANDEM_TEST_DATA).parent_path().parent_path() / "suites" / "smoke.json";
  Suite s = load_suite(file.string());
  EXPECT_EQ(s.name, "smoke");
  EXPECT_EQ(s.runs().size(), 8u);
  EXPECT_EQ(s.algorithms[1].label, "ppo_lr=0.001");
}

TEST(Suite, EveryShippedSuiteParses) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const fs::path dir = fs::path(TANDEM_TEST_DATA).parent_path().parent_path() / "suites";
  std::map<std::string, size_t> runs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    Suite s = load_suite(entry.path().string());
    EXPECT_EQ(s.name, entry.path().stem().string()) << "the results folder is the file's name";
    runs[s.name] = s.runs().size();
  }
  // the sizes the README's table of shipped suites gives
  EXPECT_EQ(runs, (std::map<std::string, size_t>{{"aihf_budgets", 180},
                                                 {"apa_vs_ppo", 80},
                                                 {"feedback_algorithms", 80},
                                                 {"mujoco_ppo_apa", 135},
                                                 {"quickstart", 60},
                                                 {"smoke", 8}}));
}

// A protocol suite: the runner adds the start and the oracle to every task, and every contender
// on a task uses its one start policy and its one feedback set.
const char* kProtocol = R"({
  "tasks": [
    {"env": "text/sort", "kind": "text", "steps": 400,
     "protocol": {"feedback": {"pairs": 64, "demonstrations": 8}, "oracle": {"kl_coef": 0.05}}},
    {"env": "Hopper-v5", "label": "hopper_few", "kind": "control", "steps": 1000,
     "protocol": {"start": {"start_from": "expert:early"},
                  "feedback": {"pairs": 50, "segment_length": 50}}}
  ],
  "algorithms": [
    {"name": "dpo", "steps": 256, "config": {"beta": 0.2}},
    {"name": "aihf", "label": "rlhf", "config": {"w_d": 0, "rounds": 1}},
    {"name": "ppo", "label": "ppo_gold"}
  ],
  "seeds": 2})";

TEST(Suite, ProtocolAddsReferencesAndOneFeedbackSetPerTask) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const Suite s = parse(kProtocol);
  ASSERT_TRUE(s.protocol);
  std::vector<std::string> labels;
  for (const auto& a : s.algorithms) labels.push_back(a.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"dpo", "rlhf", "ppo_gold", "start", "oracle"}));
  EXPECT_EQ(s.algorithms[3].role, Role::kStart);
  EXPECT_EQ(s.algorithms[3].name, "start");
  EXPECT_EQ(s.algorithms[4].role, Role::kOracle);
  EXPECT_EQ(s.algorithms[4].name, "ppo");
  EXPECT_EQ(s.runs().size(), 2u * 5u * 2u);

  std::map<std::string, SuiteRun> run;
  for (const SuiteRun& r : s.runs())
    if (r.seed == 1) run[r.task->label + "/" + r.algorithm->label] = r;
  // every contender that has the field gets the task's value; fields it lacks are not added
  EXPECT_EQ(run["text_sort/dpo"].config()["pairs"], 64);
  EXPECT_FALSE(run["text_sort/dpo"].config().contains("demonstrations"));
  EXPECT_EQ(run["text_sort/dpo"].config()["beta"], 0.2);
  EXPECT_EQ(run["text_sort/rlhf"].config()["pairs"], 64);
  EXPECT_EQ(run["text_sort/rlhf"].config()["demonstrations"], 8);
  EXPECT_EQ(run["hopper_few/dpo"].config()["pairs"], 50);
  EXPECT_EQ(run["hopper_few/rlhf"].config()["segment_length"], 50);
  // ppo on the gold signal has no feedback fields: nothing added
  EXPECT_FALSE(run["text_sort/ppo_gold"].config().contains("pairs"));
  // the references: no feedback; the oracle takes the task's oracle config
  EXPECT_EQ(run["text_sort/oracle"].config(), (json{{"kl_coef", 0.05}}));
  EXPECT_EQ(run["hopper_few/oracle"].config(), json::object());
  EXPECT_EQ(run["hopper_few/start"].config(), json::object());
  // one start per task, for contenders and references alike
  for (const char* label : {"dpo", "rlhf", "ppo_gold", "start", "oracle"}) {
    EXPECT_EQ(run[std::string("hopper_few/") + label].policy()["start_from"], "expert:early")
        << label;
    EXPECT_FALSE(run[std::string("text_sort/") + label].policy().contains("start_from")) << label;
  }
  // budgets: the contender's own, else the task's, for the references too
  EXPECT_EQ(run["text_sort/dpo"].steps(), 256);
  EXPECT_EQ(run["text_sort/oracle"].steps(), 400);
  EXPECT_EQ(run["hopper_few/start"].steps(), 1000);
  // suite.json says who is who
  const json resolved = s.resolved();
  EXPECT_EQ(resolved["algorithms"][4]["role"], "oracle");
  EXPECT_EQ(resolved["tasks"][1]["protocol"]["feedback"]["pairs"], 50);
}

TEST(Suite, ProtocolRefusesAContenderWithItsOwnFeedbackOrStart) {
  auto with = [](const std::string& algorithms) {
    return std::string(R"({"tasks": [{"env": "Hopper-v5", "protocol": {"start": {"start_from":
      "expert:early"}, "feedback": {"pairs": 50}}}], "algorithms": )") +
           algorithms + "}";
  };
  EXPECT_NE(error_of(with(R"([{"name": "dpo", "config": {"pairs": 500}}])")).find("config.pairs"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name": "dpo", "by_kind": {"default": {"config": {"pairs": 5}}}}])"))
                .find("the same feedback"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name": "dpo", "policy": {"start_from": "expert:late"}}])"))
                .find("policy.start_from"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name": "ppo", "label": "oracle"}])")).find("reserved"),
            std::string::npos);
  // a feedback field no contender has is most likely misspelt
  EXPECT_NE(error_of(R"({"tasks": [{"env": "Hopper-v5", "protocol": {"feedback": {"pears": 5}}}],
                         "algorithms": [{"name": "dpo"}]})")
                .find("pears"),
            std::string::npos);
  // all tasks or none
  EXPECT_NE(error_of(R"({"tasks": [{"env": "Hopper-v5", "protocol": {}},
                                   {"env": "Walker2d-v5"}],
                         "algorithms": [{"name": "ppo"}]})")
                .find("some tasks and not others"),
            std::string::npos);
  EXPECT_EQ(error_of(with(R"([{"name": "dpo"}])")), "");
}

TEST(Suite, ClaimsNameContendersAndTasks) {
  TANDEM_SKIP_WITHOUT_TEXT();
  std::string text = kProtocol;
  text.insert(text.rfind('}'), R"(, "claims": [{"claim": "DPO beats RLHF", "a": "dpo", "b": "rlhf"},
      {"claim": "on Hopper", "a": "rlhf", "b": "dpo", "tasks": ["hopper_few"]}])");
  const Suite s = parse(text);
  ASSERT_EQ(s.claims.size(), 2u);
  EXPECT_EQ(s.claims[0].tasks, (std::vector<std::string>{"text_sort", "hopper_few"}));
  EXPECT_EQ(s.claims[1].tasks, (std::vector<std::string>{"hopper_few"}));
  EXPECT_EQ(s.resolved()["claims"][1]["a"], "rlhf");
  auto claim = [&](const std::string& c) {
    std::string t = kProtocol;
    t.insert(t.rfind('}'), ", \"claims\": [" + c + "]");
    return error_of(t);
  };
  EXPECT_NE(
      claim(R"({"claim": "x", "a": "dpo", "b": "oracle"})").find("not the label of a contender"),
      std::string::npos);
  EXPECT_NE(claim(R"({"claim": "x", "a": "dpo", "b": "rlhf", "tasks": ["nope"]})").find("nope"),
            std::string::npos);
  EXPECT_NE(claim(R"({"a": "dpo", "b": "rlhf"})").find("'claim' is required"), std::string::npos);
}

// A mistyped reward model, dataset or start folder fails when the suite is read, naming the label
// and the field; before, the suite validated and every run using it failed.
TEST(Suite, NamedFilesThatDoNotExistAreErrorsBeforeAnyRun) {
  const std::string rm = error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
    "algorithms": [{"name": "ppo", "label": "rlhf", "config": {"reward_model": "results/nothere"}}]})");
  EXPECT_NE(rm.find("algorithm 'rlhf' on task 'InvertedPendulum-v5': reward_model "
                    "\"results/nothere\" is not the folder of a finished `reward_model` run"),
            std::string::npos)
      << rm;
  const std::string start = error_of(R"({"tasks": [{"env": "InvertedPendulum-v5"}],
    "algorithms": [{"name": "ppo", "policy": {"start_from": "results/nothere"}}]})");
  EXPECT_NE(start.find("policy start_from \"results/nothere\" is not a run folder"),
            std::string::npos)
      << start;
}

}  // namespace
}  // namespace tandem::suites
