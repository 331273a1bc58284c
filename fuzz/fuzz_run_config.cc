// A `tandem train --config FILE` (and its --set lines): the file read, split into algorithm,
// policy and env, each validated by its owner, resolved against InvertedPendulum-v5's
// recommended settings. The first byte picks the algorithm; the first line after it, when it
// holds '=', is a --set assignment.
#include <cstring>
#include <string>

#include "algorithms/algorithm.h"
#include "fuzz/fuzz_support.h"
#include "suites/single_run.h"

namespace {

std::vector<std::string> algorithm_names() {
  std::vector<std::string> names;
  for (const auto* r : tandem::algorithms::registered_algorithms()) names.push_back(r->name);
  return names;
}

void write_seeds(const std::string& dir) {
  tandem::fuzz::write_seed(dir, "ppo",
                           std::string("\0", 1) + "learning_rate=1e-4\n" +
                               R"({"algorithm": {"epochs": 4, "clip": 0.1},
  // comments are allowed
  "policy": {"hidden": [32, 32], "activation": "tanh"},
  "env": {"reset_noise_scale": 0.02}})");
  tandem::fuzz::write_seed(
      dir, "dpo", std::string("\x02", 1) + "\n" + R"({"algorithm": {"beta": 0.1, "pairs": 100}})");
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::vector<std::string> names = algorithm_names();
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  // a policy started from an expert trains one (minutes): training is not parsing
  if (text.find("expert:") != std::string::npos) return 0;
  tandem::suites::RunRequest request;
  request.env_id = "InvertedPendulum-v5";
  request.algorithm = names[data[0] % names.size()];
  request.steps = 4096;
  request.eval_interval = 2048;
  request.progress = false;
  const size_t newline = text.find('\n');
  const std::string first = text.substr(0, newline);
  std::string body = text;
  if (newline != std::string::npos && first.find('=') != std::string::npos) {
    request.set.push_back(first);
    body = text.substr(newline + 1);
  }
  request.config_file = tandem::fuzz::write_file("config.json", body);
  tandem::fuzz::expect_clean([&] { tandem::suites::resolve_run_config(request); });
  return 0;
}
