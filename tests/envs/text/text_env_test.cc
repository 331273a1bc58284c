#include <gtest/gtest.h>

#include "envs/error.h"
#include "envs/registry.h"
#include "envs/text/text_env.h"

namespace tandem::text {
namespace {

TEST(TextEnv, SortEpisodeEndsAtEndOfTextWithTheGoldReward) {
  std::string why;
  if (!sentencepiece_available(&why)) GTEST_SKIP() << why;
  auto env = envs::make_env("text/sort");
  auto& text = dynamic_cast<TextEnv&>(*env);
  const auto& spec = env->spec();
  EXPECT_EQ(spec.action_space.n, text.tokenizer().vocab_size());
  EXPECT_EQ(spec.observation_space.flat_size(), 1 + 32 + 16);

  std::vector<float> obs = env->reset(3);
  const std::string prompt = text.prompt();
  std::vector<int> ids = text.tokenizer().encode(prompt);
  ASSERT_EQ(obs[0], ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(obs[1 + i], ids[i]);

  // write the right answer token by token, then end the text
  const std::string answer = SortTask::solve(prompt);
  std::vector<int> answer_ids = text.tokenizer().encode(answer);
  envs::StepResult r;
  for (int id : answer_ids) {
    r = env->step({static_cast<float>(id)});
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.reward, 0.0);
  }
  EXPECT_EQ(r.obs[0], ids.size() + answer_ids.size());
  r = env->step({static_cast<float>(text.tokenizer().eot_id())});
  EXPECT_TRUE(r.terminated);
  EXPECT_DOUBLE_EQ(r.reward, 1.0) << prompt << " |" << text.completion_text() << "|";
  EXPECT_EQ(text.completion_text(), answer);
}

TEST(TextEnv, MaxNewTokensEndsTheEpisodeAndEvalPromptsAreSeparate) {
  std::string why;
  if (!sentencepiece_available(&why)) GTEST_SKIP() << why;
  auto env = envs::make_env("text/sort", {{"max_new_tokens", 3}});
  auto& text = dynamic_cast<TextEnv&>(*env);
  env->reset(0);
  envs::StepResult r;
  for (int t = 0; t < 3; ++t) r = env->step({5.0f});
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  env->set_evaluation(true);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env->reset(seed);
    EXPECT_TRUE(SortTask::is_eval_prompt(text.prompt())) << text.prompt();
  }
  EXPECT_THROW(envs::make_env("text/sort", {{"max_new_tokns", 3}}), Error);
}

}  // namespace
}  // namespace tandem::text
