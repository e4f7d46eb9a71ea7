// Extracting the ingest fields (user_name, email, pincode) from a request: the query string,
// or a JSON object / urlencoded form body. Pure functions, no I/O.
//
//   ASSIGN_OR_RETURN(Fields f, ExtractFields({.target = "/?user_name=A&email=a%40b.com"}));
//   // f.email == "a@b.com", f.pincode == std::nullopt, f.any_present == true
#ifndef INGESTD_INGEST_FIELDS_H_
#define INGESTD_INGEST_FIELDS_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <boost/url/url_view.hpp>

#include "absl/status/statusor.h"

namespace ingestd::ingest {

// The three fields of an item, in API order.
inline constexpr std::array<std::string_view, 3> kFieldNames = {"user_name", "email", "pincode"};

struct Fields {
  std::optional<std::string> user_name;
  std::optional<std::string> email;
  std::optional<std::string> pincode;
  bool any_present = false;  // at least one of the three was given (even empty)

  std::optional<std::string>& operator[](std::size_t i);
};

struct RequestParts {
  std::string_view target;        // the request target, "/?query"
  std::string_view content_type;  // the header's value, parameters included
  std::string_view body;
};

// Parses a request target ("/path?query") or, with a leading "/?", a urlencoded form. Errors:
// INVALID_ARGUMENT naming `what` ("query string", "form body").
//
// (Boost.URL 1.81's parse_query() reads past the end of a view that is not NUL-terminated;
// parsing the whole origin-form target does not.)
absl::StatusOr<boost::urls::url_view> ParseTarget(std::string_view target, std::string_view what);

// Percent-decoded fields from the query string and, when a body is present, from it:
// `application/json` (an object; the three keys must be strings or null) or
// `application/x-www-form-urlencoded` ('+' is a space). Unknown parameters and keys are
// ignored. Errors (all INVALID_ARGUMENT unless said): a field given twice, in one source or
// across query and body; a malformed query/form/JSON; a JSON body that is not an object; a
// field that is not a string; UNIMPLEMENTED for a body of another media type (maps to 415 by
// the caller).
absl::StatusOr<Fields> ExtractFields(const RequestParts& parts);

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_FIELDS_H_
