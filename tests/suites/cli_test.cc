// End to end through the `tandem` executable, as a user runs it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "envs/config.h"
#include "tests/suites/run_tandem.h"
#include "tests/text_support.h"

namespace {
namespace fs = std::filesystem;

using tandem::testing::Output;
Output run(const std::string& args) { return tandem::testing::run_tandem(args); }

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("tandem_cli_test_" + name);
  fs::remove_all(d);
  return d;
}

TEST(Cli, HelpAndListsTellTheTruth) {
  Output help = run("--help");
  EXPECT_EQ(help.status, 0);
  for (const char* sub : {"list", "train", "eval"})
    EXPECT_NE(help.text.find(sub), std::string::npos);
  Output envs = run("list envs");
  EXPECT_EQ(envs.status, 0);
  for (const char* id :
       {"Hopper-v5", "HalfCheetah-v5", "Walker2d-v5", "Ant-v5", "Swimmer-v5", "InvertedPendulum-v5",
        "InvertedDoublePendulum-v5", "Reacher-v5", "Humanoid-v5", "mujoco/xml"})
    EXPECT_NE(envs.text.find(id), std::string::npos) << id;
  EXPECT_NE(envs.text.find("Box(348,)"), std::string::npos) << envs.text;
  Output algos = run("list algorithms");
  EXPECT_EQ(algos.status, 0);
  EXPECT_NE(algos.text.find("learning_rate"), std::string::npos);
}

// `list envs --options ENV`: every env option and policy field with its default and the range
// the env or policy checks (the values below are Hopper-v5's and the MLP's own)
TEST(Cli, ListEnvOptionsShowsEveryOptionWithDefaultAndRange) {
  Output hopper = run("list envs --options Hopper-v5");
  ASSERT_EQ(hopper.status, 0) << hopper.text;
  auto line_of = [](const std::string& text, const std::string& key) {
    const size_t at = text.find("\n  " + key + " ");
    if (at == std::string::npos) return std::string();
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  };
  const std::string healthy = line_of(hopper.text, "healthy_reward");
  EXPECT_NE(healthy.find("1.0"), std::string::npos) << hopper.text;
  EXPECT_NE(healthy.find("["), std::string::npos) << healthy;  // its range
  EXPECT_NE(line_of(hopper.text, "healthy_z_range").find("[low, high]"), std::string::npos)
      << hopper.text;
  const std::string hidden = line_of(hopper.text, "hidden");
  EXPECT_NE(hidden.find("[64,64]"), std::string::npos) << hopper.text;
  EXPECT_NE(line_of(hopper.text, "start_from"), "") << hopper.text;
  EXPECT_NE(line_of(hopper.text, "frame_skip"), "") << hopper.text;
  // every option the env records is listed
  for (const char* key : {"forward_reward_weight", "ctrl_cost_weight", "reset_noise_scale",
                          "terminate_when_unhealthy", "max_episode_steps"})
    EXPECT_NE(line_of(hopper.text, key), "") << key << "\n" << hopper.text;

  Output xml = run("list envs --options mujoco/xml");
  ASSERT_EQ(xml.status, 0) << xml.text;
  EXPECT_NE(line_of(xml.text, "reward").find("forward|zero"), std::string::npos) << xml.text;

  Output unknown = run("list envs --options Hoper-v5");
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.text.find("Hopper-v5"), std::string::npos) << unknown.text;
  Output wrong = run("list algorithms --options Hopper-v5");
  EXPECT_NE(wrong.status, 0);
  EXPECT_NE(wrong.text.find("list envs"), std::string::npos) << wrong.text;
}

// `train --algo aihf` ended with its reward model's line, "held-out pair accuracy: 0.914, against
// a ceiling of 0.000", instead of the policy it trained: it ends with the final evaluation return,
// then its reward model's accuracy against the ceiling the pairs allow.
TEST(Cli, AihfEndsWithItsReturnAndItsRewardModelsAccuracy) {
  const fs::path dir = fresh_dir("aihf_last_line");
  Output out =
      run("train --env InvertedPendulum-v5 --algo aihf --steps 2048 --eval-interval 2048 "
          "--eval-episodes 2 --set pairs=60 heldout_pairs=20 demonstrations=2 rounds=1 "
          "--out " +
          dir.string());
  ASSERT_EQ(out.status, 0) << out.text;
  const size_t final_line = out.text.find("final evaluation return: ");
  const size_t rm_line = out.text.find("its reward model's held-out pair accuracy: ");
  ASSERT_NE(final_line, std::string::npos) << out.text;
  ASSERT_NE(rm_line, std::string::npos) << out.text;
  EXPECT_LT(final_line, rm_line) << out.text;
  EXPECT_EQ(out.text.find("ceiling of 0.000"), std::string::npos) << out.text;
  fs::remove_all(dir);
}

