#include "workflow/intrinsics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "common/crypto.h"

namespace ingestd::workflow {
namespace json = boost::json;

namespace {

struct Signature {
  std::string_view name;
  int min_args;
  int max_args;  // -1: unbounded
};

constexpr Signature kFunctions[] = {
    {"States.Format", 1, -1},     {"States.StringToJson", 1, 1},   {"States.JsonToString", 1, 1},
    {"States.Array", 0, -1},      {"States.ArrayPartition", 2, 2}, {"States.ArrayContains", 2, 2},
    {"States.ArrayRange", 3, 3},  {"States.ArrayGetItem", 2, 2},   {"States.ArrayLength", 1, 1},
    {"States.ArrayUnique", 1, 1}, {"States.Base64Encode", 1, 1},   {"States.Base64Decode", 1, 1},
    {"States.Hash", 2, 2},        {"States.JsonMerge", 3, 3},      {"States.MathRandom", 2, 3},
    {"States.MathAdd", 2, 2},     {"States.StringSplit", 2, 2},    {"States.UUID", 0, 0},
};

const Signature* FindFunction(std::string_view name) {
  for (const Signature& s : kFunctions) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

bool LooksLikeIntrinsic(std::string_view text) {
  return text.substr(0, 7) == "States." && text.find('(') != std::string_view::npos;
}

class IntrinsicParser {
 public:
  explicit IntrinsicParser(std::string_view text) : text_(text) {}

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("invalid intrinsic function \"{}\" at offset {}: {}", text_, pos_, what));
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  absl::StatusOr<Intrinsic> ParseCall(int depth) {
    if (depth > 16) return Error("calls nested too deeply");
    std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '.' || Peek() == '_')) {
      ++pos_;
    }
    std::string_view name = text_.substr(start, pos_ - start);
    const Signature* sig = FindFunction(name);
    if (sig == nullptr) return Error(fmt::format("unknown function \"{}\"", name));
    Intrinsic fn;
    fn.name_ = std::string(name);
    if (Peek() != '(') return Error("expected '('");
    ++pos_;
    SkipSpaces();
    if (Peek() == ')') {
      ++pos_;
    } else {
      while (true) {
        SkipSpaces();
        absl::StatusOr<Intrinsic::Arg> arg = ParseArg(depth);
        if (!arg.ok()) return arg.status();
        fn.args_.push_back(*std::move(arg));
        SkipSpaces();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (Peek() == ')') {
          ++pos_;
          break;
        }
        return Error("expected ',' or ')'");
      }
    }
    int n = static_cast<int>(fn.args_.size());
    if (n < sig->min_args || (sig->max_args >= 0 && n > sig->max_args)) {
      return Error(fmt::format(
          "{} takes {} argument(s), got {}", sig->name,
          sig->max_args == sig->min_args
              ? std::to_string(sig->min_args)
              : (sig->max_args < 0 ? fmt::format("at least {}", sig->min_args)
                                   : fmt::format("{} to {}", sig->min_args, sig->max_args)),
          n));
    }
    return fn;
  }

  absl::StatusOr<Intrinsic::Arg> ParseArg(int depth) {
    Intrinsic::Arg arg;
    char c = Peek();
    if (c == '\'') {
      ++pos_;
      std::string value;
      std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != '\'') {
        if (text_[pos_] == '\\') {
          if (pos_ + 1 >= text_.size()) return Error("dangling '\\'");
          char e = text_[pos_ + 1];
          if (e != '\'' && e != '{' && e != '}' && e != '\\') {
            return Error(fmt::format("unknown escape '\\{}'", e));
          }
          value.push_back(e);
          pos_ += 2;
          continue;
        }
        value.push_back(text_[pos_++]);
      }
      if (pos_ >= text_.size()) return Error("unterminated string");
      arg.raw = std::string(text_.substr(start, pos_ - start));
      ++pos_;
      arg.literal = json::string(value);
      return arg;
    }
    if (c == '$') {
      std::size_t start = pos_;
      int brackets = 0;
      char quote = 0;
      while (pos_ < text_.size()) {
        char d = text_[pos_];
        if (quote != 0) {
          if (d == quote) quote = 0;
        } else if (d == '\'' || d == '"') {
          quote = d;
        } else if (d == '[') {
          ++brackets;
        } else if (d == ']') {
          --brackets;
        } else if (brackets == 0 &&
                   (d == ',' || d == ')' || std::isspace(static_cast<unsigned char>(d)))) {
          break;
        }
        ++pos_;
      }
      absl::StatusOr<JsonPath> path = JsonPath::Parse(text_.substr(start, pos_ - start));
      if (!path.ok()) return path.status();
      arg.kind = Intrinsic::Arg::Kind::kPath;
      arg.path = std::make_shared<const JsonPath>(*std::move(path));
      return arg;
    }
    if (text_.substr(pos_, 7) == "States.") {
      absl::StatusOr<Intrinsic> call = ParseCall(depth + 1);
      if (!call.ok()) return call.status();
      arg.kind = Intrinsic::Arg::Kind::kCall;
      arg.call = std::make_shared<const Intrinsic>(*std::move(call));
      return arg;
    }
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' &&
           !std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    std::string_view token = text_.substr(start, pos_ - start);
    if (token.empty()) return Error("expected an argument");
    json::error_code ec;
    json::value v = json::parse(token, ec);
    if (ec || v.is_structured() || v.is_string()) {
      return Error(fmt::format("\"{}\" is not a literal, path or call", token));
    }
    arg.literal = std::move(v);
    return arg;
  }

  std::size_t pos_ = 0;

 private:
  std::string_view text_;
};

