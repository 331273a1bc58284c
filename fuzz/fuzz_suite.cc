// A suite file (`tandem run SUITE.json`): read (comments allowed) and validated whole, tasks,
// algorithms, grids, protocol and claims.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "suites/suite.h"

namespace {

void write_seeds(const std::string& dir) {
  // the shipped suites, when run from the source tree
  for (const auto& entry : std::filesystem::directory_iterator("suites")) {
    if (entry.path().extension() != ".json") continue;
    std::stringstream content;
    content << std::ifstream(entry.path()).rdbuf();
    tandem::fuzz::write_seed(dir, entry.path().filename().string(), content.str());
  }
}

}  // namespace

TANDEM_FUZZ_INITIALIZE(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = tandem::fuzz::write_file("suite.json", data, size);
  tandem::fuzz::expect_clean([&] { tandem::suites::load_suite(path); });
  return 0;
}
