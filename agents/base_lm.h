// The base ("SFT") model of a text task: a TransformerLm pretrained by next-token loss on the
// task's base_model_texts (envs/text/text_env.h). It is trained once and cached, so every run
// on the task starts from the same weights and anchors to them (π_ref = π_init = the base model).
//
// | cache    | <cache_dir>/base_lms/<task>-<hash>.pt and a .json beside it (validation bits/byte, |
// |          | training time, steps); hash over a recipe version, the env id, the task options,   |
// |          | the vocabulary size, the model and the pretraining configs                         |
// | building | under flock(<path>.lock): two workers never train the same model; written through  |
// |          | a temporary file and a rename, so a killed build leaves nothing half-written       |
// | init     | weights drawn from pretrain.seed (the run's seed does not change the base model);   |
// |          | torch's global random stream is restored afterwards                                |
#pragma once

#include <string>

#include "agents/lm_pretrain.h"
#include "agents/transformer_lm.h"

namespace tandem::text {
class TextEnv;
}

namespace tandem::agents {

struct BaseLmInfo {
  std::string path;             // the cached weights
  bool trained_now = false;     // false: loaded from the cache
  double val_bits_per_byte = 0;
  double val_nats_per_token = 0;
  double train_seconds = 0;     // of the pretraining, whenever it happened
  int64_t steps = 0;
};

// The base model of `env`'s task with this architecture (vocab_size and context must already
// fit the env) and pretraining recipe, from the cache or trained now (with a progress bar on
// stderr when `progress`). Throws tandem::Error when the cache cannot be written.
TransformerLm base_lm(const text::TextEnv& env, const TransformerLmConfig& config,
                      const PretrainConfig& pretrain, bool progress, BaseLmInfo* info = nullptr);

}  // namespace tandem::agents
