#include "store/internal/dir_lock.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ingestd::store::internal {
namespace {

absl::Status OpenError(const std::string& path, int err) {
  std::string message = absl::StrCat("cannot open lock file ", path, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM || err == EROFS) {
    return absl::PermissionDeniedError(
        absl::StrCat(message, "; check the data directory's owner and permissions"));
  }
  return absl::UnavailableError(message);
}

std::string ReadHolder(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "unknown";
  std::string pid(absl::StripAsciiWhitespace(std::string(buf, static_cast<std::size_t>(n))));
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

absl::StatusOr<DirLock> DirLock::Acquire(const std::string& lock_path, const std::string& what) {
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return OpenError(lock_path, errno);
  DirLock lock(fd);
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", what, " is in use by another ingestd (pid ",
                       ReadHolder(fd), "); stop it first or choose another --data directory"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(errno)));
  }
  // Best effort: the pid only makes the refusal message more helpful.
  std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirLock::~DirLock() { Release(); }

void DirLock::Release() {
  if (fd_ < 0) return;
  // Closing the last descriptor of the open file description drops the flock.
  close(fd_);
  fd_ = -1;
}

}  // namespace ingestd::store::internal
