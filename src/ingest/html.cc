#include "ingest/html.h"

#include <string>

#include "common/time_format.h"

namespace ingestd::ingest {
namespace {

constexpr std::string_view kHead = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ingestd · items</title>
<style>
  :root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#667085; --accent:#2563eb; }
  @media (prefers-color-scheme: dark) {
    :root { --bg:#0f141b; --card:#18202b; --ink:#e6e9ef; --muted:#98a2b3; --accent:#60a5fa; }
  }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
         background:var(--bg); color:var(--ink); }
  header { padding:20px 24px 8px; display:flex; align-items:baseline; gap:16px; flex-wrap:wrap; }
  header h1 { margin:0; font-size:22px; }
  header .count { color:var(--muted); }
  main { padding:8px 24px 24px; display:grid; gap:16px;
         grid-template-columns:repeat(auto-fill,minmax(260px,1fr)); }
  .card { background:var(--card); border-radius:12px; padding:16px 18px;
          box-shadow:0 1px 2px rgba(0,0,0,.06),0 4px 12px rgba(0,0,0,.05);
          overflow-wrap:anywhere; }
  .card h2 { margin:0 0 6px; font-size:17px; white-space:pre-wrap; }
  .card dl { margin:0; display:grid; grid-template-columns:auto 1fr; gap:2px 12px; }
  .card dt { color:var(--muted); font-size:13px; }
  .card dd { margin:0; font-size:14px; white-space:pre-wrap; }
  .empty { color:var(--muted); padding:24px; }
  nav { padding:0 24px 32px; display:flex; gap:12px; }
  nav a { color:#fff; background:var(--accent); padding:8px 14px; border-radius:8px;
          text-decoration:none; }
</style>
</head>
<body>
<header><h1>Items</h1>)";

void AppendField(std::string& out, std::string_view label, std::string_view value) {
  out += "<dt>";
  out += label;
  out += "</dt><dd>";
  AppendHtmlEscaped(out, value);
  out += "</dd>";
}

}  // namespace

void AppendHtmlEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendHtmlEscaped(out, text);
  return out;
}

std::string RenderItemsPage(const std::vector<store::Item>& items,
                            const std::optional<std::string>& next_url,
                            const std::optional<std::string>& first_url) {
  std::string out(kHead);
  out.reserve(kHead.size() + 512 * (items.size() + 1));
  out += "<span class=\"count\">";
  out += std::to_string(items.size());
  out += items.size() == 1 ? " item on this page" : " items on this page";
  out += "</span></header>\n<main>\n";
  if (items.empty()) out += "<p class=\"empty\">No items yet.</p>\n";
  for (const store::Item& item : items) {
    out += "<article class=\"card\"><h2>";
    AppendHtmlEscaped(out, item.user_name);
    out += "</h2><dl>";
    AppendField(out, "email", item.email);
    AppendField(out, "pincode", item.pincode);
    AppendField(out, "created", common::FormatRfc3339(item.created_at));
    AppendField(out, "updated", common::FormatRfc3339(item.updated_at));
    out += "</dl></article>\n";
  }
  out += "</main>\n<nav>";
  if (first_url) {
    out += "<a rel=\"first\" href=\"";
    AppendHtmlEscaped(out, *first_url);
    out += "\">First page</a>";
  }
  if (next_url) {
    out += "<a rel=\"next\" href=\"";
    AppendHtmlEscaped(out, *next_url);
    out += "\">Next page →</a>";
  }
  out += "</nav>\n</body>\n</html>\n";
  return out;
}

}  // namespace ingestd::ingest
