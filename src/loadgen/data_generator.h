// The data of each load request: every field generated from the service's rules (so the load
// always passes validation), the key field unique per request (every request is a new
// insert), and optionally a share of requests that break exactly one rule.
//
//   DataOptions options;                       // random-valid, API.md's default rules
//   options.invalid_ratio = 0.1;
//   ASSIGN_OR_RETURN(DataGenerator data, DataGenerator::Create(options));
//   Rng rng(7);
//   RequestData request;
//   RETURN_IF_ERROR(data.Next(/*index=*/0, rng, &request));
//   // request.query == "user_name=Ada%20Lovelace&email=Qm...@x9.com&pincode=04711"
#ifndef INGESTD_LOADGEN_DATA_GENERATOR_H_
#define INGESTD_LOADGEN_DATA_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loadgen/field_spec.h"
#include "loadgen/regex_generator.h"
#include "loadgen/rng.h"

namespace ingestd::loadgen {

enum class DataMode {
  kRandomValid,  // fields generated from the rules (the default)
  kFixed,        // the seed's fixed query string, every request the same
};

// Parses "random-valid" | "fixed".
absl::StatusOr<DataMode> ParseDataMode(std::string_view text);

struct DataOptions {
  DataMode mode = DataMode::kRandomValid;
  std::vector<FieldSpec> fields = DefaultFieldSpecs();
  // The field made unique per request ("" for none). It must exist in `fields`.
  std::string unique_field = kDefaultUniqueField;
  // The share of requests, in [0, 1], that break exactly one rule (random-valid only).
  double invalid_ratio = 0;
  // Added to the request index before it is made unique, so that separate runs against the
  // same store do not repeat each other's keys. Pick it at random per run.
  uint64_t unique_offset = 0;
};

// What one request carries.
struct RequestData {
  std::string query;       // "name=value&..." with the values percent-encoded
  int invalid_field = -1;  // the index (in fields) of the one field that breaks its rule, or -1
};

// The rule of one field and a generator of values that keep or break it. Immutable;
// thread-safe (each thread brings its own Rng).
class FieldGenerator {
 public:
  // INVALID_ARGUMENT / UNIMPLEMENTED / FAILED_PRECONDITION from RegexGenerator::Create, or
  // when the length bounds are inconsistent.
  static absl::StatusOr<FieldGenerator> Create(FieldSpec spec);

  // The service's rule: valid UTF-8, length within [min_len, max_len] code points, no control
  // characters unless allowed, and a full RE2 match of the pattern if there is one.
  bool IsValid(std::string_view value) const;

  // A value that keeps the rule; with `unique`, distinct values for distinct *unique.
  // FAILED_PRECONDITION when the length bounds cannot be met; OUT_OF_RANGE when the pattern
  // runs out of unique values.
  absl::StatusOr<std::string> Valid(Rng& rng, const uint64_t* unique = nullptr) const;
  // A value that breaks the rule (checked with IsValid). FAILED_PRECONDITION when the rule
  // accepts everything the mutations try.
  absl::StatusOr<std::string> Invalid(Rng& rng) const;

  bool supports_unique() const { return !regex_ || regex_->supports_unique(); }
  // How many distinct unique values there are.
  uint64_t unique_capacity() const { return regex_ ? regex_->unique_capacity() : ~uint64_t{0}; }
  const FieldSpec& spec() const { return spec_; }

 private:
  FieldGenerator() = default;
  std::string FreeText(Rng& rng) const;

  FieldSpec spec_;
  std::optional<RegexGenerator> regex_;
};

// Immutable; Next is thread-safe with one Rng per thread.
class DataGenerator {
 public:
  // The fixed query of --data fixed: the seed's valid triple.
  static constexpr std::string_view kFixedQuery =
      "user_name=Rishabh&email=rishabh@example.com&pincode=560001";

  // Errors from FieldGenerator::Create; INVALID_ARGUMENT for a bad ratio, an unknown or
  // non-unique-capable unique_field, or invalid_ratio with --data fixed; FAILED_PRECONDITION
  // when the fixed data does not satisfy the given rules.
  static absl::StatusOr<DataGenerator> Create(DataOptions options);

  // Fills `out` for request number `index` (0, 1, ... over the whole run; it makes the unique
  // field unique). Errors from FieldGenerator::Valid/Invalid.
  absl::Status Next(uint64_t index, Rng& rng, RequestData* out) const;

  const DataOptions& options() const { return options_; }
  const std::vector<FieldGenerator>& fields() const { return fields_; }

 private:
  DataGenerator() = default;

  DataOptions options_;
  std::vector<FieldGenerator> fields_;
  int unique_index_ = -1;
};

// Percent-encodes `value` for a query string: everything but unreserved characters and '@'.
void AppendQueryEncoded(std::string_view value, std::string* out);

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_DATA_GENERATOR_H_
