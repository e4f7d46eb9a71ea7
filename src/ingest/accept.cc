#include "ingest/accept.h"

#include <charconv>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace ingestd::ingest {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The q-value the Accept header gives to `type` ("text/html"): the q of the most specific
// matching range, 0 when none matches.
double QualityOf(std::string_view accept, std::string_view type) {
  const std::string_view major = type.substr(0, type.find('/'));
  int best_specificity = -1;
  double best_q = 0;
  for (absl::string_view raw :
       absl::StrSplit(absl::string_view(accept.data(), accept.size()), ',')) {
    std::string_view element = Trim(std::string_view(raw.data(), raw.size()));
    const std::size_t semicolon = element.find(';');
    std::string range(Trim(element.substr(0, semicolon)));
    absl::AsciiStrToLower(&range);
    double q = 1;
    if (semicolon != std::string_view::npos) {
      for (absl::string_view param : absl::StrSplit(
               absl::string_view(element.data() + semicolon + 1, element.size() - semicolon - 1),
               ';')) {
        std::string_view p = Trim(std::string_view(param.data(), param.size()));
        if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
          double parsed = 0;
          auto [end, ec] = std::from_chars(p.data() + 2, p.data() + p.size(), parsed);
          if (ec == std::errc() && parsed >= 0 && parsed <= 1) q = parsed;
        }
      }
    }
    int specificity = -1;
    if (range == type) {
      specificity = 2;
    } else if (range.size() == major.size() + 2 && range.starts_with(major) &&
               range.ends_with("/*")) {
      specificity = 1;
    } else if (range == "*/*") {
      specificity = 0;
    }
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best_q = q;
    }
  }
  return best_q;
}

}  // namespace

bool PrefersHtml(std::string_view accept) {
  if (accept.empty()) return false;
  return QualityOf(accept, "text/html") > QualityOf(accept, "application/json");
}

}  // namespace ingestd::ingest
