#include "envs/text/corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "envs/error.h"
#include "envs/text/hash.h"

namespace tandem::text {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    lines.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open for reading (check its permissions)");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void add_to_split(Corpus& corpus, Record record, const CorpusOptions& options) {
  switch (split_of(record.text, options)) {
    case Split::kTrain:
      corpus.train.push_back(std::move(record));
      break;
    case Split::kValidation:
      corpus.validation.push_back(std::move(record));
      break;
    case Split::kPrompt:
      corpus.prompt.push_back(std::move(record));
      break;
  }
}

}  // namespace

void CorpusOptions::validate() const {
  if (max_bytes < 1)
    throw Error("corpus options: max_bytes must be >= 1, got " + std::to_string(max_bytes));
  if (validation_percent < 0 || prompt_percent < 0 || validation_percent + prompt_percent > 99) {
    throw Error("corpus options: validation_percent (" + std::to_string(validation_percent) +
                ") and prompt_percent (" + std::to_string(prompt_percent) +
                ") must be >= 0 and leave at least 1% for train");
  }
}

const char* split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "validation";
    case Split::kPrompt:
      return "prompt";
  }
  return "?";
}

const std::vector<Record>& Corpus::split(Split s) const {
  switch (s) {
    case Split::kValidation:
      return validation;
    case Split::kPrompt:
      return prompt;
    case Split::kTrain:
      break;
  }
  return train;
}

