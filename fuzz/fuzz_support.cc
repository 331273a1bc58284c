#include "fuzz/fuzz_support.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>

#include "envs/error.h"

namespace tandem::fuzz {
namespace fs = std::filesystem;

const std::string& temp_folder() {
  static const std::string folder = [] {
    std::string pattern = (fs::temp_directory_path() / "tandem_fuzz_XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  return folder;
}

std::string write_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = temp_folder() + "/" + name;
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

std::string write_file(const std::string& name, const std::string& content) {
  return write_file(name, reinterpret_cast<const uint8_t*>(content.data()), content.size());
}

void expect_clean(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error&) {
    // a clean refusal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: an exception other than tandem::Error escaped: %s\n", e.what());
    std::abort();
  }
}

void initialize(const std::function<void(const std::string& dir)>& write_seeds) {
  torch::set_num_threads(1);
  const char* dir = std::getenv("TANDEM_FUZZ_SEEDS");
  if (!dir) return;
  fs::create_directories(dir);
  write_seeds(dir);
  std::exit(0);
}

void write_seed(const std::string& dir, const std::string& name, const std::string& content) {
  std::ofstream(fs::path(dir) / name, std::ios::binary) << content;
}

}  // namespace tandem::fuzz
