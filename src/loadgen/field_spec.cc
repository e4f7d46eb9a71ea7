#include "loadgen/field_spec.h"

namespace ingestd::loadgen {

std::vector<FieldSpec> DefaultFieldSpecs() {
  // As workflows/ingest.asl.json states them (a test keeps the two in step); the patterns of
  // email and pincode exclude control characters by themselves.
  return {
      {.name = "user_name",
       .pattern = "",
       .min_len = 1,
       .max_len = 256,
       .control_characters_allowed = false},
      {.name = "email",
       .pattern = "[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\\.com",
       .min_len = 0,
       .max_len = FieldSpec::kNoMaxLen,
       .control_characters_allowed = true},
      {.name = "pincode",
       .pattern = "[0-9]{4,6}",
       .min_len = 0,
       .max_len = FieldSpec::kNoMaxLen,
       .control_characters_allowed = true},
  };
}

}  // namespace ingestd::loadgen
