// Blocking wrappers over the asynchronous Store API, for tests.
//
//   ASSERT_OK_AND_ASSIGN(PutResult r, PutAndWait(*store, MakeItem("a@b.c")));
//   ASSERT_OK_AND_ASSIGN(ExecutionRecord e, PutExecutionAndWait(*store, MakeExecution("arn:1"),
//   0));
#ifndef INGESTD_TESTS_STORE_STORE_TEST_UTIL_H_
#define INGESTD_TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "store/internal/sync.h"
#include "store/store.h"

namespace ingestd::store::testing {

template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  internal::Notification done;
  std::optional<absl::StatusOr<T>> result;
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return *std::move(result);
}

inline absl::StatusOr<PutResult> PutAndWait(Store& store, Item item) {
  return Await<PutResult>([&](auto cb) { store.Put(std::move(item), std::move(cb)); });
}

inline absl::StatusOr<std::optional<Item>> GetAndWait(Store& store, std::string id) {
  return Await<std::optional<Item>>([&](auto cb) { store.Get(std::move(id), std::move(cb)); });
}

inline absl::StatusOr<Page> ScanAndWait(Store& store, ScanRequest request) {
  return Await<Page>([&](auto cb) { store.Scan(std::move(request), std::move(cb)); });
}

inline absl::StatusOr<ExecutionRecord> PutExecutionAndWait(Store& store, ExecutionRecord record,
                                                           std::int64_t expected_version) {
  return Await<ExecutionRecord>(
      [&](auto cb) { store.PutExecution(std::move(record), expected_version, std::move(cb)); });
}

inline absl::StatusOr<std::optional<ExecutionRecord>> GetExecutionAndWait(Store& store,
                                                                          std::string arn) {
  return Await<std::optional<ExecutionRecord>>(
      [&](auto cb) { store.GetExecution(std::move(arn), std::move(cb)); });
}

inline absl::StatusOr<ExecutionPage> ScanExecutionsAndWait(Store& store,
                                                           ExecutionScanRequest request) {
  return Await<ExecutionPage>(
      [&](auto cb) { store.ScanExecutions(std::move(request), std::move(cb)); });
}

inline ExecutionRecord MakeExecution(std::string arn, std::string status = "WAITING",
                                     std::string body = R"({"state":"Approve"})") {
  ExecutionRecord record;
  record.arn = std::move(arn);
  record.status = std::move(status);
  record.body = std::move(body);
  return record;
}

inline Item MakeItem(std::string id, std::string user_name = "Jane Doe",
                     std::string pincode = "560001") {
  Item item;
  item.email = id;
  item.id = std::move(id);
  item.user_name = std::move(user_name);
  item.pincode = std::move(pincode);
  return item;
}

}  // namespace ingestd::store::testing

#endif  // INGESTD_TESTS_STORE_STORE_TEST_UTIL_H_
