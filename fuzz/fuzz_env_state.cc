// The project's own binary format: an env's saved state (envs/byte_stream.h), as a checkpoint
// carries it. The first byte picks the env (MuJoCo InvertedPendulum-v5 or Hopper-v5, text/sort,
// or a VectorEnv of two InvertedPendulums); a state that loads must then step.
#include <torch/torch.h>

#include <memory>

#include "envs/registry.h"
#include "envs/text/tokenizer.h"
#include "envs/vector_env.h"
#include "fuzz/fuzz_support.h"

namespace {

const char* const kEnvs[] = {"InvertedPendulum-v5", "Hopper-v5", "text/sort"};

// text/sort needs SentencePiece, which an AddressSanitizer build cannot load (envs/text/
// tokenizer.cc): there its share of the inputs goes to InvertedPendulum
bool text_available() {
  static const bool available = tandem::text::sentencepiece_available();
  return available;
}

std::vector<float> some_action(const tandem::envs::Env& env) {
  std::vector<float> action(env.spec().action_space.flat_size(), 0.1f);
  if (env.spec().action_space.is_discrete()) action[0] = 1;
  return action;
}

std::unique_ptr<tandem::envs::VectorEnv> pendulums() {
  return std::make_unique<tandem::envs::VectorEnv>([] { return tandem::envs::make_env(kEnvs[0]); },
                                                   2);
}

void write_seeds(const std::string& dir) {
  for (int i = 0; i < 3; ++i) {
    if (i == 2 && !text_available()) continue;
    auto env = tandem::envs::make_env(kEnvs[i]);
    env->reset(uint64_t(i));
    for (int t = 0; t < 3; ++t) env->step(some_action(*env));
    tandem::fuzz::write_seed(dir, "env" + std::to_string(i),
                             std::string(1, static_cast<char>(i)) + env->save_state());
  }
  auto vec = pendulums();
  vec->reset(5);
  vec->step(torch::zeros({2, 1}));
  tandem::fuzz::write_seed(dir, "vector", std::string(1, '\3') + vec->save_state());
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string state(reinterpret_cast<const char*>(data) + 1, size - 1);
  int which = data[0] % 4;
  if (which == 2 && !text_available()) which = 0;
  tandem::fuzz::expect_clean([&] {
    if (which == 3) {
      auto vec = pendulums();
      vec->load_state(state);
      vec->step(torch::zeros({2, 1}));
      return;
    }
    auto env = tandem::envs::make_env(kEnvs[which]);
    env->load_state(state);
    env->step(some_action(*env));
  });
  return 0;
}
