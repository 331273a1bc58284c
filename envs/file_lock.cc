#include "envs/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "envs/error.h"

namespace tandem {

FileLock::FileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(path + ": cannot create the lock file (is the cache folder writable? set "
                       "TANDEM_CACHE_DIR to move it)");
  if (::flock(fd_, LOCK_EX) != 0) {
    ::close(fd_);
    throw Error(path + ": flock failed (a file system without locks? set TANDEM_CACHE_DIR)");
  }
}

FileLock::~FileLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace tandem
