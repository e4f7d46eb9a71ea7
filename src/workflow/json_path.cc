#include "workflow/json_path.h"

#include <cctype>
#include <charconv>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ingestd::workflow {
namespace json = boost::json;
namespace {

using Step = JsonPath::Step;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("invalid JSONPath \"{}\" at offset {}: {}", text_, pos_, what));
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool Consume(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }
  void SkipSpaces() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }

  // Steps until the end of input, or (inside a filter) until `stop` is seen.
  absl::Status ParseSteps(std::vector<Step>& steps, bool in_filter) {
    while (!AtEnd()) {
      if (in_filter && (Peek() == ')' || Peek() == ' ' || Peek() == '=' || Peek() == '!' ||
                        Peek() == '<' || Peek() == '>')) {
        return absl::OkStatus();
      }
      Step step;
      if (Consume('.')) {
        if (Consume('.')) step.recursive = true;
        if (Peek() == '[') {
          if (!step.recursive) return Error("'[' after '.'");
          ++pos_;
          if (absl::Status s = ParseBracket(step); !s.ok()) return s;
        } else if (Consume('*')) {
          step.kind = Step::Kind::kWildcard;
        } else {
          std::size_t start = pos_;
          while (!AtEnd() && Peek() != '.' && Peek() != '[' &&
                 !(in_filter && (Peek() == ')' || Peek() == ' ' || Peek() == '=' || Peek() == '!' ||
                                 Peek() == '<' || Peek() == '>'))) {
            ++pos_;
          }
          if (pos_ == start) return Error("empty member name");
          if (text_.substr(start, pos_ - start).find(']') != std::string_view::npos) {
            return Error("unexpected ']'");
          }
          step.kind = Step::Kind::kName;
          step.name = std::string(text_.substr(start, pos_ - start));
        }
      } else if (Consume('[')) {
        if (absl::Status s = ParseBracket(step); !s.ok()) return s;
      } else {
        return Error("expected '.' or '['");
      }
      steps.push_back(std::move(step));
    }
    return absl::OkStatus();
  }

  absl::Status ParseQuoted(std::string& out) {
    char quote = Peek();
    ++pos_;
    while (!AtEnd() && Peek() != quote) {
      if (Peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out.push_back(Peek());
      ++pos_;
    }
    if (!Consume(quote)) return Error("unterminated string");
    return absl::OkStatus();
  }

  std::optional<std::int64_t> ParseInt() {
    SkipSpaces();
    std::size_t start = pos_;
    if (Peek() == '-') ++pos_;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec != std::errc() || ptr != text_.data() + pos_ || pos_ == start) {
      pos_ = start;
      return std::nullopt;
    }
    SkipSpaces();
    return v;
  }

  // After '['.
  absl::Status ParseBracket(Step& step) {
    SkipSpaces();
    if (Consume('*')) {
      step.kind = Step::Kind::kWildcard;
    } else if (Peek() == '\'' || Peek() == '"') {
      do {
        SkipSpaces();
        if (Peek() != '\'' && Peek() != '"') return Error("expected a quoted name");
        std::string name;
        if (absl::Status s = ParseQuoted(name); !s.ok()) return s;
        step.names.push_back(std::move(name));
        SkipSpaces();
      } while (Consume(','));
      if (step.names.size() == 1) {
        step.kind = Step::Kind::kName;
        step.name = std::move(step.names[0]);
        step.names.clear();
      } else {
        step.kind = Step::Kind::kNames;
      }
    } else if (Consume('?')) {
      if (!Consume('(')) return Error("expected '(' after '?'");
      SkipSpaces();
      if (!Consume('@')) return Error("a filter must start with '@'");
      step.kind = Step::Kind::kFilter;
      if (absl::Status s = ParseSteps(step.filter_path, true); !s.ok()) return s;
      SkipSpaces();
      if (!Consume(')')) {
        if (absl::Status s = ParseFilterComparison(step); !s.ok()) return s;
        SkipSpaces();
        if (!Consume(')')) return Error("expected ')' closing the filter");
      }
    } else {
      std::optional<std::int64_t> first;
      if (Peek() != ':') {
        first = ParseInt();
        if (!first) return Error("expected an index, a quoted name, '*' or a filter");
      }
      if (Consume(':')) {
        step.kind = Step::Kind::kSlice;
        step.slice_start = first;
        if (Peek() != ':' && Peek() != ']') {
          step.slice_end = ParseInt();
          if (!step.slice_end) return Error("bad slice end");
        }
        if (Consume(':')) {
          std::optional<std::int64_t> slice_step = ParseInt();
          if (!slice_step || *slice_step <= 0) return Error("bad slice step");
          step.slice_step = *slice_step;
        }
      } else if (Peek() == ',') {
        step.kind = Step::Kind::kIndices;
        step.indices.push_back(*first);
        while (Consume(',')) {
          std::optional<std::int64_t> next = ParseInt();
          if (!next) return Error("expected an index");
          step.indices.push_back(*next);
        }
      } else {
        step.kind = Step::Kind::kIndex;
        step.index = *first;
      }
    }
    SkipSpaces();
    if (!Consume(']')) return Error("expected ']'");
    return absl::OkStatus();
  }

  absl::Status ParseFilterComparison(Step& step) {
    using Op = Step::FilterOp;
    if (Consume('=')) {
      if (!Consume('=')) return Error("expected '=='");
      step.filter_op = Op::kEq;
    } else if (Consume('!')) {
      if (!Consume('=')) return Error("expected '!='");
      step.filter_op = Op::kNe;
    } else if (Consume('<')) {
      step.filter_op = Consume('=') ? Op::kLe : Op::kLt;
    } else if (Consume('>')) {
      step.filter_op = Consume('=') ? Op::kGe : Op::kGt;
    } else {
      return Error("expected a comparison operator");
    }
    SkipSpaces();
    if (Peek() == '\'' || Peek() == '"') {
      std::string s;
      if (absl::Status st = ParseQuoted(s); !st.ok()) return st;
      step.filter_literal = json::string(s);
      return absl::OkStatus();
    }
    std::size_t start = pos_;
    while (!AtEnd() && Peek() != ')' && Peek() != ' ') ++pos_;
    json::error_code ec;
    json::value v = json::parse(text_.substr(start, pos_ - start), ec);
    if (ec || v.is_structured()) return Error("expected a literal after the operator");
    step.filter_literal = std::move(v);
    return absl::OkStatus();
  }

  std::size_t pos_ = 0;

 private:
  std::string_view text_;
};

