// SentencePiece tokenizer: exact byte round trips, special ids, and a cache that trains once.
#include "envs/text/tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "envs/error.h"
#include "envs/text/corpus.h"
#include "envs/text/hash.h"

namespace tandem::text {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("tandem_text_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Skips where SentencePiece cannot be loaded (AddressSanitizer builds: see tokenizer.h).
#define TANDEM_REQUIRE_SENTENCEPIECE()                       \
  do {                                                       \
    std::string why;                                         \
    if (!sentencepiece_available(&why)) GTEST_SKIP() << why; \
  } while (0)

// Small enough to train in well under a second; 259 special and byte pieces + ~45 characters.
constexpr int64_t kSmallVocab = 400;

class TokenizerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!sentencepiece_available()) return;
    dir_ = new TempDir("tokenizer_suite");
    corpus_ = new Corpus(synthetic_corpus());
    TokenizerOptions options;
    options.vocab_size = kSmallVocab;
    options.cache_dir = dir_->str();
    tokenizer_ = new Tokenizer(Tokenizer::train_or_load(texts(corpus_->train), options));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete corpus_;
    delete dir_;
  }

  void SetUp() override { TANDEM_REQUIRE_SENTENCEPIECE(); }

  void expect_round_trip(const std::string& s) {
    const std::vector<int> ids = tokenizer_->encode(s);
    for (int id : ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, tokenizer_->vocab_size());
      ASSERT_NE(id, tokenizer_->eot_id()) << "encode never produces end-of-text";
      ASSERT_NE(id, tokenizer_->pad_id());
      ASSERT_NE(id, tokenizer_->unk_id()) << "byte fallback covers every input";
    }
    EXPECT_EQ(tokenizer_->decode(ids), s);
  }

  static TempDir* dir_;
  static Corpus* corpus_;
  static Tokenizer* tokenizer_;
};

TempDir* TokenizerTest::dir_ = nullptr;
Corpus* TokenizerTest::corpus_ = nullptr;
Tokenizer* TokenizerTest::tokenizer_ = nullptr;

TEST_F(TokenizerTest, SpecialIdsAreDistinctAndDecodeToNothing) {
  const Tokenizer& t = *tokenizer_;
  EXPECT_EQ(t.vocab_size(), kSmallVocab);
  EXPECT_EQ(t.unk_id(), 0);
  EXPECT_EQ(t.eot_id(), 1);
  EXPECT_EQ(t.pad_id(), 2);
  EXPECT_EQ(t.piece(t.eot_id()), "</s>");
  EXPECT_EQ(t.decode({t.eot_id(), t.pad_id()}), "");
  const std::vector<int> hello = t.encode("hello");
  std::vector<int> with_eot = hello;
  with_eot.push_back(t.eot_id());
  with_eot.push_back(t.pad_id());
  EXPECT_EQ(t.decode(with_eot), "hello");
  EXPECT_THROW(t.decode({t.vocab_size()}), Error);
  EXPECT_THROW(t.decode({-1}), Error);
}

TEST_F(TokenizerTest, RoundTripsNormalText) {
  for (const Record& r : corpus_->validation) expect_round_trip(r.text);
  for (const std::string& s :
       {std::string(""), std::string(" "), std::string("  leading and trailing  "),
        std::string("Hello, World!  Two spaces,\ttab,\nnewline, \r\n CRLF."),
        std::string("caf\xC3\xA9 na\xC3\xAFve \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x8E\x89 emoji"),
        std::string("digits 1234567890 and 3.14159"), std::string("sort: 5 2 9 1 = 1 2 5 9")}) {
    expect_round_trip(s);
  }
}

TEST_F(TokenizerTest, RoundTripsArbitraryBytes) {
  // what SentencePiece alone would change: malformed UTF-8, NUL, its own space mark U+2581
  for (const std::string& s :
       {std::string("a\xFF\xFE b"), std::string("\xC3"), std::string("x\xC3("),
        std::string("\xE2\x82"), std::string("\xED\xA0\x80 surrogate"),
        std::string("\xC0\xAF overlong"), std::string("\xF4\x90\x80\x80 too big"),
        std::string("x\xE2\x96\x81y \xE2\x96\x81\xE2\x96\x81"), std::string("nul\0inside", 10),
        std::string("\0", 1), std::string("\x80\x80\x80")}) {
    expect_round_trip(s);
  }
  SplitMix64 rng(2024);
  for (int i = 0; i < 300; ++i) {
    std::string s(rng.below(64), '\0');
    for (char& c : s) c = static_cast<char>(1 + rng.below(255));  // NUL-free binary
    expect_round_trip(s);
  }
  for (int i = 0; i < 100; ++i) {
    std::string s(rng.below(32), '\0');
    for (char& c : s) c = static_cast<char>(rng.below(256));  // NULs too
    expect_round_trip(s);
  }
}

