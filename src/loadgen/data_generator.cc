#include "loadgen/data_generator.h"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <re2/re2.h>

#include "common/status_macros.h"

namespace ingestd::loadgen {
namespace {

constexpr int kMaxAttempts = 200;

// Readable names, some beyond ASCII so that the service's UTF-8 handling is exercised.
constexpr std::array<std::string_view, 24> kFirstNames = {
    "Ada",    "Alan",   "Grace",     "Linus", "Rishabh", "Priya",  "José",  "Zoë",
    "Łukasz", "Ngọc",   "Björn",     "Aiko",  "Chidi",   "Fatima", "Mateo", "Olga",
    "Kwame",  "Ingrid", "Siddharth", "Mei",   "Renée",   "Tomás",  "Yusuf", "Amara"};
constexpr std::array<std::string_view, 20> kLastNames = {
    "Lovelace", "Turing", "Hopper",    "Torvalds", "Sharma",  "García", "Müller",
    "Kowalski", "Nguyễn", "Andersson", "Tanaka",   "Okafor",  "Haddad", "Rossi",
    "Ivanova",  "Mensah", "Dubois",    "Chen",     "O'Brien", "Novák"};

// Characters that often break a rule: punctuation, space, a non-ASCII letter, controls.
constexpr std::array<std::string_view, 14> kPatternProbes = {" ", "#", "!", "@", ".", "-", "_",
                                                             "x", "0", "Z", "é", "%", "+", "\t"};
constexpr std::array<std::string_view, 5> kTextProbes = {"\x01", "\t", "\n", "\x7f", "\xC2\x85"};

struct Utf8Info {
  bool valid = true;
  bool has_control = false;  // Unicode category Cc: C0, DEL, C1
  size_t code_points = 0;
};

Utf8Info InspectUtf8(std::string_view s) {
  Utf8Info info;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t c = 0;
    size_t len = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      c = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      c = b0 & 0x1F;
      len = 2;
      min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      c = b0 & 0x0F;
      len = 3;
      min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      c = b0 & 0x07;
      len = 4;
      min = 0x10000;
    } else {
      info.valid = false;
      return info;
    }
    if (i + len > s.size()) {
      info.valid = false;
      return info;
    }
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        info.valid = false;
        return info;
      }
      c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      info.valid = false;
      return info;
    }
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) info.has_control = true;
    ++info.code_points;
    i += len;
  }
  return info;
}

// Byte offsets of each code point's start, plus the end.
std::vector<size_t> CodePointOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

std::string TruncateToCodePoints(std::string s, size_t n) {
  std::vector<size_t> offsets = CodePointOffsets(s);
  if (n + 1 < offsets.size()) s.resize(offsets[n]);
  return s;
}

}  // namespace

absl::StatusOr<DataMode> ParseDataMode(std::string_view text) {
  if (text == "random-valid") return DataMode::kRandomValid;
  if (text == "fixed") return DataMode::kFixed;
  return absl::InvalidArgumentError(
      fmt::format("unknown data mode \"{}\": expected random-valid or fixed", text));
}

void AppendQueryEncoded(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '@') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    }
  }
}

absl::StatusOr<FieldGenerator> FieldGenerator::Create(FieldSpec spec) {
  if (spec.name.empty()) return absl::InvalidArgumentError("a field needs a name");
  if (spec.min_len < 0 ||
      (spec.max_len != FieldSpec::kNoMaxLen && (spec.max_len < spec.min_len || spec.max_len < 1))) {
    return absl::InvalidArgumentError(fmt::format("field \"{}\": bad length bounds [{}, {}]",
                                                  spec.name, spec.min_len, spec.max_len));
  }
  FieldGenerator gen;
  if (!spec.pattern.empty()) {
    absl::StatusOr<RegexGenerator> regex = RegexGenerator::Create(spec.pattern);
    if (!regex.ok()) {
      return absl::Status(
          regex.status().code(),
          fmt::format("field \"{}\": {}", spec.name, std::string(regex.status().message())));
    }
    gen.regex_ = *std::move(regex);
  }
  gen.spec_ = std::move(spec);
  // Fail now, not in the middle of a run, when the bounds and the pattern do not meet.
  Rng rng(1);
  RETURN_IF_ERROR(gen.Valid(rng).status());
  return gen;
}

