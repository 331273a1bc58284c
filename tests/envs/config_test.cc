// ConfigReader's messages (source, field, valid fields, ranges), --set overrides, JSON files and
// atomic writes.
#include "envs/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "envs/error.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr char kWhere[] = "suites/quick.json: algorithm 'ppo'";

// The message of the tandem::Error that fn throws; fails the test if it throws none.
template <class Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a tandem::Error";
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ConfigReader, ReturnsDefaultsForMissingFieldsAndValuesForPresentOnes) {
  ConfigReader r(
      {{"lr", 0.5}, {"epochs", 7}, {"anneal", true}, {"mode", "b"}, {"clip", {0.1, 0.2}}}, kWhere);
  EXPECT_EQ(r.number("lr", 0.1, 0, 1), 0.5);
  EXPECT_EQ(r.number("missing", 0.25, 0, 1), 0.25);
  EXPECT_EQ(r.integer("epochs", 1, 1, 100), 7);
  EXPECT_TRUE(r.flag("anneal", false));
  EXPECT_EQ(r.text("mode", "a", {"a", "b"}), "b");
  EXPECT_EQ(r.range("clip", {0, 1}), (std::vector<double>{0.1, 0.2}));
  EXPECT_NO_THROW(r.finish());
}

TEST(ConfigReader, UnknownFieldNamesSourceFieldAndValidFields) {
  ConfigReader r({{"lr", 0.5}, {"epocs", 3}}, kWhere);
  r.number("lr", 0.1, 0, 1);
  r.integer("epochs", 10, 1, 100);
  const std::string message = error_of([&] { r.finish(); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "'epocs'")) << message;
  EXPECT_TRUE(contains(message, "valid fields")) << message;
  EXPECT_TRUE(contains(message, "epochs")) << message;
  EXPECT_TRUE(contains(message, "lr")) << message;
}

TEST(ConfigReader, OutOfRangeNumbersNameFieldValueAndRange) {
  ConfigReader r({{"lr", 2.0}, {"epochs", 0}, {"gamma", -0.5}}, kWhere);
  std::string message = error_of([&] { r.number("lr", 0.1, 0, 1); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "'lr'")) << message;
  EXPECT_TRUE(contains(message, "= 2")) << message;
  EXPECT_TRUE(contains(message, "[0, 1]")) << message;

  message = error_of([&] { r.integer("epochs", 10, 1, 1000); });
  EXPECT_TRUE(contains(message, "'epochs'")) << message;
  EXPECT_TRUE(contains(message, "[1, 1000]")) << message;

  message = error_of([&] { r.number("gamma", 0.99, 0, 1); });
  EXPECT_TRUE(contains(message, "'gamma'")) << message;
  EXPECT_TRUE(contains(message, "-0.5")) << message;
}

TEST(ConfigReader, WrongTypesAndBadValuesAreErrorsNamingTheField) {
  ConfigReader r({{"lr", "fast"},
                  {"epochs", 2.5},
                  {"anneal", 1},
                  {"mode", "c"},
                  {"clip", {0.3, 0.1}},
                  {"sizes", "64"}},
                 kWhere);
  EXPECT_TRUE(contains(error_of([&] { r.number("lr", 0.1, 0, 1); }), "'lr' must be a number"));
  EXPECT_TRUE(
      contains(error_of([&] { r.integer("epochs", 1, 1, 9); }), "'epochs' must be an integer"));
  EXPECT_TRUE(contains(error_of([&] { r.flag("anneal", false); }), "'anneal' must be true or"));
  const std::string mode = error_of([&] { r.text("mode", "a", {"a", "b"}); });
  EXPECT_TRUE(contains(mode, "'mode'")) << mode;
  EXPECT_TRUE(contains(mode, "a, b")) << mode;
  EXPECT_TRUE(contains(error_of([&] { r.range("clip", {0, 1}); }), "low <= high"));
  EXPECT_TRUE(contains(error_of([&] { r.numbers("sizes", {}); }), "'sizes' must be an array"));
}

