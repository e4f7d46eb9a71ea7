#include "admin/approvals_page.h"

#include <array>
#include <string>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/crypto.h"
#include "common/time_format.h"
#include "ingest/html.h"

namespace ingestd::admin {
namespace {

namespace json = boost::json;
using ingest::AppendHtmlEscaped;

// The one stylesheet of both pages. The CSP allows exactly this text by its hash, so it must
// be emitted byte for byte as it is here.
constexpr std::string_view kStyle = R"(
:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec;
        --ok:#15803d; --no:#b42318; --accent:#2563eb; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#0f141b; --card:#18202b; --ink:#e6e9ef; --muted:#98a2b3; --line:#2b3544;
          --ok:#22c55e; --no:#f97066; --accent:#60a5fa; }
}
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       background:var(--bg); color:var(--ink); }
header { padding:20px 16px 8px; display:flex; align-items:baseline; gap:12px; flex-wrap:wrap;
         max-width:960px; margin:0 auto; }
header h1 { margin:0; font-size:22px; }
header .count { color:var(--muted); }
main { padding:8px 16px 24px; display:grid; gap:16px; max-width:960px; margin:0 auto; }
.card { background:var(--card); border-radius:12px; padding:16px;
        box-shadow:0 1px 2px rgba(0,0,0,.06),0 4px 12px rgba(0,0,0,.05); overflow-wrap:anywhere; }
.card h2 { margin:0 0 8px; font-size:16px; font-family:ui-monospace,Menlo,Consolas,monospace; }
dl { margin:0; display:grid; grid-template-columns:minmax(80px,auto) 1fr; gap:4px 12px; }
dt { color:var(--muted); font-size:13px; }
dd { margin:0; white-space:pre-wrap; }
dd dl { border-left:2px solid var(--line); padding-left:8px; }
.times { color:var(--muted); font-size:13px; margin:12px 0; }
.actions { display:flex; gap:12px; flex-wrap:wrap; align-items:flex-end; }
.actions form { display:flex; gap:8px; flex-wrap:wrap; flex:1 1 200px; margin:0; }
.actions input[type=text] { flex:1 1 120px; min-width:0; padding:10px; font:inherit;
        border:1px solid var(--line); border-radius:8px; background:var(--bg); color:var(--ink); }
button { font:inherit; font-weight:600; color:#fff; border:0; border-radius:8px;
         padding:10px 18px; min-height:44px; cursor:pointer; }
button.approve { background:var(--ok); }
button.reject { background:var(--no); }
.empty, .message { color:var(--muted); padding:24px 0; }
nav { padding:0 16px 32px; display:flex; gap:12px; max-width:960px; margin:0 auto; }
nav a { color:#fff; background:var(--accent); padding:8px 14px; border-radius:8px;
        text-decoration:none; }
)";

constexpr int kMaxRenderDepth = 8;

void AppendHead(std::string& out, std::string_view title) {
  out += R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>)";
  AppendHtmlEscaped(out, title);
  out += "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
}

void AppendValue(std::string& out, const json::value& value, int depth);

void AppendObject(std::string& out, const json::object& object, int depth) {
  out += "<dl>";
  for (const auto& member : object) {
    out += "<dt>";
    AppendHtmlEscaped(out, std::string_view(member.key().data(), member.key().size()));
    out += "</dt><dd>";
    AppendValue(out, member.value(), depth + 1);
    out += "</dd>";
  }
  out += "</dl>";
}

// A JSON value for a person: objects as definition lists, strings as their text, anything
// else (and anything nested too deep) as JSON. Everything escaped.
void AppendValue(std::string& out, const json::value& value, int depth) {
  if (value.is_string()) {
    const json::string& s = value.get_string();
    AppendHtmlEscaped(out, std::string_view(s.data(), s.size()));
  } else if (value.is_object() && !value.get_object().empty() && depth < kMaxRenderDepth) {
    AppendObject(out, value.get_object(), depth);
  } else {
    AppendHtmlEscaped(out, json::serialize(value));
  }
}

void AppendTime(std::string& out, absl::Time t) {
  const std::string text = common::FormatRfc3339(t);
  out += "<time datetime=\"";
  AppendHtmlEscaped(out, text);
  out += "\">";
  AppendHtmlEscaped(out, text);
  out += "</time>";
}

