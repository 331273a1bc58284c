// The JSON files read beside saved weights: a reward model run's reward_model.json (read with
// its reward_model.pt) and the config.json a checkpoint is loaded with (`tandem eval`,
// `view`, `record`, a policy's start_from). The first byte picks which; the weights beside it
// are real (InvertedPendulum-v5, default architectures), so a valid JSON of another
// architecture reaches the shape checks.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "agents/policy_factory.h"
#include "algorithms/checkpoint.h"
#include "algorithms/reward_model.h"
#include "envs/config.h"
#include "envs/registry.h"
#include "fuzz/fuzz_support.h"
#include "suites/checkpoint_policy.h"

namespace {
namespace fs = std::filesystem;
using tandem::json;

const char* const kEnv = "InvertedPendulum-v5";
const char* const kRunConfig =
    "results/reference/quickstart/InvertedPendulum-v5/ppo/seed-1/config.json";

struct Weights {
  std::string reward_dir, checkpoint_dir;
  std::string reward_info, run_config;  // the valid JSON beside them
};

const Weights& weights() {
  static const Weights w = [] {
    Weights out;
    out.reward_dir = tandem::fuzz::temp_folder() + "/reward_model";
    out.checkpoint_dir = tandem::fuzz::temp_folder() + "/checkpoint";
    fs::create_directories(out.reward_dir);
    fs::create_directories(out.checkpoint_dir);
    auto env = tandem::envs::make_env(kEnv);
    const json run_config = tandem::read_json_file(kRunConfig);
    out.run_config = run_config.dump(2);
    auto policy = tandem::agents::make_policy(*env, run_config.at("policy"), "fuzz", false);
    tandem::algorithms::save_checkpoint(out.checkpoint_dir + "/checkpoint.pt", *policy, nullptr,
                                        json::object());
    tandem::algorithms::RewardTrainingSettings settings;
    auto reward = tandem::algorithms::make_reward_model(*policy, env->spec(), settings);
    tandem::algorithms::save_reward_model(out.reward_dir, reward, settings, json::object());
    std::ifstream in(out.reward_dir + "/reward_model.json");
    out.reward_info.assign(std::istreambuf_iterator<char>(in), {});
    return out;
  }();
  return w;
}

void write_seeds(const std::string& dir) {
  tandem::fuzz::write_seed(dir, "reward_model.json", std::string(1, '\0') + weights().reward_info);
  tandem::fuzz::write_seed(dir, "config.json", std::string(1, '\1') + weights().run_config);
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  // a policy started from an expert trains one (minutes): training is not parsing
  if (text.find("expert:") != std::string::npos) return 0;
  const Weights& w = weights();
  if (data[0] % 2 == 0) {
    std::ofstream(w.reward_dir + "/reward_model.json", std::ios::binary) << text;
    tandem::fuzz::expect_clean([&] {
      auto env = tandem::envs::make_env(kEnv);
      auto policy = tandem::agents::make_policy(env->spec(), json::object(), "fuzz");
      tandem::algorithms::load_reward_model(w.reward_dir, *policy, env->spec());
    });
  } else {
    std::ofstream(w.checkpoint_dir + "/config.json", std::ios::binary) << text;
    tandem::fuzz::expect_clean(
        [&] { tandem::suites::load_checkpoint_policy(w.checkpoint_dir + "/checkpoint.pt"); });
  }
  return 0;
}