std::vector<std::string> split_fortune_records(std::string_view content) {
  std::vector<std::string> records;
  std::string current;
  std::vector<std::string_view> lines = split_lines(content);
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // after the final newline
  for (std::string_view line : lines) {
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    if (bare == "%") {
      records.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.append(line);
    current.push_back('\n');
  }
  // A file ends with "%\n" or with a last record and no separator; only the latter is a record.
  if (!trim(current).empty()) records.push_back(std::move(current));
  return records;
}

std::string strip_control(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (unsigned char c : raw) {
    if (c == '\b') {
      // overstrike: the character before the backspace is printed over, so it goes
      while (!out.empty() && is_continuation(static_cast<unsigned char>(out.back()))) {
        out.pop_back();
      }
      if (!out.empty()) out.pop_back();
    } else if (c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7f)) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Attributed split_attribution(std::string_view record) {
  std::vector<std::string_view> lines = split_lines(record);
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  // walk up from the end over wrapped (indented or blank) lines to a "--" line
  for (size_t i = lines.size(); i-- > 1;) {
    std::string_view t = trim(lines[i]);
    if (t.size() > 2 && t[0] == '-' && t[1] == '-' && t[2] != '-') {
      std::string body;
      for (size_t j = 0; j < i; ++j) {
        body.append(lines[j]);
        body.push_back('\n');
      }
      std::string by(t.substr(2));
      for (size_t j = i + 1; j < lines.size(); ++j) {
        by.push_back(' ');
        by.append(lines[j]);
      }
      return {std::move(body), normalize_whitespace(by)};
    }
    const bool wrapped = t.empty() || lines[i][0] == ' ' || lines[i][0] == '\t';
    if (!wrapped) break;
  }
  return {std::string(record), ""};
}

std::string normalize_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (unsigned char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

bool looks_like_art(std::string_view text) {
  int64_t visible = 0, letters = 0, run = 0;
  unsigned char previous = 0;
  for (unsigned char c : text) {
    if (is_continuation(c)) continue;  // count characters, not bytes
    if (!is_space(c)) {
      ++visible;
      if (c >= 0x80 || std::isalpha(c)) ++letters;
    }
    const bool rule_char = c < 0x80 && std::ispunct(c) && c != '.' && c != '!' && c != '?';
    run = (rule_char && c == previous) ? run + 1 : 1;
    if (rule_char && run >= 4) return true;
    previous = c;
  }
  return visible > 0 && letters * 10 < visible * 6;
}

Split split_of(std::string_view text, const CorpusOptions& options) {
  const uint64_t bucket = mix64(fnv1a64(text)) % 100;
  const auto validation = static_cast<uint64_t>(options.validation_percent);
  const auto prompt = static_cast<uint64_t>(options.prompt_percent);
  if (bucket < validation) return Split::kValidation;
  if (bucket < validation + prompt) return Split::kPrompt;
  return Split::kTrain;
}

Corpus corpus_from_files(const std::vector<NamedText>& files, const CorpusOptions& options) {
  options.validate();
  Corpus corpus;
  std::unordered_set<std::string> seen;
  for (const NamedText& file : files) {
    ++corpus.stats.files;
    for (const std::string& raw : split_fortune_records(file.content)) {
      ++corpus.stats.raw_records;
      Attributed parts = split_attribution(strip_control(raw));
      Record record{normalize_whitespace(parts.body), std::move(parts.attribution), file.name};
      if (record.text.empty()) {
        ++corpus.stats.dropped_empty;
      } else if (looks_like_art(record.text)) {
        ++corpus.stats.dropped_art;
      } else if (static_cast<int64_t>(record.text.size()) > options.max_bytes) {
        ++corpus.stats.dropped_too_long;
      } else if (!seen.insert(record.text).second) {
        ++corpus.stats.dropped_duplicate;
      } else {
        ++corpus.stats.kept;
        if (!record.attribution.empty()) ++corpus.stats.with_attribution;
        add_to_split(corpus, std::move(record), options);
      }
    }
  }
  return corpus;
}

Corpus load_fortunes(const CorpusOptions& options) {
  namespace fs = std::filesystem;
  options.validate();
  const fs::path dir(options.fortune_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(options.fortune_dir +
                ": fortune folder not found (install the Debian packages: "
                "apt-get install fortunes fortunes-min, or set corpus fortune_dir)");
  }
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.find('.') != std::string::npos) continue;
    if (std::find(options.exclude_files.begin(), options.exclude_files.end(), name) !=
        options.exclude_files.end()) {
      continue;
    }
    names.push_back(name);
  }
  if (names.empty()) {
    throw Error(options.fortune_dir +
                ": no fortune files in this folder (expected plain files "
                "such as 'wisdom'; install fortunes fortunes-min)");
  }
  // name order fixes which copy of a duplicate is kept and the order inside each split
  std::sort(names.begin(), names.end());
  std::vector<NamedText> files;
  for (const std::string& name : names) files.push_back({name, read_file(dir / name)});
  return corpus_from_files(files, options);
}

Corpus synthetic_corpus(int64_t sentences, uint64_t seed) {
  if (sentences < 1 || sentences > 100000) {
    throw Error("synthetic_corpus: sentences must be in [1, 100000], got " +
                std::to_string(sentences));
  }
  static const std::vector<std::string> kNames = {"Alice", "Bob",   "Carol", "Dave", "Erin",
                                                  "Frank", "Grace", "Heidi", "Ivan", "Judy"};
  static const std::vector<std::string> kNouns = {
      "cat",    "dog",  "computer", "garden", "river",  "teacher", "program", "city",
      "friend", "book", "machine",  "song",   "winter", "lawyer",  "kernel",  "cookie"};
  static const std::vector<std::string> kAdjectives = {
      "good",   "bad",   "happy", "sad",    "great",   "terrible", "quiet", "strange",
      "lovely", "awful", "old",   "bright", "nervous", "wise",     "lazy",  "wonderful"};
  static const std::vector<std::string> kVerbs = {"loves", "hates",   "finds", "watches",
                                                  "fears", "admires", "helps", "ignores"};
  static const std::vector<std::string> kTimes = {"dawn", "lunch", "midnight", "Monday",
                                                  "the holidays"};
  SplitMix64 rng(seed);
  auto pick = [&rng](const std::vector<std::string>& words) -> const std::string& {
    return words[rng.below(words.size())];
  };
  std::vector<Record> records;
  std::unordered_set<std::string> seen;
  // the templates give about 10^6 distinct sentences, so this ends long before the cap
  for (int64_t attempt = 0; static_cast<int64_t>(records.size()) < sentences; ++attempt) {
    if (attempt > sentences * 100) throw Error("synthetic_corpus: too few distinct sentences");
    std::string text;
    switch (rng.below(5)) {
      case 0:
        text = "The " + pick(kAdjectives) + " " + pick(kNouns) + " " + pick(kVerbs) + " the " +
               pick(kAdjectives) + " " + pick(kNouns) + ".";
        break;
      case 1:
        text = pick(kNames) + " said that every " + pick(kNouns) + " is " + pick(kAdjectives) +
               " before " + pick(kTimes) + ".";
        break;
      case 2:
        text = "Never trust a " + pick(kAdjectives) + " " + pick(kNouns) + "; it " + pick(kVerbs) +
               " you.";
        break;
      case 3:
        text = "My " + pick(kNouns) + " " + pick(kVerbs) + " a " + pick(kNouns) + ", and that is " +
               pick(kAdjectives) + ".";
        break;
      default:
        text =
            "Why is the " + pick(kNouns) + " so " + pick(kAdjectives) + " at " + pick(kTimes) + "?";
        break;
    }
    std::string attribution = rng.below(3) == 0 ? pick(kNames) + " " + pick(kNames) + "son" : "";
    if (!seen.insert(text).second) continue;
    records.push_back({std::move(text), std::move(attribution), "synthetic"});
  }
  Corpus corpus;
  corpus.stats.files = 1;
  corpus.stats.raw_records = corpus.stats.kept = sentences;
  for (Record& r : records) {
    if (!r.attribution.empty()) ++corpus.stats.with_attribution;
    add_to_split(corpus, std::move(r), CorpusOptions{});
  }
  return corpus;
}

std::vector<std::string> texts(const std::vector<Record>& records) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const Record& r : records) out.push_back(r.text);
  return out;
}

int64_t total_bytes(const std::vector<Record>& records) {
  int64_t bytes = 0;
  for (const Record& r : records) bytes += static_cast<int64_t>(r.text.size());
  return bytes;
}

}  // namespace tandem::text
