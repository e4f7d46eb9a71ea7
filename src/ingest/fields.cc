#include "ingest/fields.h"

#include <array>
#include <string>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "common/status_macros.h"

namespace ingestd::ingest {
namespace {

std::optional<std::size_t> FieldIndex(std::string_view key) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == key) return i;
  }
  return std::nullopt;
}

absl::Status Set(Fields& fields, std::size_t index, std::string value) {
  std::optional<std::string>& slot = fields[index];
  if (slot.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("field \"{}\" is given more than once", kFieldNames[index]));
  }
  slot = std::move(value);
  fields.any_present = true;
  return absl::OkStatus();
}

absl::Status AddParams(const boost::urls::params_encoded_view& params, Fields& fields) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (const auto& param : params) {
    // Decoding allocates; only do it for the keys we care about.
    const std::string key = param.key.decode(opts);
    if (auto index = FieldIndex(key)) {
      RETURN_IF_ERROR(Set(fields, *index, param.has_value ? param.value.decode(opts) : ""));
    }
  }
  return absl::OkStatus();
}

// A streaming (SAX) reader of the JSON body: it sees every top-level key, so a key given twice
// is caught (a DOM parser would silently keep one), and it builds no document.
// Member names and signatures are Boost.JSON's handler concept.
// NOLINTBEGIN(readability-identifier-naming,readability-convert-member-functions-to-static)
class FieldsJsonHandler {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  explicit FieldsJsonHandler(Fields& fields) : fields_(fields) {}

  const absl::Status& status() const { return status_; }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code& ec) { return Open(ec, false); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return Close(); }
  bool on_object_begin(boost::system::error_code& ec) { return Open(ec, true); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return Close(); }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (Capturing()) value_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (!Capturing()) return true;
    value_.append(s.data(), s.size());
    const absl::Status set = Set(fields_, *field_, std::move(value_));
    value_.clear();
    field_.reset();
    return Check(set, ec);
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ == 1) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (depth_ != 1) return true;
    key_.append(s.data(), s.size());
    field_ = FieldIndex(key_);
    key_.clear();
    if (field_ && seen_[*field_]++ > 0) {
      return Check(absl::InvalidArgumentError(
                       fmt::format("field \"{}\" is given more than once", kFieldNames[*field_])),
                   ec);
    }
    if (field_) fields_.any_present = true;
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code& ec) {
    return NotString(ec);
  }
  bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code& ec) {
    return NotString(ec);
  }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code& ec) {
    return NotString(ec);
  }
  bool on_double(double, boost::json::string_view, boost::system::error_code& ec) {
    return NotString(ec);
  }
  bool on_bool(bool, boost::system::error_code& ec) { return NotString(ec); }
  bool on_null(boost::system::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (depth_ == 1) field_.reset();  // null is the same as absent
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  bool Capturing() const { return depth_ == 1 && field_.has_value(); }

  bool Open(boost::system::error_code& ec, bool object) {
    if (depth_ == 0 && !object) return NotAnObject(ec);
    if (depth_ == 1 && field_) return NotString(ec);
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  bool NotString(boost::system::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (depth_ != 1 || !field_) return true;
    return Check(absl::InvalidArgumentError(
                     fmt::format("field \"{}\" must be a JSON string", kFieldNames[*field_])),
                 ec);
  }
  bool NotAnObject(boost::system::error_code& ec) {
    status_ = absl::InvalidArgumentError("the JSON body must be an object");
    ec = boost::json::error::syntax;
    return false;
  }
  bool Check(absl::Status s, boost::system::error_code& ec) {
    if (s.ok()) return true;
    status_ = std::move(s);
    ec = boost::json::error::syntax;
    return false;
  }

  Fields& fields_;
  absl::Status status_;
  int depth_ = 0;
  std::string key_;
  std::string value_;
  std::optional<std::size_t> field_;  // the field whose value comes next (depth 1)
  std::array<int, kFieldNames.size()> seen_ = {};
};
// NOLINTEND(readability-identifier-naming,readability-convert-member-functions-to-static)

absl::Status AddJson(std::string_view text, Fields& fields) {
  boost::json::basic_parser<FieldsJsonHandler> parser(boost::json::parse_options{}, fields);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!parser.handler().status().ok()) return parser.handler().status();
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("the JSON body does not parse: {}", ec.message()));
  }
  // write_some stops after the first complete value; anything but whitespace after it is a
  // second document, not part of this one.
  if (text.substr(used).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("the JSON body has extra data after the object");
  }
  return absl::OkStatus();
}

// "application/json; charset=utf-8" -> "application/json"
std::string MediaType(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  std::string media(content_type.substr(0, semicolon));
  absl::StripAsciiWhitespace(&media);
  absl::AsciiStrToLower(&media);
  return media;
}

}  // namespace

std::optional<std::string>& Fields::operator[](std::size_t i) {
  switch (i) {
    case 0:
      return user_name;
    case 1:
      return email;
    default:
      return pincode;
  }
}

absl::StatusOr<boost::urls::url_view> ParseTarget(std::string_view target, std::string_view what) {
  auto url = boost::urls::parse_origin_form(boost::core::string_view(target.data(), target.size()));
  if (!url) {
    return absl::InvalidArgumentError(fmt::format("malformed {}: {}", what, url.error().message()));
  }
  return *url;
}

absl::StatusOr<Fields> ExtractFields(const RequestParts& parts) {
  Fields fields;
  ASSIGN_OR_RETURN(const boost::urls::url_view target, ParseTarget(parts.target, "query string"));
  RETURN_IF_ERROR(AddParams(target.encoded_params(), fields));
  if (parts.body.empty()) return fields;
  const std::string media = MediaType(parts.content_type);
  if (media == "application/json" ||
      (media.starts_with("application/") && media.ends_with("+json"))) {
    RETURN_IF_ERROR(AddJson(parts.body, fields));
  } else if (media == "application/x-www-form-urlencoded") {
    std::string form = "/?";
    form += parts.body;
    ASSIGN_OR_RETURN(const boost::urls::url_view parsed, ParseTarget(form, "form body"));
    RETURN_IF_ERROR(AddParams(parsed.encoded_params(), fields));
  } else {
    return absl::UnimplementedError(
        fmt::format("unsupported Content-Type \"{}\"; send application/json or "
                    "application/x-www-form-urlencoded, or put the fields in the query string",
                    parts.content_type));
  }
  return fields;
}

}  // namespace ingestd::ingest
