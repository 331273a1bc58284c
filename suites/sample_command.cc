#include "suites/sample_command.h"

#include <torch/torch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "agents/policy_factory.h"
#include "algorithms/evaluation.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "envs/text/text_env.h"
#include "suites/checkpoint_policy.h"
#include "suites/cli_values.h"

namespace tandem::suites {
namespace {

constexpr int64_t kMaxSamples = 4096;

// A JSON string of `text`. A completion may end inside a multi-byte character (the tokenizer
// falls back to single bytes), so invalid UTF-8 becomes U+FFFD instead of an exception.
std::string quoted(const std::string& text) {
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

text::TextEnv& as_text(envs::Env& env) {
  auto* t = dynamic_cast<text::TextEnv*>(&env);
  TANDEM_CHECK(t != nullptr, "a text env");
  return *t;
}

void check_text_env(const envs::Env& env) {
  if (dynamic_cast<const text::TextEnv*>(&env) == nullptr)
    throw Error(env.spec().id +
                " is not a text env: sample prints completions of text "
                "policies; watch a MuJoCo policy with tandem view or tandem record");
}

// The env and the policy, from the checkpoint's run or from the command line.
struct Sampler {
  std::string env_id;
  json env_options = json::object();
  agents::Policy policy;
};

Sampler make_sampler(const SampleOptions& o) {
  Sampler s;
  if (!o.checkpoint.empty()) {
    if (!o.set.empty())
      throw Error("--set " + o.set.front() +
                  ": a checkpoint's env and policy come from its config.json; --set is for "
                  "sampling without a checkpoint");
    CheckpointPolicy trained = load_checkpoint_policy(o.checkpoint);
    if (!o.env_id.empty() && o.env_id != trained.env_id)
      throw Error(o.checkpoint + " was trained on " + trained.env_id + "; leave out --env");
    s.env_id = trained.env_id;
    s.env_options = trained.env_options;
    check_text_env(*envs::make_env(s.env_id, s.env_options));
    s.policy = trained.policy;
    return s;
  }
  if (o.env_id.empty()) throw Error("no env: give --env ID (e.g. text/sort) or --checkpoint PATH");
  json policy_overrides = json::object();
  for (const std::string& assignment : o.set) {
    if (assignment.rfind("policy.", 0) == 0) {
      apply_override(policy_overrides, assignment.substr(7));
    } else if (assignment.rfind("env.", 0) == 0) {
      apply_override(s.env_options, assignment.substr(4));
    } else {
      throw Error("--set " + assignment + ": use policy.FIELD=VALUE or env.FIELD=VALUE");
    }
  }
  s.env_id = o.env_id;
  auto env = envs::make_env(s.env_id, s.env_options);
  check_text_env(*env);
  // what training starts from: the env's recommended architecture, then the user's settings
  json policy_config = env->spec().recommended.value("policy", json::object());
  policy_config.merge_patch(policy_overrides);
  s.policy = agents::make_policy(*env, policy_config, "command line: policy", o.progress);
  return s;
}

}  // namespace

SampleOutcome run_sample(const SampleOptions& options, std::istream& in, std::ostream& out,
                         std::ostream& err) {
  if (options.samples < 1 || options.samples > kMaxSamples)
    throw Error("--samples " + std::to_string(options.samples) + ": between 1 and " +
                std::to_string(kMaxSamples));
  Sampler sampler = make_sampler(options);
  // one env copy per completion of a prompt: they are generated as one batch
  std::vector<std::unique_ptr<envs::Env>> envs;
  for (int64_t k = 0; k < options.samples; ++k)
    envs.push_back(envs::make_env(sampler.env_id, sampler.env_options));
  text::TextEnv& first = as_text(*envs.front());
  sampler.policy->eval();  // no dropout while sampling
  torch::manual_seed(options.seed);

  SampleOutcome outcome;
  auto answer = [&](const std::string& prompt) {
    ++outcome.prompts;
    try {
      // a prompt the task cannot score is reported before any generation
      first.task().gold_reward(prompt, "");
      const size_t tokens = first.tokenizer().encode(prompt).size();
      if (static_cast<int64_t>(tokens) > first.max_prompt_tokens())
        err << "tandem: note: prompt " << outcome.prompts << " has " << tokens
            << " tokens; the policy sees its last " << first.max_prompt_tokens()
            << " (env.max_prompt_tokens)\n";
      std::vector<std::vector<float>> first_obs;
      for (auto& env : envs) first_obs.push_back(env->reset_to_context({{"prompt", prompt}}));
      algorithms::run_episodes(*sampler.policy, envs, first_obs, options.greedy);
    } catch (const Error& e) {
      ++outcome.failed;
      err << "tandem: error: prompt " << outcome.prompts << " (" << quoted(prompt)
          << "): " << e.what() << "\n";
      err.flush();
      return;
    }
    if (!options.json_lines) out << "prompt: " << prompt << "\n";
    for (int64_t k = 0; k < options.samples; ++k) {
      const text::TextEnv& env = as_text(*envs[k]);
      const std::string completion = env.completion_text();
      const double gold = env.task().gold_reward(prompt, completion);
      if (options.json_lines) {
        const json line = {
            {"prompt", prompt}, {"sample", k}, {"completion", completion}, {"gold_reward", gold}};
        out << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
        continue;
      }
      char score[32];
      std::snprintf(score, sizeof(score), "%.4f", gold);
      const std::string tag = options.samples > 1 ? " " + std::to_string(k + 1) : "";
      out << "  completion" << tag << ": " << quoted(completion) << "\n"
          << "  gold reward" << tag << ": " << score << "\n";
    }
    out.flush();  // answered as it arrives: someone may be typing the next prompt
  };

  if (!options.prompts.empty()) {
    for (const std::string& p : options.prompts) answer(p);
  } else {
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      answer(line);
    }
  }
  if (outcome.prompts == 0)
    throw Error(
        "no prompts: give --prompt TEXT or one prompt a line on "
        "standard input");
  return outcome;
}

SampleCommand::SampleCommand(CLI::App& app)
    : command_(
          app.add_subcommand("sample",
                             "print a text policy's completions of prompts with their gold reward "
                             "(prompts from --prompt, else standard input, one a line)")) {
  command_->add_option("--env", options_.env_id, "text env id (text/sort, text/sentiment)");
  command_->add_option("--checkpoint", options_.checkpoint,
                       "a run's checkpoint.pt (default: the task's pretrained base model)");
  command_->add_option("--prompt", options_.prompts, "a prompt; repeatable");
  command_->add_option("--samples", options_.samples, "completions per prompt")
      ->capture_default_str();
  command_->add_flag("--greedy", options_.greedy, "the most likely token instead of sampling");
  command_->add_option("--seed", options_.seed, "seed of the sampling")
      ->capture_default_str()
      ->transform(seed_value());
  command_->add_option("--set", options_.set,
                       "without a checkpoint: policy.FIELD=VALUE (policy.init=random: an "
                       "untrained LM), env.FIELD=VALUE; repeatable");
  command_->add_flag("--json", options_.json_lines,
                     "one JSON object a completion: prompt, sample, completion, gold_reward");
}

bool SampleCommand::chosen() const { return command_->parsed(); }

int SampleCommand::run() {
  // prompts from a terminal: say so, or the command looks hung
  if (options_.prompts.empty() && ::isatty(STDIN_FILENO))
    std::fprintf(stderr,
                 "reading prompts from standard input, one per line (Ctrl-D ends; --prompt "
                 "gives one on the command line)\n");
  const SampleOutcome o = run_sample(options_, std::cin, std::cout, std::cerr);
  return o.failed > 0 ? 1 : 0;
}

}  // namespace tandem::suites
