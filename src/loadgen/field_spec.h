// What the load generator knows about the fields of an ingest request: their names and the
// rules the service checks. Fed from the workflow definition (its field rules) when one is
// given; DefaultFieldSpecs() is the built-in fallback (API.md's default rules).
//
//   std::vector<FieldSpec> fields = DefaultFieldSpecs();
//   // {"user_name", "", 1, 256}, {"email", "[A-Za-z]+...", 0, kNoMaxLen}, ...
#ifndef INGESTD_LOADGEN_FIELD_SPEC_H_
#define INGESTD_LOADGEN_FIELD_SPEC_H_

#include <string>
#include <vector>

namespace ingestd::loadgen {

struct FieldSpec {
  static constexpr int kNoMaxLen = -1;

  std::string name;     // the query parameter
  std::string pattern;  // an RE2 pattern the whole value must match; "" = no pattern check
  int min_len = 0;      // in Unicode code points
  int max_len = kNoMaxLen;
  // Whether values may contain control characters (Unicode category Cc: C0, DEL, C1). Valid
  // values are always generated without them.
  bool control_characters_allowed = false;
};
// Values are valid UTF-8. A field without a pattern is generated as readable free text.

// The name of the field whose value is the item's key (made unique per request).
inline constexpr char kDefaultUniqueField[] = "email";

// FALLBACK: the default rules of API.md, used until the workflow module can list the field
// rules of a compiled workflow. This is the only place in loadgen that spells them out.
std::vector<FieldSpec> DefaultFieldSpecs();

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_FIELD_SPEC_H_
