#include "agents/policy_factory.h"

#include <torch/torch.h>

#include <algorithm>

#include "agents/base_lm.h"
#include "agents/gaussian_mlp.h"
#include "agents/lm_policy.h"
#include "agents/module_load.h"
#include "envs/error.h"
#include "envs/text/text_env.h"

namespace tandem::agents {
namespace {

StartFromResolver& start_from_resolver() {
  static StartFromResolver resolver;
  return resolver;
}

void copy_weights(TransformerLmImpl& to, const TransformerLmImpl& from) {
  torch::NoGradGuard no_grad;
  auto params = to.named_parameters();
  for (const auto& p : from.named_parameters()) params[p.key()].copy_(p.value());
  auto buffers = to.named_buffers();
  for (const auto& b : from.named_buffers()) buffers[b.key()].copy_(b.value());
}

// config_from_json for a policy's architecture, whose "unknown field" error also lists the fields
// the factory takes before it (`others`: init, pretrain, start_from)
template <class T>
T architecture_fields(const json& config, const std::string& where, const std::string& others) {
  try {
    return config_from_json<T>(config, where);
  } catch (const Error& e) {
    std::string message = e.what();
    const size_t list = message.find("(valid fields: ");
    const size_t end = message.rfind(')');
    if (list == std::string::npos || end == std::string::npos || end < list) throw;
    message.insert(end, ", " + others);
    throw Error(message);
  }
}

// An LM policy config read: the factory's own fields and the architecture.
struct LmFields {
  std::string init;
  PretrainConfig pretrain;
  int64_t eot_id;
  TransformerLmConfig architecture;
};

LmFields lm_fields(const envs::EnvSpec& spec, const json& config, const std::string& where) {
  json lm = config.is_null() ? json::object() : config;
  LmFields out;
  out.init = lm.value("init", std::string("pretrained"));
  if (out.init != "pretrained" && out.init != "random")
    throw Error(where + ": field \"init\" is \"" + out.init + "\"; allowed: pretrained, random");
  out.pretrain =
      config_from_json<PretrainConfig>(lm.value("pretrain", json::object()), where + ": pretrain");
  out.eot_id = lm.value("eot_id", int64_t{1});  // SentencePiece's eos id (tokenizer.h)
  for (const char* key : {"init", "pretrain", "eot_id"}) lm.erase(key);
  lm["vocab_size"] = spec.action_space.n;
  // EOT + the longest context + the last action
  const int64_t needed = spec.observation_space.flat_size() + 1;
  lm["context"] = std::max(needed, lm.value("context", TransformerLmConfig{}.context));
  out.architecture =
      architecture_fields<TransformerLmConfig>(lm, where, "init, pretrain, start_from");
  return out;
}

Policy make_lm_policy(const envs::EnvSpec& spec, const text::TextEnv* text_env, const json& config,
                      const std::string& where, bool progress) {
  const LmFields lm = lm_fields(spec, config, where);
  auto policy = std::make_shared<LmPolicyImpl>(lm.architecture, lm.eot_id);
  if (lm.init == "pretrained") {
    if (text_env == nullptr)
      throw Error(where + ": \"init\": \"pretrained\" needs a text env (" + spec.id +
                  " is not one); use \"init\": \"random\"");
    TransformerLm base = base_lm(*text_env, lm.architecture, lm.pretrain, progress);
    copy_weights(*policy->lm(), *base);
  }
  return policy;
}

Policy make_fresh(const envs::EnvSpec& spec, const text::TextEnv* text_env, const json& config,
                  const std::string& where, bool progress) {
  if (spec.action_space.is_box() && spec.observation_space.is_box()) {
    return std::make_shared<GaussianMlpImpl>(
        spec.observation_space.flat_size(), spec.action_space.flat_size(),
        architecture_fields<GaussianMlpConfig>(config, where, "start_from"));
  }
  // token generation: observations [n, context tokens], actions the next token
  if (spec.action_space.is_discrete() && spec.observation_space.is_box())
    return make_lm_policy(spec, text_env, config, where, progress);
  throw Error(where + ": no policy for env " + spec.id + " with observations " +
              spec.observation_space.describe() + " and actions " + spec.action_space.describe());
}

// make_fresh(), then the weights of config["start_from"]'s checkpoint, when given.
Policy make(const envs::EnvSpec& spec, const text::TextEnv* text_env, const json& config,
            const std::string& where, bool progress) {
  json rest = config.is_null() ? json::object() : config;
  std::string start_from;
  if (rest.contains("start_from")) {
    if (!rest["start_from"].is_string())
      throw Error(where + ": field \"start_from\" must be a run folder or a name (a string)");
    start_from = rest["start_from"].get<std::string>();
    rest.erase("start_from");
  }
  if (!start_from.empty() && start_from_resolver())
    start_from = start_from_resolver()(start_from, spec, rest, where, progress);
  Policy policy = make_fresh(spec, text_env, rest, where, progress);
  if (start_from.empty()) return policy;
  const std::string path = start_from + "/checkpoint.pt";
  const std::string advice =
      "start_from needs a run of this env and policy architecture (" + policy->describe() + ")";
  try {
    // the checkpoint layout of algorithms/checkpoint.h: the policy's own archive under "policy"
    torch::serialize::InputArchive archive, policy_archive;
    load_archive(archive, path, "");
    archive.read("policy", policy_archive);
    load_module_checked(*policy, policy_archive, path, advice);
  } catch (const Error& e) {
    throw Error(where + ": start_from: " + e.what());
  } catch (const c10::Error& e) {
    throw Error(where + ": start_from: cannot load " + path + " into " + policy->describe() +
                " (another env or architecture?): " + e.what_without_backtrace());
  }
  return policy;
}

}  // namespace

Policy make_policy(const envs::Env& env, const json& config, const std::string& where,
                   bool progress) {
  return make(env.spec(), dynamic_cast<const text::TextEnv*>(&env), config, where, progress);
}

void check_policy_config(const envs::Env& env, const json& config, const std::string& where) {
  json quick = config.is_null() ? json::object() : config;
  const bool lm = env.spec().action_space.is_discrete();
  quick.erase("start_from");  // checked when the run loads it
  if (lm && quick.value("init", std::string("pretrained")) == "pretrained") {
    // the pretraining config is still checked, the model not built
    config_from_json<PretrainConfig>(quick.value("pretrain", json::object()), where + ": pretrain");
    quick["init"] = "random";
  }
  make(env.spec(), nullptr, quick, where, false);
}

Policy make_policy(const envs::EnvSpec& spec, const json& config, const std::string& where) {
  return make(spec, nullptr, config, where, false);
}

json resolved_policy_config(const envs::EnvSpec& spec, const json& config,
                            const std::string& where) {
  json rest = config.is_null() ? json::object() : config;
  const json start_from = rest.value("start_from", json());
  rest.erase("start_from");
  json out;
  if (spec.action_space.is_box() && spec.observation_space.is_box()) {
    out = config_to_json(architecture_fields<GaussianMlpConfig>(rest, where, "start_from"));
  } else {
    const LmFields lm = lm_fields(spec, rest, where);
    out = config_to_json(lm.architecture);
    out["init"] = lm.init;
    out["pretrain"] = config_to_json(lm.pretrain);
    out["eot_id"] = lm.eot_id;
  }
  if (!start_from.is_null()) out["start_from"] = start_from;
  return out;
}

void set_start_from_resolver(StartFromResolver resolver) {
  start_from_resolver() = std::move(resolver);
}

}  // namespace tandem::agents