bool IsDefinite(const std::vector<Step>& steps) {
  for (const Step& s : steps) {
    if (s.recursive || (s.kind != Step::Kind::kName && s.kind != Step::Kind::kIndex)) {
      return false;
    }
  }
  return true;
}

const json::value* Member(const json::value& v, const std::string& name) {
  const json::object* o = v.if_object();
  if (o == nullptr) return nullptr;
  auto it = o->find(name);
  return it == o->end() ? nullptr : &it->value();
}

const json::value* Element(const json::value& v, std::int64_t index) {
  const json::array* a = v.if_array();
  if (a == nullptr) return nullptr;
  std::int64_t n = static_cast<std::int64_t>(a->size());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return nullptr;
  return &(*a)[static_cast<std::size_t>(index)];
}

const json::value* FindDefinite(const json::value& root, const std::vector<Step>& steps) {
  const json::value* cur = &root;
  for (const Step& s : steps) {
    cur = s.kind == Step::Kind::kName ? Member(*cur, s.name) : Element(*cur, s.index);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::optional<double> AsNumber(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

bool FilterMatches(const Step& step, const json::value& candidate) {
  const json::value* v = FindDefinite(candidate, step.filter_path);
  using Op = Step::FilterOp;
  if (step.filter_op == Op::kExists) return v != nullptr;
  if (v == nullptr) return false;
  const json::value& lit = step.filter_literal;
  int cmp = 0;
  std::optional<double> a = AsNumber(*v), b = AsNumber(lit);
  if (a && b) {
    cmp = *a < *b ? -1 : (*a > *b ? 1 : 0);
  } else if (v->is_string() && lit.is_string()) {
    int c = v->get_string().compare(lit.get_string());
    cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
  } else {
    bool eq = *v == lit;
    if (step.filter_op == Op::kEq) return eq;
    if (step.filter_op == Op::kNe) return !eq;
    return false;
  }
  switch (step.filter_op) {
    case Op::kEq:
      return cmp == 0;
    case Op::kNe:
      return cmp != 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
    case Op::kExists:
      break;
  }
  return false;
}

// Applies one step (non-recursively) to `v`, appending matches to `out`.
void ApplyStep(const Step& s, const json::value& v, std::vector<const json::value*>& out) {
  switch (s.kind) {
    case Step::Kind::kName:
      if (const json::value* m = Member(v, s.name)) out.push_back(m);
      break;
    case Step::Kind::kIndex:
      if (const json::value* m = Element(v, s.index)) out.push_back(m);
      break;
    case Step::Kind::kNames:
      for (const std::string& n : s.names) {
        if (const json::value* m = Member(v, n)) out.push_back(m);
      }
      break;
    case Step::Kind::kIndices:
      for (std::int64_t i : s.indices) {
        if (const json::value* m = Element(v, i)) out.push_back(m);
      }
      break;
    case Step::Kind::kWildcard:
      if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o) out.push_back(&kv.value());
      } else if (const json::array* a = v.if_array()) {
        for (const json::value& e : *a) out.push_back(&e);
      }
      break;
    case Step::Kind::kSlice:
      if (const json::array* a = v.if_array()) {
        std::int64_t n = static_cast<std::int64_t>(a->size());
        std::int64_t start = s.slice_start.value_or(0), end = s.slice_end.value_or(n);
        if (start < 0) start = std::max<std::int64_t>(0, start + n);
        if (end < 0) end = std::max<std::int64_t>(0, end + n);
        end = std::min(end, n);
        for (std::int64_t i = start; i < end; i += s.slice_step) {
          out.push_back(&(*a)[static_cast<std::size_t>(i)]);
        }
      }
      break;
    case Step::Kind::kFilter:
      if (const json::array* a = v.if_array()) {
        for (const json::value& e : *a) {
          if (FilterMatches(s, e)) out.push_back(&e);
        }
      } else if (v.is_object() && FilterMatches(s, v)) {
        out.push_back(&v);
      }
      break;
  }
}

// Recursive descent: applies `s` at `v` and at every descendant, document order.
void ApplyRecursive(const Step& s, const json::value& v, std::vector<const json::value*>& out) {
  ApplyStep(s, v, out);
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) ApplyRecursive(s, kv.value(), out);
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& e : *a) ApplyRecursive(s, e, out);
  }
}

}  // namespace

