#include "loadgen/field_spec.h"

namespace ingestd::loadgen {

std::vector<FieldSpec> DefaultFieldSpecs() {
  return {
      {.name = "user_name", .pattern = "", .min_len = 1, .max_len = 256},
      {.name = "email",
       .pattern = "[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\\.com",
       .min_len = 0,
       .max_len = FieldSpec::kNoMaxLen},
      {.name = "pincode", .pattern = "[0-9]{4,6}", .min_len = 0, .max_len = FieldSpec::kNoMaxLen},
  };
}

}  // namespace ingestd::loadgen
