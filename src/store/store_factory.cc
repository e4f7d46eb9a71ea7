// OpenStore: picks the backend a store URI names.
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace ingestd::store {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& uri,
                                                 const StoreOptions& options) {
  static constexpr std::string_view kSqlite = "sqlite:";
  static constexpr std::string_view kMemory = "memory:";
  if (uri.starts_with(kSqlite)) {
    // "sqlite:" = the file in data_dir; "sqlite:/path/file.db" (or a relative path) = that file.
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                     SqliteStore::Open(uri.substr(kSqlite.size()), options));
    return std::unique_ptr<Store>(std::move(store));
  }
  if (uri == kMemory) return std::unique_ptr<Store>(std::make_unique<MemoryStore>(options));
  // "dynamodb://" joins here once that backend exists.
  return absl::InvalidArgumentError(
      absl::StrCat("unknown store URI \"", uri, "\"; expected sqlite: or memory:"));
}

}  // namespace ingestd::store
