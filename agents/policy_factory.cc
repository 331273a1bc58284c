#include "agents/policy_factory.h"

#include "agents/gaussian_mlp.h"
#include "agents/lm_policy.h"
#include "envs/error.h"

namespace tandem::agents {

Policy make_policy(const envs::EnvSpec& spec, const json& config, const std::string& where) {
  if (spec.action_space.is_box() && spec.observation_space.is_box()) {
    return std::make_shared<GaussianMlpImpl>(spec.observation_space.flat_size(),
                                             spec.action_space.flat_size(),
                                             config_from_json<GaussianMlpConfig>(config, where));
  }
  // token generation: observations [n, context tokens], actions the next token
  if (spec.action_space.is_discrete() && spec.observation_space.is_box()) {
    json lm = config.is_null() ? json::object() : config;
    const int64_t eot_id = lm.value("eot_id", int64_t{1});  // SentencePiece's eos id (tokenizer.h)
    lm.erase("eot_id");
    lm["vocab_size"] = spec.action_space.n;
    // EOT + the longest context + the last action
    lm["context"] = spec.observation_space.flat_size() + 1;
    return std::make_shared<LmPolicyImpl>(config_from_json<TransformerLmConfig>(lm, where), eot_id);
  }
  throw Error(where + ": no policy for env " + spec.id + " with observations " +
              spec.observation_space.describe() + " and actions " + spec.action_space.describe());
}

}  // namespace tandem::agents