TEST(ConfigReader, NonObjectInputIsAnErrorAndNullMeansEmpty) {
  const std::string message = error_of([] { ConfigReader(json::array({1, 2}), kWhere); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "expected a JSON object")) << message;
  ConfigReader empty(json(nullptr), kWhere);
  EXPECT_EQ(empty.integer("n", 3, 0, 10), 3);
  EXPECT_NO_THROW(empty.finish());
}

// A config struct bound once through visit(), as the algorithms' configs are.
struct ToyConfig {
  double learning_rate = 3e-4;
  int64_t epochs = 10;
  bool anneal_lr = true;
  std::string whiten = "batch";
  template <class V>
  void visit(V& v) {
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("epochs", epochs, int64_t{1}, int64_t{1000}, "passes over each rollout");
    v.field("anneal_lr", anneal_lr, "decay the step size linearly to 0");
    v.field("whiten", whiten, {"batch", "none"}, "advantage whitening");
  }
};

TEST(ConfigVisitors, LoadSaveAndDocumentOneFieldList) {
  ToyConfig c = config_from_json<ToyConfig>({{"epochs", 4}, {"whiten", "none"}}, kWhere);
  EXPECT_EQ(c.epochs, 4);
  EXPECT_EQ(c.whiten, "none");
  EXPECT_EQ(c.learning_rate, 3e-4);
  const json saved = config_to_json(c);
  EXPECT_EQ(
      saved,
      json({{"learning_rate", 3e-4}, {"epochs", 4}, {"anneal_lr", true}, {"whiten", "none"}}));
  EXPECT_EQ(config_from_json<ToyConfig>(saved, kWhere).epochs, 4);
  const auto doc = config_doc(c);
  ASSERT_EQ(doc.size(), 4u);
  EXPECT_EQ(doc[1].key, "epochs");
  EXPECT_EQ(doc[1].doc, "passes over each rollout");

  const std::string message = error_of([] {
    config_from_json<ToyConfig>({{"learning_rte", 0.1}}, kWhere);
  });
  EXPECT_TRUE(contains(message, "'learning_rte'")) << message;
  EXPECT_TRUE(contains(message, "learning_rate")) << message;
  EXPECT_TRUE(contains(error_of([] {
                         config_from_json<ToyConfig>({{"epochs", 0}}, kWhere);
                       }),
                       "[1, 1000]"));
}

TEST(ApplyOverride, BytesThatAreNotUtf8AreRefusedInWords) {
  // found by fuzz/fuzz_run_config: such a value used to escape as the JSON library's
  // "[json.exception.type_error.316] invalid UTF-8 byte" when a message or config.json showed it
  json target = json::object();
  try {
    apply_override(target,
                   "learning_rate=1-\x81"
                   "4");
    FAIL() << "accepted bytes that are not UTF-8";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--set 'learning_rate=1-"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
  // and a config field of the wrong type holding such bytes is named, not thrown past
  ConfigReader r(json::object({{"x", json::array({std::string("\x81")})}}), "test");
  EXPECT_THROW(r.number("x", 1, 0, 2), Error);
}

TEST(ApplyOverride, BuildsNestedJsonAndParsesValues) {
  json target = json::object();
  apply_override(target, "a.b=3");
  ASSERT_TRUE(target["a"].is_object());
  EXPECT_TRUE(target["a"]["b"].is_number_integer());
  EXPECT_EQ(target["a"]["b"], 3);

  apply_override(target, "a.c=true");
  EXPECT_EQ(target["a"]["b"], 3) << "a sibling must survive";
  EXPECT_EQ(target["a"]["c"], true);

  apply_override(target, "x=abc");
  EXPECT_TRUE(target["x"].is_string());
  EXPECT_EQ(target["x"], "abc");

  apply_override(target, "lr=1e-4");
  EXPECT_DOUBLE_EQ(target["lr"].get<double>(), 1e-4);

  apply_override(target, "sizes=[64,64]");
  EXPECT_EQ(target["sizes"], json::array({64, 64}));

  apply_override(target, "a.b.d=1");  // a leaf replaced by an object on the way down
  EXPECT_EQ(target["a"]["b"]["d"], 1);
}

TEST(ApplyOverride, MalformedAssignmentsAreErrors) {
  json target = json::object();
  const std::string message = error_of([&] { apply_override(target, "learning_rate"); });
  EXPECT_TRUE(contains(message, "'learning_rate'")) << message;
  EXPECT_TRUE(contains(message, "KEY=VALUE")) << message;
  EXPECT_TRUE(contains(error_of([&] { apply_override(target, "=3"); }), "KEY=VALUE"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(target, "a..b=3"); }), "empty key"));
}