TEST_F(TokenizerTest, ConcatenationDecodesToConcatenation) {
  const Tokenizer& t = *tokenizer_;
  std::vector<int> ids = t.encode("The happy cat");
  const std::vector<int> rest = t.encode(" loves the garden.");
  ids.insert(ids.end(), rest.begin(), rest.end());
  EXPECT_EQ(t.decode(ids), "The happy cat loves the garden.");
}

TEST_F(TokenizerTest, CompressesTheTextItWasTrainedOn) {
  int64_t bytes = 0, tokens = 0;
  for (const Record& r : corpus_->validation) {
    bytes += static_cast<int64_t>(r.text.size());
    tokens += static_cast<int64_t>(tokenizer_->encode(r.text).size());
  }
  EXPECT_GT(static_cast<double>(bytes) / static_cast<double>(tokens), 2.0);
}

TEST_F(TokenizerTest, TokenBytesConcatenateToDecode) {
  const Tokenizer& t = *tokenizer_;
  const std::vector<int> ids = t.encode("The lovely river watches you.");
  std::string joined;
  for (int id : ids) joined += t.token_bytes(id);
  EXPECT_EQ(joined, t.decode(ids));
  EXPECT_EQ(t.token_bytes(t.encode("\xFF")[0]), "\xFF");
}

TEST(Tokenizer, CachedModelIsReusedNotRetrained) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  TempDir dir("tokenizer_cache");
  const std::vector<std::string> sentences = texts(synthetic_corpus(200, 3).train);
  TokenizerOptions options;
  options.vocab_size = kSmallVocab;
  options.cache_dir = dir.str();

  const int64_t before = tokenizer_trainings();
  const Tokenizer first = Tokenizer::train_or_load(sentences, options);
  EXPECT_TRUE(first.trained());
  EXPECT_EQ(tokenizer_trainings(), before + 1);
  EXPECT_EQ(first.model_path(), tokenizer_cache_path(sentences, options));
  ASSERT_TRUE(fs::exists(first.model_path()));
  const auto written = fs::last_write_time(first.model_path());

  const Tokenizer second = Tokenizer::train_or_load(sentences, options);
  EXPECT_FALSE(second.trained());
  EXPECT_EQ(tokenizer_trainings(), before + 1) << "the second construction must not train";
  EXPECT_EQ(fs::last_write_time(second.model_path()), written);
  EXPECT_EQ(second.encode("The lazy dog hates Monday."),
            first.encode("The lazy dog hates Monday."));

  // anything in the key changes the file: vocab size, model type, the sentences
  TokenizerOptions bigger = options;
  bigger.vocab_size = kSmallVocab + 1;
  EXPECT_NE(tokenizer_cache_path(sentences, bigger), first.model_path());
  TokenizerOptions unigram = options;
  unigram.model_type = "unigram";
  EXPECT_NE(tokenizer_cache_path(sentences, unigram), first.model_path());
  std::vector<std::string> fewer(sentences.begin(), sentences.end() - 1);
  EXPECT_NE(tokenizer_cache_path(fewer, options), first.model_path());
  std::vector<std::string> joined = {"ab", "c"}, split = {"a", "bc"};
  EXPECT_NE(tokenizer_cache_path(joined, options), tokenizer_cache_path(split, options));

  // no temporary file is left behind
  for (const auto& entry : fs::directory_iterator(fs::path(first.model_path()).parent_path())) {
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST(Tokenizer, TrainingIsDeterministic) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  TempDir a("tokenizer_det_a"), b("tokenizer_det_b");
  const std::vector<std::string> sentences = texts(synthetic_corpus(200, 5).train);
  TokenizerOptions options;
  options.vocab_size = kSmallVocab;
  options.cache_dir = a.str();
  const Tokenizer first = Tokenizer::train_or_load(sentences, options);
  options.cache_dir = b.str();
  const Tokenizer second = Tokenizer::train_or_load(sentences, options);
  ASSERT_TRUE(first.trained() && second.trained());
  EXPECT_EQ(read_bytes(first.model_path()), read_bytes(second.model_path()));
}

