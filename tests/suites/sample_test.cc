// `tandem sample` end to end: completions of text prompts with their gold reward, from
// --prompt or standard input, from an untrained LM or a checkpoint. Kept fast with a one-layer,
// 32-wide LM that is never pretrained (policy.init=random).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agents/policy_factory.h"
#include "algorithms/checkpoint.h"
#include "algorithms/evaluation.h"
#include "envs/config.h"
#include "envs/registry.h"
#include "envs/text/text_env.h"
#include "tests/suites/run_tandem.h"
#include "tests/text_support.h"

namespace {
namespace fs = std::filesystem;

using tandem::json;
using tandem::testing::Output;

Output run(const std::string& args) { return tandem::testing::run_tandem(args); }

const char kTiny[] =
    "--set policy.init=random --set policy.layers=1 --set policy.width=32 --set policy.heads=2";

// The JSON lines of `text` (other lines, e.g. notes on stderr, skipped).
std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') out.push_back(json::parse(line));
  return out;
}

const tandem::text::TextEnv& sort_env() {
  static auto env = tandem::envs::make_env("text/sort");
  return dynamic_cast<const tandem::text::TextEnv&>(*env);
}

TEST(Sample, APromptGetsCompletionsAndTheirGoldReward) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const std::string prompt = "sort: 5 2 9 1 =";
  Output o = run(std::string("sample --env text/sort ") + kTiny + " --samples 3 --json --prompt '" +
                 prompt + "'");
  ASSERT_EQ(o.status, 0) << o.text;
  const std::vector<json> lines = json_lines(o.text);
  ASSERT_EQ(lines.size(), 3u) << o.text;
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(lines[k]["prompt"], prompt);
    EXPECT_EQ(lines[k]["sample"], k);
    const std::string completion = lines[k]["completion"];
    EXPECT_DOUBLE_EQ(lines[k]["gold_reward"].get<double>(),
                     sort_env().task().gold_reward(prompt, completion))
        << "the printed score is the task's score of the printed completion";
  }

  Output text = run(std::string("sample --env text/sort ") + kTiny + " --prompt '" + prompt + "'");
  ASSERT_EQ(text.status, 0) << text.text;
  for (const char* field : {"prompt: sort: 5 2 9 1 =", "completion: \"", "gold reward: "})
    EXPECT_NE(text.text.find(field), std::string::npos) << text.text;
}

TEST(Sample, ReadsPromptsFromStandardInputOneALine) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const fs::path input = fs::temp_directory_path() / "tandem_sample_test_prompts.txt";
  std::ofstream(input) << "sort: 4 3 =\n\nsort: 9 8 7 =\n";
  Output o = run(std::string("sample --env text/sort ") + kTiny + " --json < " + input.string());
  ASSERT_EQ(o.status, 0) << o.text;
  const std::vector<json> lines = json_lines(o.text);
  ASSERT_EQ(lines.size(), 2u) << "the blank line is skipped: " << o.text;
  EXPECT_EQ(lines[0]["prompt"], "sort: 4 3 =");
  EXPECT_EQ(lines[1]["prompt"], "sort: 9 8 7 =");
  fs::remove(input);
}

TEST(Sample, ACheckpointsGreedyCompletionsAreThatPolicysOwn) {
  TANDEM_SKIP_WITHOUT_TEXT();
  // a run folder as `tandem train` leaves it: config.json beside checkpoint.pt
  const fs::path dir = fs::temp_directory_path() / "tandem_sample_test_run";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const json policy_config = {{"init", "random"}, {"layers", 1}, {"width", 32}, {"heads", 2}};
  torch::manual_seed(2024);
  std::vector<std::unique_ptr<tandem::envs::Env>> envs;
  envs.push_back(tandem::envs::make_env("text/sort"));
  tandem::agents::Policy policy = tandem::agents::make_policy(*envs[0], policy_config, "test");
  {
    // GPT-2's small initial weights make an untrained LM repeat the last token whatever the
    // draw; weights of unit scale make the completions this checkpoint's own
    torch::NoGradGuard no_grad;
    for (auto& p : policy->parameters()) p.normal_(0.0, 1.0);
  }
  tandem::algorithms::save_checkpoint((dir / "checkpoint.pt").string(), *policy, nullptr,
                                      json::object());
  const json config = {{"env", {{"id", "text/sort"}, {"options", json::object()}}},
                       {"policy", policy_config}};
  std::ofstream(dir / "config.json") << config.dump(2);

  const std::vector<std::string> prompts = {"sort: 5 2 9 1 =", "sort: 0 7 =", "sort: 3 3 1 ="};
  std::string args = "sample --greedy --json --checkpoint " + (dir / "checkpoint.pt").string();
  for (const auto& p : prompts) args += " --prompt '" + p + "'";
  Output o = run(args);
  ASSERT_EQ(o.status, 0) << o.text;
  const std::vector<json> lines = json_lines(o.text);
  ASSERT_EQ(lines.size(), prompts.size()) << o.text;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<std::vector<float>> first{envs[0]->reset_to_context({{"prompt", prompts[i]}})};
    tandem::algorithms::run_episodes(*policy, envs, first, /*deterministic=*/true);
    const auto& env = dynamic_cast<const tandem::text::TextEnv&>(*envs[0]);
    // the JSON output replaces bytes that are not UTF-8 (a cut multi-byte character) by U+FFFD
    const std::string expected = json::parse(
        json(env.completion_text()).dump(-1, ' ', false, json::error_handler_t::replace));
    EXPECT_EQ(lines[i]["completion"], expected) << prompts[i];
  }

  Output set = run(args + " --set policy.layers=2");
  EXPECT_EQ(set.status, 1);
  EXPECT_NE(set.text.find("config.json"), std::string::npos) << set.text;
  fs::remove_all(dir);
}

TEST(Sample, ARejectedPromptIsReportedAndTheOthersAnswered) {
  TANDEM_SKIP_WITHOUT_TEXT();
  Output o = run(std::string("sample --env text/sort ") + kTiny +
                 " --json --prompt hello --prompt 'sort: 2 1 ='");
  EXPECT_EQ(o.status, 1) << o.text;
  EXPECT_NE(o.text.find("prompt 1 (\"hello\")"), std::string::npos) << o.text;
  // what a prompt must look like, in the task's words, not the code's ("use SortTask::prompts()")
  EXPECT_NE(o.text.find("is not of the form 'sort: <numbers> =' (e.g. 'sort: 7 2 9 ='"),
            std::string::npos)
      << o.text;
  EXPECT_EQ(o.text.find("SortTask"), std::string::npos) << o.text;
  ASSERT_EQ(json_lines(o.text).size(), 1u) << o.text;
  EXPECT_EQ(json_lines(o.text)[0]["prompt"], "sort: 2 1 =");

  Output mujoco = run("sample --env Hopper-v5 --prompt hi");
  EXPECT_EQ(mujoco.status, 1);
  EXPECT_NE(mujoco.text.find("tandem view"), std::string::npos) << mujoco.text;
}

}  // namespace
