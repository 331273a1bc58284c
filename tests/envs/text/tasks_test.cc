// Text tasks: prompt sets, gold rewards on hand examples, noisy sort demonstrations, registry.
#include "envs/text/tasks.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "envs/error.h"

namespace tandem::text {
namespace {

int word_count(const std::string& s) {
  std::istringstream in(s);
  int n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

SortTaskConfig small_sort() {
  SortTaskConfig config;
  config.train_prompts = 300;
  config.eval_prompts = 40;
  return config;
}

TEST(SortTask, GoldRewardOnHandExamples) {
  const SortTask task(small_sort());
  const std::string p = "sort: 5 2 9 1 =";
  EXPECT_EQ(SortTask::solve(p), " 1 2 5 9");
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 5 9"), 1.0);
  EXPECT_DOUBLE_EQ(task.gold_reward(p, "1 2 5 9"), 1.0) << "spacing is free";
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 5 9 and then some"), 1.0)
      << "reading stops at the first non-number";
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 9 5"), 0.5);
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 5"), 0.75) << "a missing number";
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 5 9 9"), 0.8) << "an extra number";
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 5 2 9 1"), 0.25) << "a copy of the input: only 2 fits";
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 9 5 2 1"), 0.0);
  EXPECT_DOUBLE_EQ(task.gold_reward(p, ""), 0.0);
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " banana 1 2 5 9"), 0.0);
  EXPECT_DOUBLE_EQ(task.gold_reward(p, " 1 2 5 9."), 0.75) << "'9.' is not a number";
  EXPECT_DOUBLE_EQ(task.gold_reward("sort: 3 3 1 =", " 1 3 3"), 1.0) << "repeats";
  EXPECT_THROW(task.gold_reward("sort 5 2 =", " 2 5"), Error);
  EXPECT_THROW(task.gold_reward("sort: 5 x 2 =", " 2 5"), Error);
  EXPECT_THROW(task.gold_reward("sort: =", ""), Error);
  EXPECT_EQ(parse_numbers(" 10 20 x 30"), (std::vector<int64_t>{10, 20}));
}

TEST(SortTask, PromptsAreDeterministicDisjointAndWellFormed) {
  const SortTask a(small_sort()), b(small_sort());
  EXPECT_EQ(a.prompts(PromptSplit::kTrain), b.prompts(PromptSplit::kTrain));
  EXPECT_EQ(a.prompts(PromptSplit::kEval), b.prompts(PromptSplit::kEval));
  SortTaskConfig reseeded = small_sort();
  reseeded.seed = 1;
  EXPECT_NE(SortTask(reseeded).prompts(PromptSplit::kTrain), a.prompts(PromptSplit::kTrain));
  SortTaskConfig more_eval = small_sort();
  more_eval.eval_prompts = 80;
  EXPECT_EQ(SortTask(more_eval).prompts(PromptSplit::kTrain), a.prompts(PromptSplit::kTrain))
      << "the train set does not depend on the eval count";

  const auto& train = a.prompts(PromptSplit::kTrain);
  const auto& eval = a.prompts(PromptSplit::kEval);
  ASSERT_EQ(train.size(), 300u);
  ASSERT_EQ(eval.size(), 40u);
  const std::set<std::string> train_set(train.begin(), train.end());
  EXPECT_EQ(train_set.size(), train.size()) << "no duplicates";
  for (const std::string& p : eval) {
    EXPECT_EQ(train_set.count(p), 0u) << p;
    EXPECT_TRUE(SortTask::is_eval_prompt(p));
  }
  for (const std::string& p : train) {
    EXPECT_FALSE(SortTask::is_eval_prompt(p));
    ASSERT_EQ(p.rfind("sort: ", 0), 0u) << p;
    const int numbers = word_count(p) - 2;
    EXPECT_GE(numbers, 3) << p;
    EXPECT_LE(numbers, 6) << p;
    EXPECT_DOUBLE_EQ(a.gold_reward(p, SortTask::solve(p)), 1.0);
  }
}

TEST(SortTask, DemonstrationsAreNoisyAsAsked) {
  const SortTask task(small_sort());
  const std::vector<Demonstration> demos = task.demonstrations(2000, 0.5, 42);
  ASSERT_EQ(demos.size(), 2000u);
  int corrupted = 0;
  for (const Demonstration& d : demos) {
    EXPECT_FALSE(SortTask::is_eval_prompt(d.prompt)) << "eval prompts stay unseen";
    const double reward = task.gold_reward(d.prompt, d.completion);
    if (d.corrupted) {
      ++corrupted;
      EXPECT_NE(d.completion, SortTask::solve(d.prompt));
      EXPECT_LT(reward, 1.0) << d.prompt << " ->" << d.completion;
      EXPECT_EQ(word_count(d.completion), word_count(d.prompt) - 2) << "same length";
    } else {
      EXPECT_EQ(d.completion, SortTask::solve(d.prompt));
      EXPECT_DOUBLE_EQ(reward, 1.0);
    }
  }
  EXPECT_NEAR(corrupted / 2000.0, 0.5, 0.04);

  const auto again = task.demonstrations(2000, 0.5, 42);
  const auto other = task.demonstrations(2000, 0.5, 43);
  for (size_t i = 0; i < demos.size(); ++i) {
    ASSERT_EQ(again[i].prompt, demos[i].prompt);
    ASSERT_EQ(again[i].completion, demos[i].completion);
  }
  EXPECT_NE(other[0].prompt + other[1].prompt, demos[0].prompt + demos[1].prompt);

  for (const Demonstration& d : task.demonstrations(200, 0.0, 1)) EXPECT_FALSE(d.corrupted);
  for (const Demonstration& d : task.demonstrations(200, 1.0, 1)) EXPECT_TRUE(d.corrupted);
  EXPECT_THROW(task.demonstrations(10, 1.5, 1), Error);
}

TEST(SortTask, SingleValueListsAreStillCorrupted) {
  SortTaskConfig config;
  config.min_length = 1;
  config.max_length = 6;
  config.max_value = 1;  // many lists of equal numbers
  config.train_prompts = 4;
  config.eval_prompts = 1;
  const SortTask task(config);
  for (const Demonstration& d : task.demonstrations(300, 1.0, 5)) {
    EXPECT_NE(d.completion, SortTask::solve(d.prompt)) << d.prompt;
    for (int64_t v : parse_numbers(d.completion)) EXPECT_LE(v, 1);
  }
}

TEST(SortTask, ConfigIsChecked) {
  SortTaskConfig config;
  config.min_length = 5;
  config.max_length = 3;
  EXPECT_THROW(SortTask{config}, Error);
  config = SortTaskConfig{};
  config.max_length = 3;
  config.train_prompts = 900;  // 1000 lists of length 3 over 0..9
  EXPECT_THROW(SortTask{config}, Error);
  try {
    make_text_task("sort", {{"train_prompt", 10}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train_prompt"), std::string::npos) << e.what();
  }
}

class SentimentTaskTest : public testing::Test {
 protected:
  Corpus corpus_ = synthetic_corpus(400, 1);
  SentimentTask task_{corpus_, SentimentLexicon::builtin_tiny()};
};

TEST_F(SentimentTaskTest, PromptsAreOpeningWordsOfHeldOutRecords) {
  const auto& train = task_.prompts(PromptSplit::kTrain);
  const auto& eval = task_.prompts(PromptSplit::kEval);
  ASSERT_FALSE(train.empty());
  ASSERT_FALSE(eval.empty());
  const std::set<std::string> train_set(train.begin(), train.end());
  for (const std::string& p : eval) EXPECT_EQ(train_set.count(p), 0u) << p;
  auto opens_a_record = [](const std::string& p, const std::vector<Record>& records) {
    for (const Record& r : records) {
      if (r.text.rfind(p + " ", 0) == 0) return true;
    }
    return false;
  };
  for (const std::string& p : train) {
    EXPECT_GE(word_count(p), 4);
    EXPECT_LE(word_count(p), 8);
    EXPECT_TRUE(opens_a_record(p, corpus_.prompt)) << p;
  }
  for (const std::string& p : eval) EXPECT_TRUE(opens_a_record(p, corpus_.validation)) << p;
}

TEST_F(SentimentTaskTest, GoldRewardIsTheCompletionsScore) {
  const std::string prompt = task_.prompts(PromptSplit::kTrain).front();
  EXPECT_DOUBLE_EQ(task_.gold_reward(prompt, " is a wonderful and lovely day"), (4 + 3) / 6.0);
  EXPECT_DOUBLE_EQ(task_.gold_reward(prompt, " hates the awful rain"), (-3 - 3) / 5.0);
  EXPECT_DOUBLE_EQ(task_.gold_reward("Terrible terrible sad prompt", " and then"), 0.0)
      << "only the completion is scored";
  EXPECT_DOUBLE_EQ(task_.gold_reward(prompt, " good good good"), task_.gold_reward(prompt, " good"))
      << "repeating a word does not pay";
  EXPECT_LT(task_.gold_reward(prompt, " good good good good good good good good"),
            task_.gold_reward(prompt, " good"))
      << "past min_words a repeat dilutes";
  EXPECT_EQ(task_.reward_range().lo, -5);
  EXPECT_EQ(task_.reward_range().hi, 5);
  EXPECT_NE(task_.description().find("AFINN"), std::string::npos);
}

TEST(SentimentTask, PromptLengthIsPickedPerRecord) {
  const std::string text = "one two three four five six seven eight nine ten eleven twelve";
  const std::string p = sentiment_prompt(text, 4, 8);
  EXPECT_EQ(p, sentiment_prompt(text, 4, 8)) << "deterministic";
  EXPECT_EQ(text.rfind(p + " ", 0), 0u);
  EXPECT_GE(word_count(p), 4);
  EXPECT_LE(word_count(p), 8);
  std::set<int> lengths;
  for (int i = 0; i < 200; ++i) {
    lengths.insert(word_count(sentiment_prompt(text + " " + std::to_string(i), 4, 8)));
  }
  EXPECT_EQ(lengths, (std::set<int>{4, 5, 6, 7, 8})) << "every length in range occurs";
  EXPECT_EQ(sentiment_prompt("too short to use", 4, 8), "") << "one word must remain";
  EXPECT_EQ(sentiment_prompt("just enough words here now", 4, 8), "just enough words here");
  SentimentTaskConfig bad;
  bad.min_prompt_words = 9;
  EXPECT_THROW(SentimentTask(synthetic_corpus(), SentimentLexicon::builtin_tiny(), bad), Error);
}

TEST(TextTasks, RegistryBuildsTasksByName) {
  EXPECT_EQ(text_task_names(), (std::vector<std::string>{"sentiment", "sort"}));
  auto sort = make_text_task("sort", {{"train_prompts", 10}, {"eval_prompts", 5}});
  EXPECT_EQ(sort->name(), "sort");
  EXPECT_EQ(sort->prompts(PromptSplit::kTrain).size(), 10u);
  EXPECT_EQ(sort->reward_range().hi, 1.0);
  auto sentiment = make_text_task("sentiment", {{"corpus", "synthetic"}, {"lexicon", "builtin"}});
  EXPECT_EQ(sentiment->name(), "sentiment");
  EXPECT_FALSE(sentiment->prompts(PromptSplit::kEval).empty());
  try {
    make_text_task("summarize");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sentiment, sort"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tandem::text