TEST(Tokenizer, ConcurrentConstructionsTrainOnce) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  TempDir dir("tokenizer_lock");
  const std::vector<std::string> sentences = texts(synthetic_corpus(200, 9).train);
  TokenizerOptions options;
  options.vocab_size = kSmallVocab;
  options.cache_dir = dir.str();
  const int64_t before = tokenizer_trainings();
  std::vector<std::thread> threads;
  std::vector<int> trained(3, 0);
  std::vector<std::string> errors(3);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      try {
        trained[i] = Tokenizer::train_or_load(sentences, options).trained() ? 1 : 0;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(tokenizer_trainings(), before + 1) << "flock lets one construction train";
  EXPECT_EQ(trained[0] + trained[1] + trained[2], 1);
}

TEST_F(TokenizerTest, EncodesFromManyThreads) {
  std::vector<std::string> inputs = texts(corpus_->train);
  std::vector<std::vector<int>> expected;
  for (const std::string& s : inputs) expected.push_back(tokenizer_->encode(s));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < inputs.size(); i += 4) {
        if (tokenizer_->encode(inputs[i]) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(Tokenizer, UnigramModelsWorkToo) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  TempDir dir("tokenizer_unigram");
  TokenizerOptions options;
  options.vocab_size = 360;  // a unigram vocab must fit what the small corpus can fill
  options.model_type = "unigram";
  options.cache_dir = dir.str();
  const Corpus corpus = synthetic_corpus(400, 13);
  const Tokenizer t = Tokenizer::train_or_load(texts(corpus.train), options);
  EXPECT_EQ(t.vocab_size(), 360);
  for (const Record& r : corpus.validation) EXPECT_EQ(t.decode(t.encode(r.text)), r.text);
  const std::string odd = std::string("a\xFF\xE2\x96\x81") + "b";
  EXPECT_EQ(t.decode(t.encode(odd)), odd);
}

TEST(Tokenizer, LoadsFromAModelFile) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  TempDir dir("tokenizer_file");
  TokenizerOptions options;
  options.vocab_size = kSmallVocab;
  options.cache_dir = dir.str();
  const std::vector<std::string> sentences = texts(synthetic_corpus(200, 11).train);
  const Tokenizer trained = Tokenizer::train_or_load(sentences, options);
  const Tokenizer loaded = Tokenizer::from_file(trained.model_path());
  EXPECT_FALSE(loaded.trained());
  EXPECT_EQ(loaded.vocab_size(), trained.vocab_size());
  EXPECT_EQ(loaded.encode("Why is the cat so sad at dawn?"),
            trained.encode("Why is the cat so sad at dawn?"));
}

TEST(Tokenizer, ErrorsNameTheProblem) {
  TANDEM_REQUIRE_SENTENCEPIECE();
  try {
    Tokenizer::from_file("/nonexistent/model.model");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.model"), std::string::npos);
  }
  TempDir dir("tokenizer_errors");
  TokenizerOptions options;
  options.cache_dir = dir.str();
  options.vocab_size = 10;
  EXPECT_THROW(Tokenizer::train_or_load({"some text"}, options), Error) << "below 260";
  options.vocab_size = 300;
  EXPECT_THROW(Tokenizer::train_or_load({}, options), Error) << "no sentences";
  options.model_type = "wordpiece";
  EXPECT_THROW(Tokenizer::train_or_load({"some text"}, options), Error);
  // more distinct characters than the vocabulary has room for
  options.model_type = "bpe";
  options.vocab_size = 262;
  try {
    Tokenizer::train_or_load({"abcdefghijklmnopqrstuvwxyz"}, options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size 262"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, CacheDirComesFromTheEnvironment) {
  const char* saved = std::getenv("TANDEM_CACHE_DIR");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("TANDEM_CACHE_DIR", "/tmp/somewhere", 1);
  EXPECT_EQ(default_cache_dir(), "/tmp/somewhere");
  EXPECT_EQ(tokenizer_cache_path({"x"}).rfind("/tmp/somewhere/tokenizers/spm-bpe-2048-", 0), 0u);
  ::unsetenv("TANDEM_CACHE_DIR");
  EXPECT_EQ(default_cache_dir(), TANDEM_SOURCE_CACHE_DIR "/tandem");
  if (saved != nullptr) ::setenv("TANDEM_CACHE_DIR", restore.c_str(), 1);
}

}  // namespace
}  // namespace tandem::text
