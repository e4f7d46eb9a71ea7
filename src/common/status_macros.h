// Early-return helpers for absl::Status and absl::StatusOr<T>, shaped like abseil's
// status_macros (newer than the abseil that Debian ships).
//
//   absl::StatusOr<Config> Load(std::string_view path) {
//     ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     RETURN_IF_ERROR(CheckSyntax(text));
//     return Parse(text);
//   }
#ifndef INGESTD_COMMON_STATUS_MACROS_H_
#define INGESTD_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INGESTD_STATUS_CONCAT_INNER(a, b) a##b
#define INGESTD_STATUS_CONCAT(a, b) INGESTD_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                           \
  do {                                                                  \
    if (absl::Status ingestd_status_ = (expr); !ingestd_status_.ok()) { \
      return ingestd_status_;                                           \
    }                                                                   \
  } while (false)

// Evaluates `rexpr` (a StatusOr); returns its status when not OK, else moves the value into
// `lhs`, which may be a declaration ("auto x") or an existing variable.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  INGESTD_ASSIGN_OR_RETURN_IMPL(INGESTD_STATUS_CONCAT(ingestd_statusor_, __LINE__), lhs, rexpr)

// `lhs` may be a declaration, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define INGESTD_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) {                                     \
    return std::move(statusor).status();                    \
  }                                                         \
  lhs = *std::move(statusor)
// NOLINTEND(bugprone-macro-parentheses)

#endif  // INGESTD_COMMON_STATUS_MACROS_H_
