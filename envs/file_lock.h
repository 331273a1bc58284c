// An exclusive flock() on a lock file, held for the object's lifetime: what keeps two
// processes (suite workers) from building the same cached artefact at once.
#pragma once

#include <string>

namespace tandem {

class FileLock {
 public:
  // Blocks until the lock is held. Throws tandem::Error naming the path when the lock file
  // cannot be created or locked.
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace tandem
