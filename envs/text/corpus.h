// The text corpus: English fortunes (Debian's `fortunes` and `fortunes-min`), cleaned,
// deduplicated and split by a hash of each text into train / validation / prompt sets.
//
// | source      | every plain file of fortune_dir (default /usr/share/games/fortunes): names      |
// |             | without a dot (so no *.dat index, no *.u8 link), no sub-folder (so no off/),    |
// |             | minus exclude_files (default "translate-me": Latin and French, not English)     |
// | records     | separated by lines holding only "%"                                             |
// | cleaning    | overstrike (X\b) resolved to the struck-over character, other control bytes     |
// |             | dropped; a trailing attribution ("-- Mark Twain") split off into `attribution`  |
// |             | (the LM learns quotes, not bylines, so completions end at the quote); runs of   |
// |             | whitespace (newlines, tabs) collapsed to one space, ends trimmed                |
// | dropped     | empty; longer than max_bytes (400: about 80 words, most fortunes fit, long      |
// |             | stories and song lyrics do not); ASCII art (looks_like_art); exact duplicates   |
// |             | of an earlier text (files in name order; attributions play no part)             |
// | split       | bucket = mix64(fnv1a64(text)) % 100: [0, validation_percent) validation, then   |
// |             | [.., + prompt_percent) prompt, the rest train; a text's split never depends on  |
// |             | file order or on the other records                                              |
//
// The prompt split is kept out of language-model pretraining so RL prompts are unseen text;
// validation measures the LM (loss, bytes per token).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::text {

struct CorpusOptions {
  std::string fortune_dir = "/usr/share/games/fortunes";
  int64_t max_bytes = 400;  // longer texts (after cleaning, without attribution) are dropped
  int64_t validation_percent = 5;
  int64_t prompt_percent = 5;
  std::vector<std::string> exclude_files = {"translate-me"};

  // Throws tandem::Error naming the field when a value is out of range.
  void validate() const;
};

enum class Split { kTrain, kValidation, kPrompt };
const char* split_name(Split split);

struct Record {
  std::string text;         // cleaned, whitespace-normalized, without attribution
  std::string attribution;  // "Mark Twain" for a record ending in "-- Mark Twain"; may be empty
  std::string source;       // the fortune file's name ("wisdom"), or "synthetic"
};

// Why records were dropped; every raw record is counted once, under its first reason.
struct CorpusStats {
  int64_t files = 0;
  int64_t raw_records = 0;
  int64_t dropped_empty = 0;
  int64_t dropped_too_long = 0;
  int64_t dropped_art = 0;
  int64_t dropped_duplicate = 0;
  int64_t kept = 0;
  int64_t with_attribution = 0;
};

struct Corpus {
  std::vector<Record> train;
  std::vector<Record> validation;
  std::vector<Record> prompt;
  CorpusStats stats;

  const std::vector<Record>& split(Split s) const;
};

// A named file's content, so the pipeline can run on files held in memory (tests).
struct NamedText {
  std::string name;
  std::string content;
};

// Reads every fortune file of options.fortune_dir (sorted by name) and cleans, deduplicates
// and splits them. Throws tandem::Error naming the folder when it is missing or holds no file.
Corpus load_fortunes(const CorpusOptions& options = {});
// The same pipeline on files given in memory (exclude_files and fortune_dir are not used).
Corpus corpus_from_files(const std::vector<NamedText>& files, const CorpusOptions& options = {});

// A small deterministic corpus of generated English sentences (some with attributions and
// sentiment words), split with the same hash rule, so tests never need the fortune files.
Corpus synthetic_corpus(int64_t sentences = 400, uint64_t seed = 0);

// The texts of some records, in order.
std::vector<std::string> texts(const std::vector<Record>& records);
// Sum of the texts' lengths in bytes.
int64_t total_bytes(const std::vector<Record>& records);

// The pipeline's steps, exposed for tests.

// Splits a fortune file into its records: lines holding only "%" (a trailing '\r' allowed)
// separate them. Records are returned raw (may be empty).
std::vector<std::string> split_fortune_records(std::string_view content);
// Resolves overstrike (a byte sequence "X\b" is dropped, leaving the character printed over it)
// and drops control bytes other than tab and newline.
std::string strip_control(std::string_view raw);
struct Attributed {
  std::string body;
  std::string attribution;  // without the leading "--", trimmed, whitespace collapsed
};
// Splits off a trailing attribution: a line (not the first) that starts, after indentation,
// with "--" followed by a non-dash, when every later line is blank or indented (a wrapped
// attribution). Returns the whole record as body when there is none.
Attributed split_attribution(std::string_view record);
// Collapses every run of ASCII whitespace to one space and trims both ends.
std::string normalize_whitespace(std::string_view text);
// ASCII art, tables and code: fewer than 60% of the non-space characters are letters (every
// non-ASCII character counts as a letter), or a run of 4+ of the same ASCII punctuation
// character other than . ! ? (rules such as "____", "====", "<<<<", "****").
bool looks_like_art(std::string_view text);
// The split a text falls into (see the table above).
Split split_of(std::string_view text, const CorpusOptions& options = {});

}  // namespace tandem::text
