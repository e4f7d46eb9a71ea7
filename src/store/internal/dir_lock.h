// An exclusive, advisory flock() on a lock file, held while the object lives. The holder's pid
// is written into the file so that the refusal can name it.
//
//   ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire("ingestd-data/LOCK", "ingestd-data"));
//
// flock() locks belong to the open file description, so a second Acquire of the same file
// fails even within one process.
//
// Thread-compatible.
#ifndef INGESTD_STORE_INTERNAL_DIR_LOCK_H_
#define INGESTD_STORE_INTERNAL_DIR_LOCK_H_

#include <string>

#include "absl/status/statusor.h"

namespace ingestd::store::internal {

class DirLock {
 public:
  // Locks `lock_path` (created with mode 0600 if missing). FAILED_PRECONDITION "data directory
  // <what> is in use by another ingestd (pid N)" when someone holds it; PERMISSION_DENIED or
  // UNAVAILABLE when the file cannot be opened.
  static absl::StatusOr<DirLock> Acquire(const std::string& lock_path, const std::string& what);

  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

  // Unlocks now (the file stays). Idempotent.
  void Release();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ingestd::store::internal

#endif  // INGESTD_STORE_INTERNAL_DIR_LOCK_H_
