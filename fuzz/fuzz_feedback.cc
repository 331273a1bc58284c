// Feedback files (the JSON lines a suite's `dataset` names, and the feedback cache): preference
// pairs and demonstrations, each line checked and its episodes replayed against the env. The
// first byte picks the kind (pairs or demonstrations) and the env (InvertedPendulum-v5 or
// text/sort).
#include <torch/torch.h>

#include <fstream>
#include <iterator>

#include "algorithms/feedback.h"
#include "envs/registry.h"
#include "envs/text/tokenizer.h"
#include "fuzz/fuzz_support.h"

namespace {

using tandem::algorithms::EnvFactory;
using tandem::algorithms::Episode;

// text/sort needs SentencePiece, which an AddressSanitizer build cannot load (envs/text/
// tokenizer.cc): there the text half of the input space goes to the control env
bool text_available() {
  static const bool available = tandem::text::sentencepiece_available();
  return available;
}

EnvFactory env_factory(bool text) {
  return [text] { return tandem::envs::make_env(text ? "text/sort" : "InvertedPendulum-v5"); };
}

// An episode of a fixed action pattern, recorded as the feedback files hold it.
Episode play(const EnvFactory& make_env, uint64_t seed, int max_steps) {
  auto env = make_env();
  Episode e;
  std::vector<float> obs = env->reset(seed);
  e.context = env->context();
  const auto& space = env->spec().action_space;
  std::vector<torch::Tensor> observations, actions;
  for (int t = 0; t < max_steps; ++t) {
    std::vector<float> action(space.flat_size(), 0.f);
    if (space.is_discrete())
      action[0] = static_cast<float>((seed + t) % space.n);
    else
      action[0] = t % 2 ? 0.3f : -0.3f;
    observations.push_back(torch::tensor(obs));
    actions.push_back(torch::tensor(action));
    const auto step = env->step(action);
    e.gold_return += step.reward;
    obs = step.obs;
    if (step.terminated || step.truncated) break;
  }
  e.env_obs = torch::stack(observations);
  e.actions = torch::stack(actions);
  e.summary = env->describe_episode();
  e.source = "start";
  return e;
}

void write_seeds(const std::string& dir) {
  for (bool text : {false, true}) {
    if (text && !text_available()) continue;
    const EnvFactory make = env_factory(text);
    std::vector<tandem::algorithms::PreferencePair> pairs;
    std::vector<Episode> demos;
    for (uint64_t s = 0; s < 2; ++s) {
      tandem::algorithms::PreferencePair p;
      p.chosen = play(make, s, 20);
      p.rejected = play(make, s + 7, 20);
      pairs.push_back(p);
      demos.push_back(p.chosen);
    }
    const std::string prefs = tandem::fuzz::temp_folder() + "/seed_pairs.jsonl";
    const std::string dem = tandem::fuzz::temp_folder() + "/seed_demos.jsonl";
    tandem::algorithms::save_preferences(prefs, pairs);
    tandem::algorithms::save_demonstrations(dem, demos);
    for (const auto& [kind, path] : {std::pair{0, prefs}, std::pair{1, dem}}) {
      std::ifstream in(path);
      const std::string content((std::istreambuf_iterator<char>(in)), {});
      const char selector = static_cast<char>(kind | (text ? 2 : 0));
      tandem::fuzz::write_seed(
          dir, std::string(text ? "text_" : "control_") + (kind ? "demonstrations" : "pairs"),
          std::string(1, selector) + content);
    }
  }
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool demonstrations = data[0] & 1, text = (data[0] & 2) && text_available();
  const std::string path = tandem::fuzz::write_file("feedback.jsonl", data + 1, size - 1);
  const EnvFactory make = env_factory(text);
  tandem::fuzz::expect_clean([&] {
    if (demonstrations)
      tandem::algorithms::load_demonstrations(path, make);
    else
      tandem::algorithms::load_preferences(path, make);
  });
  return 0;
}
