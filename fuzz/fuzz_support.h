// What every fuzz target shares: the input written to a file in this process's own temp folder
// (tandem's parsers read files), the rule for what counts as a clean refusal, and the seed
// writer that `scripts/fuzz.sh` calls before fuzzing (TANDEM_FUZZ_SEEDS=DIR: the target writes
// the valid inputs it knows how to make into DIR and exits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace tandem::fuzz {

// This process's temp folder (made once, under TMPDIR).
const std::string& temp_folder();

// Writes bytes to temp_folder()/name and returns the path.
std::string write_file(const std::string& name, const uint8_t* data, size_t size);
std::string write_file(const std::string& name, const std::string& content);

// Runs `parse`: a tandem::Error is a clean refusal (what users see, naming the file); any other
// exception escaping a parser is a finding, reported and turned into an abort so libFuzzer keeps
// the input (a crash or a sanitizer report is one on its own).
void expect_clean(const std::function<void()>& parse);

// Called from LLVMFuzzerInitialize: one torch thread (the fuzzer's process is one worker), and
// when TANDEM_FUZZ_SEEDS is set, write_seeds(dir) then exit 0.
void initialize(const std::function<void(const std::string& dir)>& write_seeds);

// Writes `content` as DIR/name (for seed writers).
void write_seed(const std::string& dir, const std::string& name, const std::string& content);

}  // namespace tandem::fuzz

// libFuzzer's start-up hook: initialize(write_seeds).
#define TANDEM_FUZZ_INITIALIZE(write_seeds)            \
  extern "C" int LLVMFuzzerInitialize(int*, char***) { \
    tandem::fuzz::initialize(write_seeds);             \
    return 0;                                          \
  }
