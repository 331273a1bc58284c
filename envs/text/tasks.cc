#include "envs/text/tasks.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <unordered_set>

#include "envs/error.h"

namespace tandem::text {
namespace {

// Keeps the first copy of each prompt, in order.
std::vector<std::string> unique(std::vector<std::string> items,
                                const std::unordered_set<std::string>& exclude = {}) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  for (std::string& s : items) {
    if (exclude.count(s) == 0 && seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> split_spaces(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// A non-negative integer of at most 9 digits, or -1.
int64_t parse_number(const std::string& token) {
  if (token.empty() || token.size() > 9) return -1;
  int64_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::vector<int64_t> prompt_numbers(const std::string& prompt) {
  const std::string head = "sort:";
  std::vector<std::string> tokens = split_spaces(prompt);
  const bool framed = tokens.size() >= 3 && tokens.front() == head && tokens.back() == "=";
  std::vector<int64_t> numbers;
  for (size_t i = 1; framed && i + 1 < tokens.size(); ++i) {
    const int64_t v = parse_number(tokens[i]);
    if (v < 0) break;
    numbers.push_back(v);
  }
  if (!framed || numbers.size() + 2 != tokens.size()) {
    throw Error("sort task: prompt '" + prompt +
                "' is not of the form 'sort: <numbers> =' (e.g. 'sort: 7 2 9 =', the numbers "
                "separated by spaces)");
  }
  return numbers;
}

}  // namespace

// ---- sentiment ----

void SentimentTaskConfig::validate() const {
  if (min_prompt_words > max_prompt_words) {
    throw Error("sentiment task: min_prompt_words (" + std::to_string(min_prompt_words) +
                ") must not exceed max_prompt_words (" + std::to_string(max_prompt_words) + ")");
  }
}

std::string sentiment_prompt(const std::string& text, int64_t min_words, int64_t max_words) {
  TANDEM_CHECK(1 <= min_words && min_words <= max_words, "need 1 <= min_words <= max_words");
  const std::vector<std::string> words = split_spaces(text);
  const auto available = static_cast<int64_t>(words.size()) - 1;  // leave one to complete
  if (available < min_words) return "";
  const auto span = static_cast<uint64_t>(max_words - min_words + 1);
  // a different hash stream than the split's, so prompt length and split are independent
  const int64_t wanted =
      min_words + static_cast<int64_t>(mix64(fnv1a64(text) ^ 0x70726f6dull) % span);
  const int64_t n = std::min(wanted, available);
  std::string prompt = words[0];
  for (int64_t i = 1; i < n; ++i) prompt += ' ' + words[i];
  return prompt;
}

SentimentTask::SentimentTask(const Corpus& corpus, SentimentLexicon lexicon,
                             SentimentTaskConfig config)
    : lexicon_(std::move(lexicon)), config_(std::move(config)) {
  config_.validate();
  auto from = [&](const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const Record& r : records) {
      std::string p = sentiment_prompt(r.text, config_.min_prompt_words, config_.max_prompt_words);
      if (!p.empty()) out.push_back(std::move(p));
    }
    return out;
  };
  eval_prompts_ = unique(from(corpus.validation));
  // two records can open with the same words; such a prompt stays held out for evaluation
  const std::unordered_set<std::string> eval(eval_prompts_.begin(), eval_prompts_.end());
  train_prompts_ = unique(from(corpus.prompt), eval);
  if (train_prompts_.empty() || eval_prompts_.empty()) {
    throw Error("sentiment task: the corpus gave " + std::to_string(train_prompts_.size()) +
                " train and " + std::to_string(eval_prompts_.size()) +
                " eval prompts; it needs records in its prompt and validation splits longer "
                "than min_prompt_words");
  }
}

std::string SentimentTask::description() const {
  return "continue the opening words of a fortune; gold reward = AFINN-165 valence sum of "
         "distinct entries / max(words, " +
         std::to_string(config_.min_words) + ") of the completion, in [-5, 5]";
}

const std::vector<std::string>& SentimentTask::prompts(PromptSplit split) const {
  return split == PromptSplit::kTrain ? train_prompts_ : eval_prompts_;
}

double SentimentTask::gold_reward(const std::string& prompt, const std::string& completion) const {
  return lexicon_.score(completion, config_.min_words).score;
}

// ---- sort ----

void SortTaskConfig::validate() const {
  if (min_length > max_length) {
    throw Error("sort task: min_length (" + std::to_string(min_length) +
                ") must not exceed max_length (" + std::to_string(max_length) + ")");
  }
  // distinct lists, saturating well above any count the config allows
  double distinct = 0;
  for (int64_t n = min_length; n <= max_length; ++n) {
    distinct += std::pow(static_cast<double>(max_value + 1), static_cast<double>(n));
  }
  // eval lists are 10% of all; leave room so drawing ends quickly
  if (static_cast<double>(train_prompts) > distinct / 2 ||
      static_cast<double>(eval_prompts) > distinct / 20) {
    throw Error("sort task: " + std::to_string(train_prompts) + " train and " +
                std::to_string(eval_prompts) + " eval prompts need more distinct lists than " +
                "lengths " + std::to_string(min_length) + ".." + std::to_string(max_length) +
                " of 0.." + std::to_string(max_value) +
                " give (at most half of them for train, "
                "a twentieth for eval); raise max_length or max_value, or ask for fewer prompts");
  }
}

std::vector<int64_t> parse_numbers(const std::string& completion) {
  std::vector<int64_t> numbers;
  for (const std::string& token : split_spaces(completion)) {
    const int64_t v = parse_number(token);
    if (v < 0) break;
    numbers.push_back(v);
  }
  return numbers;
}

std::string SortTask::format_prompt(const std::vector<int64_t>& numbers) {
  std::string s = "sort:";
  for (int64_t v : numbers) s += ' ' + std::to_string(v);
  return s + " =";
}

std::string SortTask::format_completion(const std::vector<int64_t>& numbers) {
  std::string s;
  for (int64_t v : numbers) s += ' ' + std::to_string(v);
  return s;
}

std::string SortTask::solve(const std::string& prompt) {
  std::vector<int64_t> numbers = prompt_numbers(prompt);
  std::sort(numbers.begin(), numbers.end());
  return format_completion(numbers);
}

bool SortTask::is_eval_prompt(const std::string& prompt) {
  return mix64(fnv1a64(prompt)) % 10 == 0;
}

SortTask::SortTask(SortTaskConfig config) : config_(std::move(config)) {
  config_.validate();
  SplitMix64 rng(mix64(static_cast<uint64_t>(config_.seed)));
  std::unordered_set<std::string> seen;
  const auto want_train = static_cast<size_t>(config_.train_prompts);
  const auto want_eval = static_cast<size_t>(config_.eval_prompts);
  // one stream for both sets: the train set does not depend on eval_prompts, nor the reverse
  for (int64_t draws = 0; train_prompts_.size() < want_train || eval_prompts_.size() < want_eval;
       ++draws) {
    TANDEM_CHECK(draws < 1000 * (config_.train_prompts + config_.eval_prompts) + 100000,
                 "sort prompts: drawing does not end");
    std::string prompt = format_prompt(draw_list(rng));
    if (!seen.insert(prompt).second) continue;
    std::vector<std::string>& set = is_eval_prompt(prompt) ? eval_prompts_ : train_prompts_;
    const size_t want = is_eval_prompt(prompt) ? want_eval : want_train;
    if (set.size() < want) set.push_back(std::move(prompt));
  }
}

std::vector<int64_t> SortTask::draw_list(SplitMix64& rng) const {
  const auto span = static_cast<uint64_t>(config_.max_length - config_.min_length + 1);
  const int64_t length = config_.min_length + static_cast<int64_t>(rng.below(span));
  std::vector<int64_t> numbers(static_cast<size_t>(length));
  for (int64_t& v : numbers) v = static_cast<int64_t>(rng.below(config_.max_value + 1));
  return numbers;
}

std::string SortTask::description() const {
  return "sort " + std::to_string(config_.min_length) + ".." + std::to_string(config_.max_length) +
         " numbers in 0.." + std::to_string(config_.max_value) +
         " ('sort: 5 2 9 = ' → ' 2 5 9'); gold reward = fraction of positions right, in [0, 1]";
}

const std::vector<std::string>& SortTask::prompts(PromptSplit split) const {
  return split == PromptSplit::kTrain ? train_prompts_ : eval_prompts_;
}

double SortTask::gold_reward(const std::string& prompt, const std::string& completion) const {
  std::vector<int64_t> expected = prompt_numbers(prompt);
  std::sort(expected.begin(), expected.end());
  const std::vector<int64_t> given = parse_numbers(completion);
  size_t right = 0;
  for (size_t i = 0; i < std::min(expected.size(), given.size()); ++i) {
    if (given[i] == expected[i]) ++right;
  }
  // over the longer length: a missing or an extra number costs as much as a wrong one
  const size_t length = std::max(expected.size(), given.size());
  return length == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(length);
}

std::vector<Demonstration> SortTask::demonstrations(int64_t n, double corrupt_fraction,
                                                    uint64_t seed) const {
  if (n < 0) throw Error("sort demonstrations: n must be >= 0, got " + std::to_string(n));
  if (!(corrupt_fraction >= 0 && corrupt_fraction <= 1)) {
    throw Error("sort demonstrations: corrupt_fraction must be in [0, 1], got " +
                std::to_string(corrupt_fraction));
  }
  SplitMix64 rng(mix64(seed ^ 0x64656d6full));
  std::vector<Demonstration> out;
  out.reserve(static_cast<size_t>(n));
  while (static_cast<int64_t>(out.size()) < n) {
    std::vector<int64_t> numbers = draw_list(rng);
    Demonstration demo{format_prompt(numbers), "", false};
    if (is_eval_prompt(demo.prompt)) continue;  // eval prompts stay unseen
    std::vector<int64_t> sorted = numbers;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> answer = sorted;
    if (rng.uniform() < corrupt_fraction) {
      demo.corrupted = true;
      const size_t size = answer.size();
      if (answer.front() == answer.back()) {
        // all numbers equal: no reordering differs, so change one number
        const size_t i = rng.below(size);
        const auto offset = static_cast<int64_t>(1 + rng.below(config_.max_value));
        answer[i] = (answer[i] + offset) % (config_.max_value + 1);
      } else if (rng.below(2) == 0) {
        size_t i, j;
        do {
          i = rng.below(size);
          j = rng.below(size);
        } while (answer[i] == answer[j]);
        std::swap(answer[i], answer[j]);
      } else {
        for (int tries = 0; tries < 16 && answer == sorted; ++tries) {
          for (size_t k = size - 1; k > 0; --k) std::swap(answer[k], answer[rng.below(k + 1)]);
        }
        // a shuffle of a list with two distinct values can come back sorted; swap then
        if (answer == sorted) std::swap(answer.front(), answer.back());
      }
    }
    demo.completion = format_completion(answer);
    out.push_back(std::move(demo));
  }
  return out;
}

// ---- registry ----

namespace {

using TaskFactory = std::function<std::unique_ptr<TextTask>(const json& options)>;

const std::map<std::string, TaskFactory>& task_table() {
  static const std::map<std::string, TaskFactory> table = {
      {"sentiment",
       [](const json& options) -> std::unique_ptr<TextTask> {
         auto config = config_from_json<SentimentTaskConfig>(options, "text task 'sentiment'");
         const Corpus corpus = config.corpus == "synthetic" ? synthetic_corpus() : load_fortunes();
         SentimentLexicon lexicon = config.lexicon == "builtin" ? SentimentLexicon::builtin_tiny()
                                                                : SentimentLexicon::load_afinn();
         return std::make_unique<SentimentTask>(corpus, std::move(lexicon), config);
       }},
      {"sort",
       [](const json& options) -> std::unique_ptr<TextTask> {
         return std::make_unique<SortTask>(
             config_from_json<SortTaskConfig>(options, "text task 'sort'"));
       }},
  };
  return table;
}

}  // namespace

std::unique_ptr<TextTask> make_text_task(const std::string& name, const json& options) {
  const auto& table = task_table();
  auto it = table.find(name);
  if (it == table.end()) {
    std::string known;
    for (const auto& [n, f] : table) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown text task '" + name + "' (known: " + known + ")");
  }
  return it->second(options);
}

std::vector<std::string> text_task_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : task_table()) names.push_back(n);
  return names;
}

}  // namespace tandem::text
