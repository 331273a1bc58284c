// A LibTorch archive written to a file the way every other finished result is: serialized in
// memory first, then through write_file_atomic (temporary file, fsync, rename). LibTorch's own
// file writer throws from a destructor when the disk fills mid-write, which aborts the process;
// this way a full disk is a tandem::Error that names the file and says "disk full", and the
// previous file under `path` is left intact.
#pragma once

#include <string>

namespace torch::serialize {
class OutputArchive;
}

namespace tandem::agents {

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace tandem::agents
