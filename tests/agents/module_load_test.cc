// Loading a saved model from a file of another env or architecture, or from a damaged file, fails
// at once with the file's name and the difference (agents/module_load.h). Before: start_from a
// run of another env loaded without a word and failed later in a forward pass ("mat1 and mat2
// shapes cannot be multiplied"); a damaged file failed in LibTorch's reader with a backtrace.
#include "agents/module_load.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agents/policy_factory.h"
#include "algorithms/checkpoint.h"
#include "algorithms/reward_model.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "tests/error_of.h"

namespace tandem::agents {
namespace {
namespace fs = std::filesystem;

using tandem::testing::error_of;

TEST(ModuleLoad, StartFromARunOfAnotherEnvIsRefusedNamingTheFileAndTheShape) {
  const fs::path run = fs::temp_directory_path() / "pendulum_run";
  fs::create_directories(run);
  Policy pendulum =
      make_policy(*envs::make_env("InvertedPendulum-v5", json::object()), json::object(), "test");
  algorithms::save_checkpoint((run / "checkpoint.pt").string(), *pendulum, nullptr, json::object());

  const std::string message = error_of([&] {
    make_policy(*envs::make_env("Hopper-v5", json::object()), {{"start_from", run.string()}},
                "policy config");
  });
  EXPECT_EQ(message.rfind("policy config: start_from: " + (run / "checkpoint.pt").string() +
                              ": holds a model of another env or architecture: its ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("this run needs"), std::string::npos) << message;
  EXPECT_EQ(message.find("frame #"), std::string::npos) << message;
  // the same policy's own checkpoint loads
  EXPECT_NO_THROW(make_policy(*envs::make_env("InvertedPendulum-v5", json::object()),
                              {{"start_from", run.string()}}, "policy config"));
  fs::remove_all(run);
}

// fuzz/fuzz_side_files: a reward_model.json that is not an object ("7"), or whose field has
// another type, threw the JSON library's type_error 306/302 past every handler.
TEST(ModuleLoad, ARewardModelsSideFileOfTheWrongShapeIsNamedWithItsField) {
  const fs::path run = fs::temp_directory_path() / "reward_run";
  fs::create_directories(run);
  auto env = envs::make_env("InvertedPendulum-v5", json::object());
  Policy policy = make_policy(*env, json::object(), "test");
  algorithms::RewardTrainingSettings settings;
  auto reward = algorithms::make_reward_model(*policy, env->spec(), settings);
  algorithms::save_reward_model(run.string(), reward, settings, json::object());
  const std::string info = (run / "reward_model.json").string();
  EXPECT_NO_THROW(algorithms::load_reward_model(run.string(), *policy, env->spec()));

  std::ofstream(info) << " 7";
  std::string message =
      error_of([&] { algorithms::load_reward_model(run.string(), *policy, env->spec()); });
  EXPECT_EQ(message.rfind(info + ": expected a JSON object, got number", 0), 0u) << message;

  std::ofstream(info) << R"({"pooling": 5})";
  message = error_of([&] { algorithms::load_reward_model(run.string(), *policy, env->spec()); });
  EXPECT_NE(message.find(info + ": field 'pooling' must be a string"), std::string::npos)
      << message;
  fs::remove_all(run);
}

TEST(ModuleLoad, ADamagedFileIsNamedWithWhatToDoAndNoBacktrace) {
  const fs::path path = fs::temp_directory_path() / "damaged.pt";
  std::ofstream(path) << "PK\x03\x04 not really a zip archive";
  torch::serialize::InputArchive archive;
  const std::string message =
      error_of([&] { load_archive(archive, path.string(), "delete it to rebuild it"); });
  EXPECT_EQ(message.rfind(path.string() + ": cannot be read (", 0), 0u) << message;
  EXPECT_NE(message.find("): delete it to rebuild it"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  // a checkpoint cut short: the same, through load_checkpoint
  Policy policy =
      make_policy(*envs::make_env("InvertedPendulum-v5", json::object()), json::object(), "test");
  const fs::path checkpoint = fs::temp_directory_path() / "cut.pt";
  algorithms::save_checkpoint(checkpoint.string(), *policy, nullptr, json::object());
  fs::resize_file(checkpoint, fs::file_size(checkpoint) / 2);
  const std::string cut =
      error_of([&] { algorithms::load_checkpoint(checkpoint.string(), *policy, nullptr, false); });
  EXPECT_EQ(cut.rfind(checkpoint.string() + ": ", 0), 0u) << cut;
  EXPECT_EQ(cut.find("frame #"), std::string::npos) << cut;
  fs::remove(path);
  fs::remove(checkpoint);
}

TEST(ModuleLoad, ShapeDifferenceNamesTheFirstDifferingTensor) {
  torch::nn::Linear a(4, 32), b(11, 32);
  EXPECT_EQ(shape_difference(*a, *a), "");
  EXPECT_EQ(shape_difference(*b, *a), "its weight is [32,4], this run needs [32,11]");
}

}  // namespace
}  // namespace tandem::agents