TEST(Cli, TrainWritesTheRunFolderAndEvalReadsIt) {
  fs::path dir = fresh_dir("train");
  Output t =
      run("train --env InvertedPendulum-v5 --steps 2048 --eval-episodes 3 --quiet "
          "--set steps_per_env=512 --set policy.hidden=[32,32] --out " +
          dir.string());
  ASSERT_EQ(t.status, 0) << t.text;
  EXPECT_NE(t.text.find("final evaluation return"), std::string::npos) << t.text;
  for (const char* f : {"config.json", "metrics.jsonl", "checkpoint.pt", "done"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  tandem::json config = tandem::read_json_file((dir / "config.json").string());
  EXPECT_EQ(config["algorithm"]["config"]["steps_per_env"], 512);
  EXPECT_EQ(config["algorithm"]["config"]["epochs"], 10) << "defaults are written too";
  EXPECT_EQ(config["policy"]["hidden"], tandem::json({32, 32}));
  EXPECT_TRUE(config.contains("git_revision"));
  // every env option and policy field in effect, defaults included
  EXPECT_EQ(config["resolved"]["env_options"]["reset_noise_scale"], 0.01) << config.dump();
  EXPECT_EQ(config["resolved"]["env_options"]["frame_skip"], 2);
  EXPECT_EQ(config["resolved"]["policy"]["hidden"], tandem::json({32, 32}));
  EXPECT_TRUE(config["resolved"]["policy"].contains("log_std_init")) << config.dump();
  // one metrics line at the start and one per evaluation after
  std::ifstream metrics(dir / "metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) {
    tandem::json j = tandem::json::parse(line);
    EXPECT_TRUE(j.contains("env_steps") && j.contains("eval/return_mean"));
    ++lines;
  }
  EXPECT_GE(lines, 2);

  Output e = run("eval --checkpoint " + (dir / "checkpoint.pt").string() + " --episodes 2");
  ASSERT_EQ(e.status, 0) << e.text;
  EXPECT_NE(e.text.find("evaluation return"), std::string::npos) << e.text;
  fs::remove_all(dir);
}

TEST(Cli, BadInputGivesAnActionableErrorAndNonZeroExit) {
  fs::path dir = fresh_dir("bad");
  fs::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"algorithm": {"learning_rate": 5.0}})";
  Output range = run("train --env Hopper-v5 --steps 10 --config " + (dir / "bad.json").string());
  EXPECT_NE(range.status, 0);
  EXPECT_NE(range.text.find("bad.json"), std::string::npos) << range.text;
  EXPECT_NE(range.text.find("learning_rate"), std::string::npos) << range.text;

  Output env = run("train --env Hoper-v5 --steps 10");
  EXPECT_NE(env.status, 0);
  EXPECT_NE(env.text.find("Hopper-v5"), std::string::npos) << "lists the registered ids";

  Output xml = run("train --xml " + (dir / "missing.xml").string() + " --steps 10");
  EXPECT_NE(xml.status, 0);
  EXPECT_NE(xml.text.find("missing.xml"), std::string::npos) << xml.text;

  Output ckpt = run("eval --checkpoint " + (dir / "nothing.pt").string());
  EXPECT_NE(ckpt.status, 0);
  fs::remove_all(dir);
}

// Commands, seeds, budgets and --set: each mistake named in words, with a non-zero exit.
TEST(Cli, MistypedCommandsAndNumbersAreNamed) {
  Output typo = run("trian --env Hopper-v5");
  EXPECT_NE(typo.status, 0);
  EXPECT_NE(typo.text.find("unknown command 'trian'"), std::string::npos) << typo.text;
  EXPECT_NE(typo.text.find("did you mean 'train'"), std::string::npos) << typo.text;

  for (const char* seed : {"-1", "99999999999999999999", "1.5"}) {
    Output bad = run(std::string("train --env InvertedPendulum-v5 --seed ") + seed);
    EXPECT_NE(bad.status, 0) << seed;
    EXPECT_NE(bad.text.find("seed"), std::string::npos) << bad.text;
    EXPECT_EQ(bad.text.find("18446744073709551615"), std::string::npos) << bad.text;
  }
  Output steps = run("train --env InvertedPendulum-v5 --steps 1.5");
  EXPECT_NE(steps.status, 0);
  EXPECT_NE(steps.text.find("whole number"), std::string::npos) << steps.text;

  // a budget short of one fixed-length rollout is refused, naming the rollout
  Output short_budget = run("train --env InvertedPendulum-v5 --algo ppo --steps 10 --quiet");
  EXPECT_NE(short_budget.status, 0);
  EXPECT_NE(short_budget.text.find("less than one rollout"), std::string::npos)
      << short_budget.text;
  EXPECT_NE(short_budget.text.find("2048"), std::string::npos) << short_budget.text;

  Output set = run("train --env InvertedPendulum-v5 --set learning_rate");
  EXPECT_NE(set.status, 0);
  EXPECT_NE(set.text.find("--set learning_rate=1e-4"), std::string::npos) << set.text;
  EXPECT_EQ(set.text.find("ppo.learning_rate"), std::string::npos) << "a form that fails";

  // scientific notation is a budget like any other
  const fs::path dir = fresh_dir("scientific");
  Output sci =
      run("train --env InvertedPendulum-v5 --algo ppo --steps 1.024e3 --set "
          "steps_per_env=256 --set minibatches=4 --eval-interval 1024 --eval-episodes 1 "
          "--quiet --out " +
          (dir / "run").string());
  ASSERT_EQ(sci.status, 0) << sci.text;
  EXPECT_EQ(tandem::read_json_file((dir / "run/config.json").string())["steps"], 1024);
  fs::remove_all(dir);
}