absl::StatusOr<Intrinsic> Intrinsic::Parse(std::string_view text) {
  IntrinsicParser p(text);
  p.SkipSpaces();
  absl::StatusOr<Intrinsic> fn = p.ParseCall(0);
  if (!fn.ok()) return fn;
  p.SkipSpaces();
  if (p.pos_ != text.size()) return p.Error("unexpected text after the call");
  return fn;
}

bool Intrinsic::uses_context() const {
  for (const Arg& a : args_) {
    if (a.kind == Arg::Kind::kPath && a.path->is_context()) return true;
    if (a.kind == Arg::Kind::kCall && a.call->uses_context()) return true;
  }
  return false;
}

namespace {

bool Fail(Failure& failure, std::string cause) {
  failure.error = std::string(kErrorIntrinsicFailure);
  failure.cause = std::move(cause);
  return false;
}

std::optional<std::int64_t> AsInt(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double() && std::trunc(v.get_double()) == v.get_double() &&
      std::abs(v.get_double()) < 9.0e15) {
    return static_cast<std::int64_t>(v.get_double());
  }
  return std::nullopt;
}

std::string ToText(const json::value& v) {
  if (const json::string* s = v.if_string()) return std::string(*s);
  return json::serialize(v);
}

bool Hash(const std::string& data, std::string_view algorithm, json::value& out, Failure& failure) {
  const EVP_MD* md = nullptr;
  if (algorithm == "MD5") md = EVP_md5();
  if (algorithm == "SHA-1") md = EVP_sha1();
  if (algorithm == "SHA-256") md = EVP_sha256();
  if (algorithm == "SHA-384") md = EVP_sha384();
  if (algorithm == "SHA-512") md = EVP_sha512();
  if (md == nullptr) {
    return Fail(failure, fmt::format("States.Hash: unsupported algorithm \"{}\" (use MD5, SHA-1, "
                                     "SHA-256, SHA-384 or SHA-512)",
                                     algorithm));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) {
    return Fail(failure, "States.Hash: digest failed");
  }
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  out = json::string(hex);
  return true;
}

}  // namespace

