// The policy an env's spaces call for: Box actions get the Gaussian MLP actor-critic, token
// generation (Discrete actions over a Box context) the transformer LM.
//
// LM policy config: the TransformerLmConfig fields (vocab_size and context are set from the
// env: context = max(given, the longest episode)), plus
//   "eot_id"   — the end-of-text id every sequence starts with (default 1, the tokenizer's);
//   "init"     — "pretrained" (default): the task's cached base model (agents/base_lm.h),
//                trained on first use; "random": GPT-2 initialization;
//   "pretrain" — the PretrainConfig of that base model.
// Any policy config may also hold "start_from": a finished run's folder whose checkpoint.pt
// (same env, same architecture) gives the starting weights — e.g. a weak PPO policy as the
// common start of offline learners on control tasks (they anchor to it: π_ref = the start).
// "start_from" may also be a name a higher layer knows ("expert:early", a snapshot of the cached
// expert of algorithms/expert.h): that layer installs a resolver turning names into run folders.
#pragma once

#include <functional>
#include <string>

#include "agents/policy.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::agents {

// `config` holds the architecture fields (unknown fields are errors naming `where`).
// `progress`: a progress bar while a base model trains.
Policy make_policy(const envs::Env& env, const json& config, const std::string& where,
                   bool progress = false);
// Checks `config` for `env` (unknown fields, ranges) by building the policy without loading or
// training a base model. Throws tandem::Error naming `where`.
void check_policy_config(const envs::Env& env, const json& config, const std::string& where);
// From the spaces alone: no base model to load, so an LM needs "init": "random".
Policy make_policy(const envs::EnvSpec& spec, const json& config, const std::string& where);

// Every field of `config` in effect, defaults included (an LM's vocab_size and context as the env
// sets them): what a run's config.json records beside the config as given. Throws tandem::Error
// naming `where`.
json resolved_policy_config(const envs::EnvSpec& spec, const json& config,
                            const std::string& where);

// Turns a "start_from" value into a run folder: a name it knows into its folder (training what
// the name stands for first, if need be), anything else unchanged. `policy_config` is the
// architecture without "start_from". Throws tandem::Error naming `where`.
using StartFromResolver =
    std::function<std::string(const std::string& start_from, const envs::EnvSpec& spec,
                              const json& policy_config, const std::string& where, bool progress)>;
// Installed once, at start-up, by the layer that knows the names (agents/ does not depend on it).
void set_start_from_resolver(StartFromResolver resolver);

}  // namespace tandem::agents
