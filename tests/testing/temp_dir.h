// A fresh directory under $TMPDIR for one test, removed with everything in it on destruction.
//
//   ingestd::testing::TempDir dir;
//   OpenStore("sqlite:", {.data_dir = dir.path()});
#ifndef INGESTD_TESTS_TESTING_TEMP_DIR_H_
#define INGESTD_TESTS_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace ingestd::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr ? base : "/tmp") + "/ingestd-test-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ingestd::testing

#endif  // INGESTD_TESTS_TESTING_TEMP_DIR_H_