bool LooksLikePath(std::string_view text) { return !text.empty() && text[0] == '$'; }

absl::StatusOr<JsonPath> JsonPath::Parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  Parser p(text);
  if (!p.Consume('$')) return p.Error("a path starts with '$'");
  if (p.Consume('$')) path.context_ = true;
  if (absl::Status s = p.ParseSteps(path.steps_, false); !s.ok()) return s;
  path.definite_ = IsDefinite(path.steps_);
  return path;
}

const json::value* JsonPath::Find(const json::value& root) const {
  return FindDefinite(root, steps_);
}

std::optional<json::value> JsonPath::Select(const json::value& root) const {
  if (definite_) {
    const json::value* v = Find(root);
    if (v == nullptr) return std::nullopt;
    return *v;
  }
  std::vector<const json::value*> cur{&root}, next;
  for (const Step& s : steps_) {
    next.clear();
    for (const json::value* v : cur) {
      if (s.recursive) {
        ApplyRecursive(s, *v, next);
      } else {
        ApplyStep(s, *v, next);
      }
    }
    cur.swap(next);
  }
  json::array out;
  out.reserve(cur.size());
  for (const json::value* v : cur) out.push_back(*v);
  return json::value(std::move(out));
}

absl::Status JsonPath::Assign(json::value& root, json::value v) const {
  if (!definite_ || context_) {
    return absl::InvalidArgumentError(fmt::format("\"{}\" is not a reference path", text_));
  }
  json::value* cur = &root;
  for (const Step& s : steps_) {
    if (s.kind == Step::Kind::kName) {
      json::object* o = cur->if_object();
      if (o == nullptr) {
        return absl::FailedPreconditionError(fmt::format(
            "Unable to apply ResultPath \"{}\": \"{}\" is not inside an object", text_, s.name));
      }
      cur = &(*o)[s.name];  // creates a null member when missing
      if (&s != &steps_.back() && cur->is_null()) cur->emplace_object();
    } else {
      json::array* a = cur->if_array();
      std::int64_t n = a ? static_cast<std::int64_t>(a->size()) : 0;
      std::int64_t i = s.index < 0 ? s.index + n : s.index;
      if (a == nullptr || i < 0 || i >= n) {
        return absl::FailedPreconditionError(fmt::format(
            "Unable to apply ResultPath \"{}\": index {} does not exist", text_, s.index));
      }
      cur = &(*a)[static_cast<std::size_t>(i)];
    }
  }
  *cur = std::move(v);
  return absl::OkStatus();
}

}  // namespace ingestd::workflow
