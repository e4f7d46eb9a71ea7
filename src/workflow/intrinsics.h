// ASL intrinsic functions (States.Format, States.Array, States.Hash, ...), compiled once.
//
//   absl::StatusOr<Intrinsic> fn = Intrinsic::Parse("States.Format('Hi {}', $.name)");
//   boost::json::value out;
//   Failure failure;
//   if (!fn->Evaluate(input, /*context=*/nullptr, out, failure)) { /* States.IntrinsicFailure */ }
//
// Arguments are string literals in single quotes (escapes \' \{ \} \\), numbers, true, false,
// null, JSONPaths ($ or $$) and nested calls. Parse checks the function name and the number
// of arguments; types are checked when evaluated (failure: States.IntrinsicFailure).
//
// Thread-safety: immutable after Parse. States.MathRandom and States.UUID use a
// thread-local generator.
#ifndef INGESTD_WORKFLOW_INTRINSICS_H_
#define INGESTD_WORKFLOW_INTRINSICS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "workflow/errors.h"
#include "workflow/json_path.h"

namespace ingestd::workflow {

class Intrinsic {
 public:
  // INVALID_ARGUMENT naming the position and the problem when `text` is not a valid call.
  static absl::StatusOr<Intrinsic> Parse(std::string_view text);

  // Evaluates against the state's input and (for $$ paths) the context object, which may be
  // null when the state uses none. On failure sets `failure` and returns false.
  bool Evaluate(const boost::json::value& input, const boost::json::value* context,
                boost::json::value& out, Failure& failure) const;

  // True when any argument (recursively) is a $$ path.
  bool uses_context() const;

  struct Arg;

 private:
  std::string name_;
  std::vector<Arg> args_;
  friend class IntrinsicParser;
  friend struct Arg;
};

struct Intrinsic::Arg {
  enum class Kind { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  boost::json::value literal;
  std::string raw;  // a string literal's text as written (for States.Format's placeholders)
  std::shared_ptr<const JsonPath> path;
  std::shared_ptr<const Intrinsic> call;
};

// True when `text` looks like an intrinsic call ("States.Name(").
bool LooksLikeIntrinsic(std::string_view text);

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_INTRINSICS_H_