bool Intrinsic::Evaluate(const json::value& input, const json::value* context, json::value& out,
                         Failure& failure) const {
  std::vector<json::value> v;
  v.reserve(args_.size());
  for (const Arg& a : args_) {
    switch (a.kind) {
      case Arg::Kind::kLiteral:
        v.push_back(a.literal);
        break;
      case Arg::Kind::kPath: {
        if (a.path->is_context() && context == nullptr) {
          return Fail(failure,
                      fmt::format("{}: no context object for \"{}\"", name_, a.path->text()));
        }
        std::optional<json::value> r = a.path->Select(a.path->is_context() ? *context : input);
        if (!r) {
          return Fail(failure, fmt::format("{}: the JSONPath \"{}\" could not be found in the "
                                           "input",
                                           name_, a.path->text()));
        }
        v.push_back(*std::move(r));
        break;
      }
      case Arg::Kind::kCall: {
        json::value r;
        if (!a.call->Evaluate(input, context, r, failure)) return false;
        v.push_back(std::move(r));
        break;
      }
    }
  }
  auto need_array = [&](std::size_t i) -> const json::array* {
    const json::array* arr = v[i].if_array();
    if (arr == nullptr)
      Fail(failure, fmt::format("{}: argument {} must be an array", name_, i + 1));
    return arr;
  };
  auto need_string = [&](std::size_t i) -> const json::string* {
    const json::string* s = v[i].if_string();
    if (s == nullptr) Fail(failure, fmt::format("{}: argument {} must be a string", name_, i + 1));
    return s;
  };
  auto need_int = [&](std::size_t i) -> std::optional<std::int64_t> {
    std::optional<std::int64_t> n = AsInt(v[i]);
    if (!n) Fail(failure, fmt::format("{}: argument {} must be an integer", name_, i + 1));
    return n;
  };

  if (name_ == "States.Format") {
    if (args_[0].kind != Arg::Kind::kLiteral || !v[0].is_string()) {
      const json::string* s = need_string(0);
      if (s == nullptr) return false;
    }
    // Placeholders are unescaped "{}" in the template as written.
    std::string raw =
        args_[0].kind == Arg::Kind::kLiteral ? args_[0].raw : std::string(v[0].get_string());
    std::string result;
    std::size_t next_arg = 1;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size() && args_[0].kind == Arg::Kind::kLiteral) {
        result.push_back(raw[++i]);
      } else if (c == '{' && i + 1 < raw.size() && raw[i + 1] == '}') {
        if (next_arg >= v.size()) {
          return Fail(failure, "States.Format: more placeholders than arguments");
        }
        if (v[next_arg].is_structured()) {
          return Fail(failure,
                      "States.Format: arguments must be strings, numbers, booleans or "
                      "null");
        }
        result += ToText(v[next_arg++]);
        ++i;
      } else {
        result.push_back(c);
      }
    }
    if (next_arg != v.size()) {
      return Fail(failure, "States.Format: more arguments than placeholders");
    }
    out = json::string(result);
    return true;
  }
  if (name_ == "States.StringToJson") {
    const json::string* s = need_string(0);
    if (s == nullptr) return false;
    json::error_code ec;
    out = json::parse(*s, ec);
    if (ec) return Fail(failure, fmt::format("States.StringToJson: not JSON: {}", ec.message()));
    return true;
  }
  if (name_ == "States.JsonToString") {
    out = json::string(json::serialize(v[0]));
    return true;
  }
  if (name_ == "States.Array") {
    json::array arr;
    arr.reserve(v.size());
    for (json::value& e : v) arr.push_back(std::move(e));
    out = std::move(arr);
    return true;
  }
  if (name_ == "States.ArrayPartition") {
    const json::array* arr = need_array(0);
    if (arr == nullptr) return false;
    std::optional<std::int64_t> size = need_int(1);
    if (!size) return false;
    if (*size <= 0) return Fail(failure, "States.ArrayPartition: the chunk size must be positive");
    json::array result;
    for (std::size_t i = 0; i < arr->size(); i += static_cast<std::size_t>(*size)) {
      json::array chunk;
      for (std::size_t j = i; j < arr->size() && j < i + static_cast<std::size_t>(*size); ++j) {
        chunk.push_back((*arr)[j]);
      }
      result.push_back(std::move(chunk));
    }
    out = std::move(result);
    return true;
  }
  if (name_ == "States.ArrayContains") {
    const json::array* arr = need_array(0);
    if (arr == nullptr) return false;
    out = std::find(arr->begin(), arr->end(), v[1]) != arr->end();
    return true;
  }
  if (name_ == "States.ArrayRange") {
    std::optional<std::int64_t> start = need_int(0), end = start ? need_int(1) : std::nullopt,
                                step = end ? need_int(2) : std::nullopt;
    if (!step) return false;
    if (*step == 0) return Fail(failure, "States.ArrayRange: the step must not be 0");
    json::array result;
    for (std::int64_t i = *start; *step > 0 ? i <= *end : i >= *end; i += *step) {
      if (result.size() >= 1000) {
        return Fail(failure, "States.ArrayRange: the result would exceed 1000 items");
      }
      result.push_back(i);
    }
    out = std::move(result);
    return true;
  }
  if (name_ == "States.ArrayGetItem") {
    const json::array* arr = need_array(0);
    if (arr == nullptr) return false;
    std::optional<std::int64_t> i = need_int(1);
    if (!i) return false;
    if (*i < 0 || *i >= static_cast<std::int64_t>(arr->size())) {
      return Fail(failure, fmt::format("States.ArrayGetItem: index {} is out of range (size {})",
                                       *i, arr->size()));
    }
    out = (*arr)[static_cast<std::size_t>(*i)];
    return true;
  }
  if (name_ == "States.ArrayLength") {
    const json::array* arr = need_array(0);
    if (arr == nullptr) return false;
    out = static_cast<std::int64_t>(arr->size());
    return true;
  }
  if (name_ == "States.ArrayUnique") {
    const json::array* arr = need_array(0);
    if (arr == nullptr) return false;
    json::array result;
    for (const json::value& e : *arr) {
      if (std::find(result.begin(), result.end(), e) == result.end()) result.push_back(e);
    }
    out = std::move(result);
    return true;
  }
  if (name_ == "States.Base64Encode") {
    const json::string* s = need_string(0);
    if (s == nullptr) return false;
    if (s->size() > 10000) return Fail(failure, "States.Base64Encode: input over 10000 characters");
    out = json::string(absl::Base64Escape(std::string(*s)));
    return true;
  }
  if (name_ == "States.Base64Decode") {
    const json::string* s = need_string(0);
    if (s == nullptr) return false;
    if (s->size() > 10000) return Fail(failure, "States.Base64Decode: input over 10000 characters");
    std::string decoded;
    if (!absl::Base64Unescape(std::string(*s), &decoded)) {
      return Fail(failure, "States.Base64Decode: not valid base64");
    }
    out = json::string(decoded);
    return true;
  }
  if (name_ == "States.Hash") {
    const json::string* alg = need_string(1);
    if (alg == nullptr) return false;
    std::string data = ToText(v[0]);
    if (data.size() > 10000) return Fail(failure, "States.Hash: input over 10000 characters");
    return Hash(data, std::string_view(alg->data(), alg->size()), out, failure);
  }
  if (name_ == "States.JsonMerge") {
    if (!v[0].is_object() || !v[1].is_object()) {
      return Fail(failure, "States.JsonMerge: the first two arguments must be objects");
    }
    if (!v[2].is_bool() || v[2].get_bool()) {
      return Fail(failure,
                  "States.JsonMerge: only shallow merging is supported: the third "
                  "argument must be false");
    }
    json::object merged = std::move(v[0].get_object());
    for (auto& kv : v[1].get_object()) merged[kv.key()] = std::move(kv.value());
    out = std::move(merged);
    return true;
  }
  if (name_ == "States.MathRandom") {
    std::optional<std::int64_t> start = need_int(0), end = start ? need_int(1) : std::nullopt;
    if (!end) return false;
    if (*start > *end) return Fail(failure, "States.MathRandom: start must not exceed end");
    std::uniform_int_distribution<std::int64_t> dist(*start, *end);
    if (v.size() == 3) {
      std::optional<std::int64_t> seed = need_int(2);
      if (!seed) return false;
      std::mt19937_64 seeded(static_cast<std::uint64_t>(*seed));
      out = dist(seeded);
    } else {
      out = dist(Rng());
    }
    return true;
  }
  if (name_ == "States.MathAdd") {
    std::optional<std::int64_t> a = AsInt(v[0]), b = AsInt(v[1]);
    if (a && b) {
      out = *a + *b;
      return true;
    }
    if (!v[0].is_number() || !v[1].is_number()) {
      return Fail(failure, "States.MathAdd: both arguments must be numbers");
    }
    out = v[0].to_number<double>() + v[1].to_number<double>();
    return true;
  }
  if (name_ == "States.StringSplit") {
    const json::string* s = need_string(0);
    const json::string* d = s ? need_string(1) : nullptr;
    if (d == nullptr) return false;
    json::array parts;
    std::string cur;
    for (char c : *s) {
      if (std::find(d->begin(), d->end(), c) != d->end()) {
        if (!cur.empty()) parts.emplace_back(json::string(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) parts.emplace_back(json::string(cur));
    out = std::move(parts);
    return true;
  }
  if (name_ == "States.UUID") {
    out = json::string(common::RandomUuid());
    return true;
  }
  return Fail(failure, fmt::format("unknown intrinsic function {}", name_));
}

}  // namespace ingestd::workflow
