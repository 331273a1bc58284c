// Fortune corpus: record splitting, cleaning rules, and a split that depends on the text alone.
#include "envs/text/corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "envs/error.h"

namespace tandem::text {
namespace {

std::set<std::string> text_set(const std::vector<Record>& records) {
  std::set<std::string> out;
  for (const Record& r : records) out.insert(r.text);
  return out;
}

void expect_disjoint(const Corpus& c) {
  const auto train = text_set(c.train), validation = text_set(c.validation),
             prompt = text_set(c.prompt);
  EXPECT_EQ(train.size(), c.train.size()) << "duplicates inside train";
  for (const std::string& t : validation) EXPECT_EQ(train.count(t), 0u) << t;
  for (const std::string& t : prompt) {
    EXPECT_EQ(train.count(t), 0u) << t;
    EXPECT_EQ(validation.count(t), 0u) << t;
  }
}

TEST(Corpus, SplitsFortuneFileIntoRecords) {
  EXPECT_EQ(split_fortune_records("one\n%\ntwo\nlines\n%\n"),
            (std::vector<std::string>{"one\n", "two\nlines\n"}));
  EXPECT_EQ(split_fortune_records("a\r\n%\r\nb"), (std::vector<std::string>{"a\r\n", "b\n"}))
      << "CRLF separators, and a last record without a separator";
  EXPECT_EQ(split_fortune_records("50%\n%%\n%\n"), (std::vector<std::string>{"50%\n%%\n"}))
      << "only a line holding exactly '%' separates";
  EXPECT_EQ(split_fortune_records("%\n%\nx\n"), (std::vector<std::string>{"", "", "x\n"}));
}

TEST(Corpus, ResolvesOverstrikeAndDropsControlBytes) {
  EXPECT_EQ(strip_control("_\bB_\bo_\bl_\bd"), "Bold") << "underline: keep the letter";
  EXPECT_EQ(strip_control("B\bBo\bo"), "Bo") << "bold by double strike";
  EXPECT_EQ(strip_control("___\b\b\bxyz"), "xyz") << "several backspaces in a row";
  EXPECT_EQ(strip_control("caf\xC3\xA9\b!"), "caf!") << "a backspace removes a whole character";
  EXPECT_EQ(strip_control("\bx\x01y\x1b[0m\x7f\tz\n"), "xy[0m\tz\n");
}

TEST(Corpus, SplitsOffAttribution) {
  Attributed a = split_attribution("Quote line one,\nline two.\n\t\t-- Mark Twain\n\n");
  EXPECT_EQ(a.body, "Quote line one,\nline two.\n");
  EXPECT_EQ(a.attribution, "Mark Twain");

  a = split_attribution("Gilt by association.\n\t\t-- Terry Pratchett,\n\t\t   \"Night Watch\"\n");
  EXPECT_EQ(a.body, "Gilt by association.\n");
  EXPECT_EQ(a.attribution, "Terry Pratchett, \"Night Watch\"") << "a wrapped attribution";

  a = split_attribution("Q: what?\n--Zippy\n");
  EXPECT_EQ(a.attribution, "Zippy") << "no indentation needed on the last line";

  for (const char* none : {"-- only a first line\n", "a\n-- not last\nplain text after\n",
                           "table\n-----------\n", "no attribution at all\n"}) {
    a = split_attribution(none);
    EXPECT_EQ(a.attribution, "") << none;
    EXPECT_EQ(a.body, none);
  }
}

TEST(Corpus, NormalizesWhitespace) {
  EXPECT_EQ(normalize_whitespace("  a\t\tb \n\n c  \r\n"), "a b c");
  EXPECT_EQ(normalize_whitespace(" \n\t "), "");
  EXPECT_EQ(normalize_whitespace("caf\xC3\xA9  bar"), "caf\xC3\xA9 bar");
}

TEST(Corpus, RecognizesAsciiArt) {
  EXPECT_TRUE(looks_like_art("(  /\\__________/\\  ) \\(^ @___..___@ ^)/ /\\ (\\/\\/\\/\\/) /\\"));
  EXPECT_TRUE(looks_like_art("n = ((n >> 1) & 0x55555555) | ((n << 1) & 0xaaaaaaaa);"));
  EXPECT_TRUE(looks_like_art("=== This letter is the Honor System Virus ===="))
      << "a rule of four '='";
  EXPECT_TRUE(looks_like_art("<<<<< EVACUATION ROUTE <<<<<"));
  EXPECT_FALSE(looks_like_art("A day for firm decisions!!!!! Or is it?")) << "! is prose";
  EXPECT_FALSE(looks_like_art("Wait... what.... no way, really?"));
  EXPECT_FALSE(looks_like_art("It's the \"don't-care\" bits -- you know (sort of)."));
  EXPECT_FALSE(looks_like_art("\xE4\xB8\xAD\xE6\x96\x87 is Chinese")) << "non-ASCII are letters";
  EXPECT_FALSE(looks_like_art(""));
}

TEST(Corpus, PipelineCountsEveryDroppedRecord) {
  const std::string art = "  /\\_/\\\n ( o.o )\n  > ^ <\n";
  const std::string long_text(500, 'x');
  const std::vector<NamedText> files = {
      {"first", "A fine quote.\n\t-- Someone\n%\n" + art + "%\n \n%\n" + long_text + "\n%\n"},
      {"second", "A   fine\nquote.\n%\nAnother quote entirely.\n"},
  };
  const Corpus c = corpus_from_files(files);
  EXPECT_EQ(c.stats.files, 2);
  EXPECT_EQ(c.stats.raw_records, 6);
  EXPECT_EQ(c.stats.dropped_art, 1);
  EXPECT_EQ(c.stats.dropped_empty, 1);
  EXPECT_EQ(c.stats.dropped_too_long, 1);
  EXPECT_EQ(c.stats.dropped_duplicate, 1) << "same text after whitespace normalization";
  EXPECT_EQ(c.stats.kept, 2);
  EXPECT_EQ(c.stats.with_attribution, 1);
  std::vector<Record> all = c.train;
  all.insert(all.end(), c.validation.begin(), c.validation.end());
  all.insert(all.end(), c.prompt.begin(), c.prompt.end());
  ASSERT_EQ(all.size(), 2u);
  for (const Record& r : all) {
    if (r.text == "A fine quote.") {
      EXPECT_EQ(r.attribution, "Someone");
      EXPECT_EQ(r.source, "first") << "the first copy is kept";
    } else {
      EXPECT_EQ(r.text, "Another quote entirely.");
    }
  }
}

TEST(Corpus, SplitDependsOnTheTextAloneAndIsDisjoint) {
  std::vector<NamedText> files;
  for (int f = 0; f < 5; ++f) {
    std::string content;
    for (int r = 0; r < 200; ++r) {
      content += "Fortune number " + std::to_string(f * 1000 + r) + " says hello.\n%\n";
    }
    files.push_back({"file" + std::to_string(f), content});
  }
  const Corpus forward = corpus_from_files(files);
  std::reverse(files.begin(), files.end());
  const Corpus backward = corpus_from_files(files);
  EXPECT_EQ(text_set(forward.train), text_set(backward.train));
  EXPECT_EQ(text_set(forward.validation), text_set(backward.validation));
  EXPECT_EQ(text_set(forward.prompt), text_set(backward.prompt));
  expect_disjoint(forward);
  for (Split s : {Split::kTrain, Split::kValidation, Split::kPrompt}) {
    for (const Record& r : forward.split(s)) EXPECT_EQ(split_of(r.text), s) << r.text;
  }
  // 1000 texts at 90/5/5: each held-out split is far from empty and far from half
  EXPECT_GT(forward.validation.size(), 20u);
  EXPECT_LT(forward.validation.size(), 100u);
  EXPECT_GT(forward.prompt.size(), 20u);
  EXPECT_LT(forward.prompt.size(), 100u);
}

TEST(Corpus, SplitPercentagesAreHonoured) {
  CorpusOptions options;
  options.validation_percent = 30;
  options.prompt_percent = 0;
  int validation = 0;
  for (int i = 0; i < 2000; ++i) {
    const Split s = split_of("text " + std::to_string(i), options);
    EXPECT_NE(s, Split::kPrompt);
    validation += s == Split::kValidation;
  }
  EXPECT_NEAR(validation / 2000.0, 0.30, 0.04);
  options.prompt_percent = 70;
  EXPECT_THROW(options.validate(), Error) << "nothing left for train";
}

TEST(Corpus, SyntheticCorpusIsDeterministic) {
  const Corpus a = synthetic_corpus(400, 7), b = synthetic_corpus(400, 7);
  const Corpus other = synthetic_corpus(400, 8);
  EXPECT_EQ(texts(a.train), texts(b.train));
  EXPECT_EQ(texts(a.validation), texts(b.validation));
  EXPECT_EQ(texts(a.prompt), texts(b.prompt));
  EXPECT_NE(texts(a.train), texts(other.train));
  EXPECT_EQ(a.train.size() + a.validation.size() + a.prompt.size(), 400u);
  EXPECT_FALSE(a.validation.empty());
  EXPECT_FALSE(a.prompt.empty());
  EXPECT_GT(a.stats.with_attribution, 0);
  expect_disjoint(a);
}

TEST(Corpus, MissingFortuneFolderNamesPathAndPackages) {
  CorpusOptions options;
  options.fortune_dir = "/nonexistent/fortunes";
  try {
    load_fortunes(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fortunes"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("apt-get install fortunes"), std::string::npos);
  }
}

TEST(Corpus, LoadsTheInstalledFortunes) {
  if (!std::filesystem::is_directory(CorpusOptions{}.fortune_dir)) {
    GTEST_SKIP() << "fortunes not installed";
  }
  const Corpus c = load_fortunes();
  EXPECT_GT(c.stats.kept, 10000);
  EXPECT_EQ(c.stats.kept,
            static_cast<int64_t>(c.train.size() + c.validation.size() + c.prompt.size()));
  EXPECT_GT(c.validation.size(), 300u);
  EXPECT_GT(c.prompt.size(), 300u);
  for (Split s : {Split::kTrain, Split::kValidation, Split::kPrompt}) {
    for (const Record& r : c.split(s)) {
      ASSERT_FALSE(r.text.empty());
      ASSERT_LE(r.text.size(), 400u) << r.text;
      ASSERT_EQ(r.text, normalize_whitespace(r.text)) << r.text;
      ASSERT_FALSE(looks_like_art(r.text)) << r.text;
      ASSERT_NE(r.source, "translate-me");
    }
  }
  expect_disjoint(c);
}

}  // namespace
}  // namespace tandem::text
