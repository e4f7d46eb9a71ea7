// Evaluation of compiled Choice rules (all operators, And/Or/Not, the ...Path variants).
#ifndef INGESTD_WORKFLOW_INTERNAL_CHOICE_H_
#define INGESTD_WORKFLOW_INTERNAL_CHOICE_H_

#include <string_view>

#include <boost/json/value.hpp>

#include "workflow/errors.h"
#include "workflow/internal/model.h"

namespace ingestd::workflow::internal {

// Whether `rule` matches `input`. Sets `failure` (States.Runtime) and returns false when a
// Variable or operand path does not exist (IsPresent excepted). `context` may be null.
bool EvaluateRule(const ChoiceRule& rule, const boost::json::value& input,
                  const boost::json::value* context, bool& matched, Failure& failure);

// ASL StringMatches: `*` matches any run of characters; `\*` and `\\` are literal.
bool GlobMatches(std::string_view pattern, std::string_view text);

}  // namespace ingestd::workflow::internal

#endif  // INGESTD_WORKFLOW_INTERNAL_CHOICE_H_