// report, eval and --xml: what a new user mistypes or misplaces, named with a non-zero exit
TEST(Cli, ReportEvalAndXmlMistakesAreNamed) {
  const fs::path dir = fresh_dir("report_eval_xml");
  fs::create_directories(dir / "empty");
  Output empty = run("report " + (dir / "empty").string());
  EXPECT_NE(empty.status, 0);
  EXPECT_NE(empty.text.find("no run folders here"), std::string::npos) << empty.text;

  const fs::path train = dir / "suite" / "InvertedPendulum-v5" / "ppo" / "seed-1";
  Output t =
      run("train --env InvertedPendulum-v5 --algo ppo --steps 1024 --set steps_per_env=256 --set "
          "minibatches=4 --eval-interval 1024 --eval-episodes 1 --quiet --out " +
          train.string());
  ASSERT_EQ(t.status, 0) << t.text;
  // a train folder is not a suite: nothing to compare
  Output single = run("report " + train.string() + " --no-figures");
  EXPECT_NE(single.status, 0);
  EXPECT_NE(single.text.find("no run folders here"), std::string::npos) << single.text;
  // eval takes the run folder for its checkpoint
  Output folder = run("eval --checkpoint " + train.string() + " --episodes 1");
  EXPECT_EQ(folder.status, 0) << folder.text;
  EXPECT_NE(folder.text.find("evaluation return"), std::string::npos) << folder.text;
  Output missing = run("eval --checkpoint " + (dir / "nothere").string());
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.text.find("nothere: no such checkpoint"), std::string::npos) << missing.text;

  const std::string suite = (dir / "suite").string();
  Output baseline = run("report " + suite + " --no-figures --baseline pppo");
  EXPECT_NE(baseline.status, 0);
  EXPECT_NE(baseline.text.find("--baseline 'pppo' is not a label"), std::string::npos)
      << baseline.text;
  EXPECT_NE(baseline.text.find("(labels: ppo)"), std::string::npos) << baseline.text;
  Output metric = run("report " + suite + " --no-figures --metric eval/retrun_mean");
  EXPECT_NE(metric.status, 0);
  EXPECT_NE(metric.text.find("did you mean 'eval/return_mean'"), std::string::npos) << metric.text;
  EXPECT_FALSE(fs::exists(dir / "suite" / "report.md")) << "nothing written on a bad request";
  Output good = run("report " + suite + " --no-figures --baseline ppo");
  EXPECT_EQ(good.status, 0) << good.text;

  const std::string xml =
      std::string(TANDEM_SOURCE_DIR) + "/envs/mujoco/assets/examples/point_mass.xml";
  Output both = run("train --xml " + xml + " --env Hopper-v5 --steps 1024");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.text.find("--xml and --env 'Hopper-v5' both name the env"), std::string::npos)
      << both.text;
  // the run folder is named after the model file
  Output named = tandem::testing::run_tandem_shell(
      "cd " + dir.string() + " && " + std::string(TANDEM_BINARY_DIR) + "/tandem train --xml " +
      xml + " --steps 1024 --set steps_per_env=256 --set minibatches=4 --eval-episodes 1 --quiet");
  ASSERT_EQ(named.status, 0) << named.text;
  EXPECT_TRUE(fs::exists(dir / "results/runs/xml_point_mass__ppo__1/done")) << named.text;
  fs::remove_all(dir);
}

// a text task's policy starts from its base model: an expert name there would have started a
// silent million-step PPO run on the task's reward
TEST(Cli, AnExpertStartOnATextTaskIsRefused) {
  TANDEM_SKIP_WITHOUT_TEXT();
  Output text =
      run("train --env text/sort --algo ppo --steps 1000 --quiet --set "
          "policy.start_from=expert:early");
  EXPECT_NE(text.status, 0);
  EXPECT_NE(text.text.find("expert snapshots are for control envs"), std::string::npos)
      << text.text;
}

// the policy's "valid fields" list the fields the factory reads before the architecture too
TEST(Cli, PolicyFieldErrorsListEveryField) {
  TANDEM_SKIP_WITHOUT_TEXT();
  Output mlp = run("train --env InvertedPendulum-v5 --steps 2048 --quiet --set policy.hiden=[8]");
  EXPECT_NE(mlp.status, 0);
  EXPECT_NE(mlp.text.find("unknown field 'hiden'"), std::string::npos) << mlp.text;
  EXPECT_NE(mlp.text.find(", start_from)"), std::string::npos) << mlp.text;
  Output lm = run("train --env text/sort --steps 2048 --quiet --set policy.layer=2");
  EXPECT_NE(lm.status, 0);
  EXPECT_NE(lm.text.find("unknown field 'layer'"), std::string::npos) << lm.text;
  EXPECT_NE(lm.text.find(", init, pretrain, start_from)"), std::string::npos) << lm.text;
}

}  // namespace