bool FieldGenerator::IsValid(std::string_view value) const {
  const Utf8Info info = InspectUtf8(value);
  if (!info.valid) return false;
  if (info.code_points < static_cast<size_t>(spec_.min_len)) return false;
  if (spec_.max_len != FieldSpec::kNoMaxLen &&
      info.code_points > static_cast<size_t>(spec_.max_len)) {
    return false;
  }
  if (info.has_control && !spec_.control_characters_allowed) return false;
  return !regex_ || RE2::FullMatch(re2::StringPiece(value.data(), value.size()), regex_->re2());
}

std::string FieldGenerator::FreeText(Rng& rng) const {
  std::string text(kFirstNames[rng.Uniform(kFirstNames.size())]);
  text += ' ';
  text += kLastNames[rng.Uniform(kLastNames.size())];
  while (InspectUtf8(text).code_points < static_cast<size_t>(spec_.min_len)) {
    text += ' ';
    text += kLastNames[rng.Uniform(kLastNames.size())];
  }
  // A string has at least as many bytes as code points: most names need no truncation.
  if (spec_.max_len != FieldSpec::kNoMaxLen && text.size() > static_cast<size_t>(spec_.max_len)) {
    text = TruncateToCodePoints(std::move(text), static_cast<size_t>(spec_.max_len));
  }
  return text;
}

absl::StatusOr<std::string> FieldGenerator::Valid(Rng& rng, const uint64_t* unique) const {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::string value;
    if (regex_) {
      ASSIGN_OR_RETURN(value,
                       unique ? regex_->GenerateUnique(*unique, rng) : regex_->Generate(rng));
    } else {
      value = FreeText(rng);
      if (unique != nullptr) {
        // The counter goes first so that truncation to max_len cannot cut it off.
        std::string tagged = fmt::format("{:x} {}", *unique, value);
        if (spec_.max_len != FieldSpec::kNoMaxLen) {
          tagged = TruncateToCodePoints(std::move(tagged), static_cast<size_t>(spec_.max_len));
        }
        value = std::move(tagged);
      }
    }
    if (spec_.min_len == 0 && spec_.max_len == FieldSpec::kNoMaxLen) return value;
    const size_t n = InspectUtf8(value).code_points;
    if (n >= static_cast<size_t>(spec_.min_len) &&
        (spec_.max_len == FieldSpec::kNoMaxLen || n <= static_cast<size_t>(spec_.max_len))) {
      return value;
    }
  }
  return absl::FailedPreconditionError(fmt::format(
      "field \"{}\": cannot generate a value of {} to {} code points that matches \"{}\"",
      spec_.name, spec_.min_len, spec_.max_len, spec_.pattern));
}

absl::StatusOr<std::string> FieldGenerator::Invalid(Rng& rng) const {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::string value, Valid(rng));
    std::vector<size_t> at = CodePointOffsets(value);
    const size_t cps = at.size() - 1;
    const std::string_view probe = regex_ ? kPatternProbes[rng.Uniform(kPatternProbes.size())]
                                          : kTextProbes[rng.Uniform(kTextProbes.size())];
    switch (rng.Uniform(6)) {
      case 0:
        value.clear();
        break;
      case 1: {  // replace one code point
        if (cps == 0) break;
        const size_t i = rng.Uniform(cps);
        value.replace(at[i], at[i + 1] - at[i], probe);
        break;
      }
      case 2: {  // insert one
        const size_t i = rng.Uniform(cps + 1);
        value.insert(at[i], probe);
        break;
      }
      case 3: {  // delete one
        if (cps == 0) break;
        const size_t i = rng.Uniform(cps);
        value.erase(at[i], at[i + 1] - at[i]);
        break;
      }
      case 4:  // too long
        if (spec_.max_len == FieldSpec::kNoMaxLen) break;
        while (InspectUtf8(value).code_points <= static_cast<size_t>(spec_.max_len)) {
          value += value.empty() ? std::string("x") : value;
        }
        break;
      default:  // too short
        if (spec_.min_len <= 1) break;
        value = TruncateToCodePoints(std::move(value), static_cast<size_t>(spec_.min_len - 1));
        break;
    }
    if (!IsValid(value)) return value;
  }
  return absl::FailedPreconditionError(fmt::format(
      "field \"{}\": cannot generate a value that breaks its rule (the rule accepts every "
      "mutation tried)",
      spec_.name));
}