// Files go into a fresh temporary folder, removed afterwards.
class ConfigFiles : public testing::Test {
 protected:
  void SetUp() override {
    const std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("tandem_config_test_" + std::to_string(::getpid()) + "_" + name);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    return names;
  }

  static std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(ConfigFiles, WriteFileAtomicLeavesOnlyTheFinalFile) {
  const fs::path path = dir_ / "metrics.jsonl";
  write_file_atomic(path.string(), "first\n");
  EXPECT_EQ(slurp(path), "first\n");
  write_file_atomic(path.string(), "second, replacing the first\n");
  EXPECT_EQ(slurp(path), "second, replacing the first\n");
  EXPECT_EQ(files(), std::vector<std::string>{"metrics.jsonl"}) << "no temporary file is left";
}

TEST_F(ConfigFiles, WriteFileAtomicIntoAMissingFolderFailsAndLeavesNothing) {
  const fs::path path = dir_ / "no_such_folder" / "out.json";
  const std::string message = error_of([&] { write_file_atomic(path.string(), "{}"); });
  EXPECT_TRUE(contains(message, "no_such_folder")) << message;
  EXPECT_TRUE(files().empty());
}

TEST_F(ConfigFiles, ReadJsonFileNamesTheFileOnErrors) {
  const fs::path good = dir_ / "good.json";
  std::ofstream(good) << "{\"a\": 1, // comments are allowed\n \"b\": [2]}";
  EXPECT_EQ(read_json_file(good.string()), json({{"a", 1}, {"b", {2}}}));

  const fs::path bad = dir_ / "bad.json";
  std::ofstream(bad) << "{\"a\": 1,,}";
  std::string message = error_of([&] { read_json_file(bad.string()); });
  EXPECT_TRUE(contains(message, bad.string())) << message;
  EXPECT_TRUE(contains(message, "invalid JSON")) << message;

  const fs::path missing = dir_ / "missing.json";
  message = error_of([&] { read_json_file(missing.string()); });
  EXPECT_TRUE(contains(message, missing.string())) << message;
  EXPECT_TRUE(contains(message, "cannot open")) << message;
}

// A document nested 200 000 levels deep overflowed the stack inside the JSON library (the process
// died); it is refused with the file's name before parsing. Brackets in strings and comments do
// not count, and the deepest document allowed still parses.
TEST_F(ConfigFiles, ANumberTooLargeForADoubleIsAnErrorNamingTheFile) {
  // found by fuzz/fuzz_run_config: the JSON library throws out_of_range for it even when asked
  // not to throw, so it escaped past every parse_error handler
  const fs::path big = dir_ / "big.json";
  std::ofstream(big) << R"({"algorithm": {"learning_rate": 1111111111111111111111E111111}})";
  const std::string message = error_of([&] { read_json_file(big.string()); });
  EXPECT_TRUE(contains(message, big.string() + ": invalid JSON")) << message;
  EXPECT_TRUE(parse_json_or_discarded("1E999999").is_discarded());
  json target = json::object();
  apply_override(target, "learning_rate=1E999999");  // not a number: kept as the text given
  EXPECT_EQ(target["learning_rate"], "1E999999");
}

TEST_F(ConfigFiles, DeeplyNestedJsonIsRefusedBeforeParsing) {
  const fs::path deep = dir_ / "deep.json";
  std::ofstream(deep) << std::string(200000, '[') << std::string(200000, ']');
  std::string message = error_of([&] { read_json_file(deep.string()); });
  EXPECT_TRUE(contains(message, deep.string())) << message;
  EXPECT_TRUE(contains(message, "nested deeper than 512 levels")) << message;

  const fs::path deepest = dir_ / "deepest.json";
  std::ofstream(deepest) << "// [[[[ a comment\n{\"a\": \"" << std::string(1000, '[') << "\\\"{\", "
                         << "\"b\": " << std::string(kMaxJsonDepth - 1, '[') << "/* {{{ */"
                         << std::string(kMaxJsonDepth - 1, ']') << "}";
  const json j = read_json_file(deepest.string());
  EXPECT_EQ(j["a"].get<std::string>(), std::string(1000, '[') + "\"{");

  json target;
  message = error_of(
      [&] { apply_override(target, "a=" + std::string(100000, '[') + std::string(100000, ']')); });
  EXPECT_TRUE(contains(message, "--set 'a'")) << message;
  EXPECT_TRUE(contains(message, "nested deeper")) << message;
}

// resolved() is what a run's config.json records: every field read, the default where none was
// given; an infinite number is written "inf", which range() reads back.
TEST(ConfigReader, ResolvedHoldsEveryFieldReadWithItsDefault) {
  const double inf = std::numeric_limits<double>::infinity();
  ConfigReader r(json{{"given", 2.5}, {"low", json::array({"-inf", 1})}}, "test");
  EXPECT_EQ(r.number("given", 1.0, 0, 10), 2.5);
  EXPECT_EQ(r.integer("steps", 7, 1, 100), 7);
  EXPECT_EQ(r.flag("on", true), true);
  EXPECT_EQ(r.text("mode", "fast", {"fast", "slow"}), "fast");
  EXPECT_EQ(r.range("band", {0.7, inf}), (std::vector<double>{0.7, inf}));
  EXPECT_EQ(r.range("low", {0, 1}), (std::vector<double>{-inf, 1}));
  r.finish();
  const json expected = {{"given", 2.5},
                         {"steps", 7},
                         {"on", true},
                         {"mode", "fast"},
                         {"band", json::array({0.7, "inf"})},
                         {"low", json::array({"-inf", 1.0})}};
  EXPECT_EQ(r.resolved(), expected) << r.resolved().dump();

  ConfigReader again(r.resolved(), "again");
  EXPECT_EQ(again.range("band", {0, 1}), (std::vector<double>{0.7, inf}));
  const std::string message = error_of([] {
    ConfigReader bad(json{{"band", json::array({"huge", 1})}}, "test");
    bad.range("band", {0, 1});
  });
  EXPECT_TRUE(contains(message, "field 'band'")) << message;
  EXPECT_TRUE(contains(message, "\"inf\"")) << message;
}

// Two test runs on one machine wrote into the same fixed-name folders under /tmp; every test
// process has a folder of its own as its temporary directory (tests/test_main.cc).
TEST(TestProcess, HasATemporaryFolderOfItsOwn) {
  const char* parent = std::getenv("TANDEM_TEST_PARENT_TMP");
  ASSERT_NE(parent, nullptr) << "the test main sets up a private TMPDIR";
  const fs::path temp = fs::temp_directory_path();
  EXPECT_EQ(fs::path(parent) / temp.filename(), temp);
  EXPECT_EQ(temp.filename().string().rfind("tandem_tests_", 0), 0u) << temp;
  EXPECT_TRUE(fs::is_directory(temp));
  EXPECT_NE(fs::canonical(temp), fs::canonical(parent));
}

}  // namespace
}  // namespace tandem
