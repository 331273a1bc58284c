// What `tandem report` reads from a suite folder: each run's config.json, metrics.jsonl and
// `done`. A folder of two runs (the quickstart reference's InvertedPendulum ppo and apa, seed 1)
// where one file of the apa run is the input (the first byte picks which), reported whole
// without figures.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "fuzz/fuzz_support.h"
#include "suites/report.h"

namespace {
namespace fs = std::filesystem;

const char* const kTemplate = "results/reference/quickstart/InvertedPendulum-v5";
const char* const kFiles[] = {"metrics.jsonl", "config.json", "done"};

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_run_folder: run from the source tree (%s missing)\n", path.c_str());
    std::abort();
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Run {
  std::string files[3];
};

const Run& template_run(const std::string& algorithm) {
  static std::map<std::string, Run> runs;
  Run& r = runs[algorithm];
  if (r.files[0].empty())
    for (int i = 0; i < 3; ++i)
      r.files[i] = read(fs::path(kTemplate) / algorithm / "seed-1" / kFiles[i]);
  return r;
}

void write_seeds(const std::string& dir) {
  const Run& apa = template_run("apa");
  for (int i = 0; i < 3; ++i)
    tandem::fuzz::write_seed(dir, kFiles[i], std::string(1, static_cast<char>(i)) + apa.files[i]);
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string suite = tandem::fuzz::temp_folder() + "/suite";
  fs::remove_all(suite);
  for (const std::string algorithm : {"ppo", "apa"}) {
    const Run& r = template_run(algorithm);
    for (int i = 0; i < 3; ++i) {
      const std::string name = "suite/task/" + algorithm + "/seed-1/" + kFiles[i];
      if (algorithm == "apa" && i == data[0] % 3)
        tandem::fuzz::write_file(name, data + 1, size - 1);
      else
        tandem::fuzz::write_file(name, r.files[i]);
    }
  }
  tandem::suites::ReportOptions options;
  options.figures = false;
  tandem::fuzz::expect_clean([&] { tandem::suites::write_report(suite, options); });
  return 0;
}