absl::StatusOr<DataGenerator> DataGenerator::Create(DataOptions options) {
  if (!(options.invalid_ratio >= 0 && options.invalid_ratio <= 1)) {
    return absl::InvalidArgumentError(
        fmt::format("the invalid ratio must be within [0, 1], not {}", options.invalid_ratio));
  }
  if (options.mode == DataMode::kFixed && options.invalid_ratio > 0) {
    return absl::InvalidArgumentError("--invalid-ratio needs --data random-valid");
  }
  if (options.fields.empty()) return absl::InvalidArgumentError("no fields to generate");
  DataGenerator gen;
  for (size_t i = 0; i < options.fields.size(); ++i) {
    ASSIGN_OR_RETURN(FieldGenerator field, FieldGenerator::Create(options.fields[i]));
    if (field.spec().name == options.unique_field) {
      if (!field.supports_unique()) {
        return absl::InvalidArgumentError(fmt::format(
            "field \"{}\" must be unique per request, but its pattern \"{}\" has no free part at "
            "a fixed position to carry a counter",
            field.spec().name, field.spec().pattern));
      }
      gen.unique_index_ = static_cast<int>(i);
    }
    gen.fields_.push_back(std::move(field));
  }
  if (!options.unique_field.empty() && gen.unique_index_ < 0 &&
      options.mode == DataMode::kRandomValid) {
    return absl::InvalidArgumentError(
        fmt::format("the unique field \"{}\" is not among the fields", options.unique_field));
  }
  if (options.invalid_ratio > 0) {
    Rng rng(2);
    for (const FieldGenerator& field : gen.fields_) RETURN_IF_ERROR(field.Invalid(rng).status());
  }
  if (options.mode == DataMode::kFixed) {
    // The fixed triple must pass the rules it is sent against.
    const std::array<std::pair<std::string_view, std::string_view>, 3> kFixed = {
        {{"user_name", "Rishabh"}, {"email", "rishabh@example.com"}, {"pincode", "560001"}}};
    for (const FieldGenerator& field : gen.fields_) {
      bool found = false;
      for (const auto& [name, value] : kFixed) {
        if (name != field.spec().name) continue;
        found = true;
        if (!field.IsValid(value)) {
          return absl::FailedPreconditionError(fmt::format(
              "the fixed data's {}=\"{}\" breaks the workflow's rule; use --data random-valid",
              name, value));
        }
      }
      if (!found) {
        return absl::FailedPreconditionError(
            fmt::format("the fixed data has no field \"{}\" that the workflow requires; use --data "
                        "random-valid",
                        field.spec().name));
      }
    }
  }
  gen.options_ = std::move(options);
  return gen;
}

absl::Status DataGenerator::Next(uint64_t index, Rng& rng, RequestData* out) const {
  out->query.clear();
  out->invalid_field = -1;
  if (options_.mode == DataMode::kFixed) {
    out->query.assign(kFixedQuery);
    return absl::OkStatus();
  }
  if (options_.invalid_ratio > 0 && rng.Bernoulli(options_.invalid_ratio)) {
    out->invalid_field = static_cast<int>(rng.Uniform(fields_.size()));
  }
  for (size_t i = 0; i < fields_.size(); ++i) {
    const FieldGenerator& field = fields_[i];
    std::string value;
    if (static_cast<int>(i) == out->invalid_field) {
      ASSIGN_OR_RETURN(value, field.Invalid(rng));
    } else if (static_cast<int>(i) == unique_index_) {
      const uint64_t capacity = field.unique_capacity();
      if (index >= capacity) {
        return absl::OutOfRangeError(fmt::format("field \"{}\" has only {} distinct values to give",
                                                 field.spec().name, capacity));
      }
      // index < capacity, so distinct indexes stay distinct after the offset wraps around.
      const uint64_t offset = options_.unique_offset % capacity;
      const uint64_t unique =
          index < capacity - offset ? offset + index : index - (capacity - offset);
      ASSIGN_OR_RETURN(value, field.Valid(rng, &unique));
    } else {
      ASSIGN_OR_RETURN(value, field.Valid(rng));
    }
    if (i > 0) out->query.push_back('&');
    out->query += field.spec().name;
    out->query.push_back('=');
    AppendQueryEncoded(value, &out->query);
  }
  return absl::OkStatus();
}

}  // namespace ingestd::loadgen
