#include "agents/archive_file.h"

#include <torch/serialize/output-archive.h>

#include "envs/config.h"
#include "envs/error.h"

namespace tandem::agents {

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::string bytes;
  try {
    archive.save_to([&bytes](const void* data, size_t n) -> size_t {
      bytes.append(static_cast<const char*>(data), n);
      return n;
    });
  } catch (const c10::Error& e) {
    throw Error(path + ": cannot serialize: " + e.what_without_backtrace());
  }
  write_file_atomic(path, bytes);
}

}  // namespace tandem::agents
