// JSONPath as Amazon States Language uses it: compiled once, evaluated many times.
//
//   absl::StatusOr<JsonPath> path = JsonPath::Parse("$.order.items[0].price");
//   const boost::json::value* v = path->Find(document);       // definite paths: no copy
//   std::optional<boost::json::value> all = JsonPath::Parse("$..price")->Select(document);
//   JsonPath::Parse("$.result.detail")->Assign(document, value);  // ResultPath semantics
//
// Supported syntax: `$` (input) and `$$` (context object) roots; `.name`, `['name']`,
// `["name"]`, `[n]` (negative counts from the end), `[*]`/`.*`, unions `[a,b]`/`['a','b']`,
// slices `[start:end:step]`, recursive descent `..name`/`..*`, and filters
// `[?(@.field)]`, `[?(@.field OP literal)]` with OP one of == != < <= > >=.
// A path is *definite* when it names at most one value (names and indices only); its result
// is that value. An indefinite path's result is an array of every match (AWS semantics).
// A *reference path* (ResultPath, ItemsPath) is a definite path rooted at `$`.
//
// Thread-safety: a JsonPath is immutable after Parse; concurrent use is safe.
#ifndef INGESTD_WORKFLOW_JSON_PATH_H_
#define INGESTD_WORKFLOW_JSON_PATH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ingestd::workflow {

class JsonPath {
 public:
  // Parses `text`. INVALID_ARGUMENT with the offending position when it is not a path.
  static absl::StatusOr<JsonPath> Parse(std::string_view text);

  // The path's source text.
  const std::string& text() const { return text_; }
  // True when rooted at `$$` (the context object).
  bool is_context() const { return context_; }
  // True when the path names at most one value (no wildcard, slice, union, filter, `..`).
  bool is_definite() const { return definite_; }
  // True for `$` / `$$` alone.
  bool is_root() const { return steps_.empty(); }

  // Definite paths only: the value at the path, or nullptr when it does not exist.
  const boost::json::value* Find(const boost::json::value& root) const;

  // Any path: a definite path's value (copied), nullopt when missing; an indefinite path's
  // matches as an array (possibly empty, never nullopt).
  std::optional<boost::json::value> Select(const boost::json::value& root) const;

  // Reference paths only: stores `v` at the path inside `root`, creating missing object
  // members on the way (`$` replaces `root`). FAILED_PRECONDITION when the path crosses a
  // value that is not an object (or an index out of range): States.ResultPathMatchFailure.
  absl::Status Assign(boost::json::value& root, boost::json::value v) const;

  struct Filter;
  struct Step {
    enum class Kind { kName, kIndex, kWildcard, kSlice, kNames, kIndices, kFilter };
    Kind kind = Kind::kName;
    bool recursive = false;  // reached through `..`
    std::string name;
    std::int64_t index = 0;
    std::optional<std::int64_t> slice_start, slice_end;
    std::int64_t slice_step = 1;
    std::vector<std::string> names;
    std::vector<std::int64_t> indices;
    std::vector<Step> filter_path;  // relative to @
    enum class FilterOp { kExists, kEq, kNe, kLt, kLe, kGt, kGe };
    FilterOp filter_op = FilterOp::kExists;
    boost::json::value filter_literal;
  };

 private:
  std::string text_;
  bool context_ = false;
  bool definite_ = true;
  std::vector<Step> steps_;
};

// True when `text` is syntactically a JSONPath (starts with `$`), as opposed to an intrinsic
// function call.
bool LooksLikePath(std::string_view text);

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_JSON_PATH_H_
