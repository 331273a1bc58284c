// What the suite tests share: a fresh temporary folder of their own and reading a file whole.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tandem::testing {

// An empty folder under the temp dir, named after the test file and the case; the process id
// keeps two test runs on one machine (two ctest jobs, two checkouts) apart.
inline std::filesystem::path fresh_test_dir(const std::string& file, const std::string& name) {
  const std::filesystem::path d =
      std::filesystem::temp_directory_path() /
      ("tandem_" + file + "_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace tandem::testing