void AppendForm(std::string& out, std::string_view id, std::string_view action,
                std::string_view csrf_token) {
  out += "<form method=\"post\" action=\"";
  AppendHtmlEscaped(out, DecisionPath(id, action));
  out += "\"><input type=\"hidden\" name=\"csrf_token\" value=\"";
  AppendHtmlEscaped(out, csrf_token);
  out += "\">";
  if (action == "reject") {
    out +=
        "<input type=\"text\" name=\"comment\" maxlength=\"1000\" "
        "placeholder=\"Reason (optional)\" aria-label=\"Reason for rejecting\">";
    out += "<button class=\"reject\" type=\"submit\">Reject</button>";
  } else {
    out += "<button class=\"approve\" type=\"submit\">Approve</button>";
  }
  out += "</form>";
}

void AppendCard(std::string& out, const workflow::PendingTask& task, std::string_view csrf_token) {
  out += "<article class=\"card\"><h2>";
  AppendHtmlEscaped(out, task.id);
  out += "</h2>";
  if (task.input.is_object() && !task.input.get_object().empty()) {
    AppendObject(out, task.input.get_object(), 0);
  } else {
    out += "<dl><dt>input</dt><dd>";
    AppendValue(out, task.input, 0);
    out += "</dd></dl>";
  }
  out += "<p class=\"times\">Waiting since ";
  AppendTime(out, task.created_at);
  if (task.expires_at) {
    out += " · expires ";
    AppendTime(out, *task.expires_at);
  } else {
    out += " · no deadline";
  }
  out += "</p><div class=\"actions\">";
  AppendForm(out, task.id, "approve", csrf_token);
  AppendForm(out, task.id, "reject", csrf_token);
  out += "</div></article>\n";
}

std::string Base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

json::object PendingTaskJson(const workflow::PendingTask& task) {
  json::object out;
  out["id"] = json::string_view(task.id.data(), task.id.size());
  out["task_token"] = json::string_view(task.task_token.data(), task.task_token.size());
  out["execution"] = json::string_view(task.execution.data(), task.execution.size());
  out["input"] = task.input;
  out["created_at"] = common::FormatRfc3339(task.created_at);
  if (task.expires_at) {
    out["expires_at"] = common::FormatRfc3339(*task.expires_at);
  } else {
    out["expires_at"] = nullptr;
  }
  return out;
}

json::array PendingTasksJson(const std::vector<workflow::PendingTask>& tasks) {
  json::array out;
  out.reserve(tasks.size());
  for (const workflow::PendingTask& task : tasks) out.emplace_back(PendingTaskJson(task));
  return out;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string DecisionPath(std::string_view id, std::string_view action) {
  return fmt::format("/approvals/{}/{}", PercentEncode(id), action);
}

std::string RenderApprovalsPage(const std::vector<workflow::PendingTask>& tasks,
                                const ApprovalsPageOptions& options) {
  std::string out;
  out.reserve(4096 + tasks.size() * 1024);
  AppendHead(out, "ingestd · approvals");
  out += "<header><h1>Pending approvals</h1><span class=\"count\">";
  if (tasks.empty()) {
    out += "none";
  } else {
    out += fmt::format("{} {}{}", tasks.size(), tasks.size() == 1 ? "item" : "items",
                       options.next_url ? " on this page" : "");
  }
  out += "</span></header>\n<main>\n";
  if (tasks.empty()) {
    out += options.first_page
               ? "<p class=\"empty\">No approvals are waiting. New ones appear here when a "
                 "data point needs an admin's decision.</p>\n"
               : "<p class=\"empty\">No more approvals on this page.</p>\n";
  }
  for (const workflow::PendingTask& task : tasks) AppendCard(out, task, options.csrf_token);
  out += "</main>\n";
  if (options.next_url || !options.first_page) {
    out += "<nav>";
    if (!options.first_page) out += "<a href=\"/approvals?format=html\">First page</a>";
    if (options.next_url) {
      out += "<a rel=\"next\" href=\"";
      AppendHtmlEscaped(out, *options.next_url);
      out += "\">Next page</a>";
    }
    out += "</nav>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string RenderDecisionErrorPage(std::string_view title, std::string_view message) {
  std::string out;
  AppendHead(out, title);
  out += "<header><h1>";
  AppendHtmlEscaped(out, title);
  out += "</h1></header>\n<main><p class=\"message\">";
  AppendHtmlEscaped(out, message);
  out +=
      "</p></main>\n<nav><a href=\"/approvals?format=html\">Back to the approvals</a></nav>\n"
      "</body>\n</html>\n";
  return out;
}

const std::string& ApprovalsPageCsp() {
  static const std::string* const kCsp = [] {
    const common::Sha256Digest digest = common::Sha256(kStyle);
    return new std::string(fmt::format(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'",
        Base64(digest.data(), digest.size())));
  }();
  return *kCsp;
}

}  // namespace ingestd::admin
