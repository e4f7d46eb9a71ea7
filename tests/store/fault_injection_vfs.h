// A SQLite VFS that forwards to the default one and can be told to fail the next xSync or
// xWrite of database and WAL files, to test what the store does when the disk fails (after
// leveldb's db/fault_injection_test.cc).
//
//   FaultInjectionVfs vfs("fault-1");           // registered while it lives
//   SqliteStore::Open(path, options, {.vfs = vfs.name()});
//   vfs.FailNextSyncs(1);                        // the next commit's fsync fails
//
// Thread-safe: the counters are atomics; SQLite may call in from any connection's thread.
#ifndef INGESTD_TESTS_STORE_FAULT_INJECTION_VFS_H_
#define INGESTD_TESTS_STORE_FAULT_INJECTION_VFS_H_

#include <atomic>
#include <string>

#include <sqlite3.h>

namespace ingestd::store::testing {

class FaultInjectionVfs {
 public:
  explicit FaultInjectionVfs(std::string name);
  ~FaultInjectionVfs();  // unregisters; no connection may still use it
  FaultInjectionVfs(const FaultInjectionVfs&) = delete;
  FaultInjectionVfs& operator=(const FaultInjectionVfs&) = delete;

  const std::string& name() const { return name_; }

  // The next `n` xSync / xWrite calls on the main database or WAL file fail with an I/O error
  // without reaching the disk.
  void FailNextSyncs(int n) { faults_.fail_syncs.store(n); }
  void FailNextWrites(int n) { faults_.fail_writes.store(n); }

  // How many syncs/writes were failed so far.
  int failed_syncs() const { return faults_.failed_syncs.load(); }
  int failed_writes() const { return faults_.failed_writes.load(); }

  // What the VFS's files consult; public only so that the .cc's C callbacks can reach it.
  struct Faults {
    std::atomic<int> fail_syncs{0};
    std::atomic<int> fail_writes{0};
    std::atomic<int> failed_syncs{0};
    std::atomic<int> failed_writes{0};
    sqlite3_vfs* base = nullptr;
  };

 private:
  std::string name_;
  Faults faults_;
  sqlite3_vfs vfs_;
};

}  // namespace ingestd::store::testing

#endif  // INGESTD_TESTS_STORE_FAULT_INJECTION_VFS_H_
