// The HTML list of items: one card per item, a link to the next page, every value escaped.
//
//   std::string page = RenderItemsPage(page.items, "/?format=html&cursor=abc");
#ifndef INGESTD_INGEST_HTML_H_
#define INGESTD_INGEST_HTML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace ingestd::ingest {

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);
void AppendHtmlEscaped(std::string& out, std::string_view text);

// A complete HTML document listing `items` as cards. `next_url` (already a URL; it is escaped
// here) links the next page; `first_url` links back to the first page when this is not it.
std::string RenderItemsPage(const std::vector<store::Item>& items,
                            const std::optional<std::string>& next_url,
                            const std::optional<std::string>& first_url);

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_HTML_H_
