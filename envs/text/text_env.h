// Text tasks as Envs (the table of observation, action, reward and episode rules is at the top
// of text_env.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/config.h"
#include "envs/env.h"
#include "envs/text/tasks.h"
#include "envs/text/tokenizer.h"

namespace tandem::text {

class TextEnv : public envs::Env {
 public:
  TextEnv(const std::string& task_name, const json& options);

  void set_evaluation(bool evaluation) override { evaluation_ = evaluation; }
  const TextTask& task() const { return *task_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::string& prompt() const { return prompt_; }
  std::string completion_text() const;
  const json& task_options() const { return task_options_; }
  json describe_episode() const override {
    return {{"prompt", prompt_}, {"completion", completion_text()}};
  }
  int64_t max_new_tokens() const { return max_new_tokens_; }
  int64_t max_prompt_tokens() const { return max_prompt_tokens_; }

 protected:
  std::vector<float> reset_impl() override;
  envs::StepResult step_impl(const std::vector<float>& action) override;
  json context_impl() const override { return {{"prompt", prompt_}}; }
  // {"prompt": "..."}: any prompt, not only the task's own.
  std::vector<float> reset_to_context_impl(const json& context) override;
  // The episode so far: prompt, its token context, the completion, the evaluation switch.
  void save_state_impl(envs::ByteWriter& out) const override;
  void load_state_impl(envs::ByteReader& in) override;

 private:
  TextEnv(const std::string& task_name, ConfigReader r);
  std::vector<float> observation() const;
  std::vector<float> start(const std::string& prompt);

  int64_t max_new_tokens_, max_prompt_tokens_;
  json task_options_;
  std::shared_ptr<const TextTask> task_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  bool evaluation_ = false;
  std::string prompt_;
  std::vector<int64_t> context_;
  std::vector<int> completion_;
  int64_t prompt_tokens_ = 0;
};

// The texts a task's base model (and its tokenizer) learn from: fortunes' train split for
// sentiment (or the synthetic corpus when the task options say so), 20 000 half-corrupted
// demonstrations for sort.
std::vector<std::string> base_model_texts(const TextTask& task, const json& task_options);
// Held-out texts of the same kind, for the base model's validation loss: fortunes' validation
// split (or the synthetic one), 1 000 half-corrupted sort demonstrations drawn apart.
std::vector<std::string> base_model_validation_texts(const TextTask& task,
                                                     const json& task_options);

}  // namespace tandem::text
