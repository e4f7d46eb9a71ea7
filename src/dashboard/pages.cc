#include "dashboard/pages.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include "absl/status/status.h"
#include "common/duration.h"
#include "common/status_macros.h"
#include "dashboard/internal/assets.h"

namespace ingestd::dashboard {
namespace {

constexpr int64_t kDefaultWindow = 300;
constexpr int64_t kMaxWindow = 3600;
constexpr std::string_view kAssetPrefix = "/dashboard/assets/";

Reply FromAsset(const internal::EmbeddedAsset& asset, std::string cache_control) {
  Reply r;
  r.content_type = std::string(internal::ContentTypeFor(asset.name));
  r.body.assign(asset.data, asset.size);
  r.cache_control = std::move(cache_control);
  return r;
}

std::string_view PathOnly(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

}  // namespace

Reply MetricsReply(metrics::Metrics& metrics) {
  Reply r;
  r.content_type = std::string(kPrometheusContentType);
  r.body = metrics.RenderPrometheus();
  return r;
}

Reply DashboardReply() {
  const internal::EmbeddedAsset* page = internal::FindAsset("index.html");
  // index.html is embedded at build time; CMake fails the build when it is missing.
  return FromAsset(*page, "no-cache");
}

absl::StatusOr<int64_t> ParseWindow(std::string_view target) {
  const auto url = boost::urls::parse_uri_reference(target);
  if (!url) return absl::InvalidArgumentError("the request target is not a valid URL");
  std::optional<std::string> value;
  for (const auto& param : url->params()) {
    if (param.key != "window") continue;
    if (value) return absl::InvalidArgumentError("window is given more than once");
    value = std::string(param.value);
  }
  if (!value) return kDefaultWindow;
  int64_t seconds = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, seconds);
  if (value->empty() || ec != std::errc() || ptr != end) {
    absl::StatusOr<absl::Duration> d = common::ParseDuration(*value);
    if (!d.ok() || *d != absl::Seconds(absl::ToInt64Seconds(*d))) {
      return absl::InvalidArgumentError(fmt::format(
          "window must be whole seconds (\"300\") or a duration (\"5m\", \"1h\"), got \"{}\"",
          *value));
    }
    seconds = absl::ToInt64Seconds(*d);
  }
  if (seconds < 1 || seconds > kMaxWindow) {
    return absl::InvalidArgumentError(
        fmt::format("window must be between 1 s and 1 h (3600), got {}", *value));
  }
  return seconds;
}

absl::StatusOr<Reply> DataReply(std::string_view target, metrics::Metrics& metrics) {
  ASSIGN_OR_RETURN(const int64_t window, ParseWindow(target));
  Reply r;
  r.content_type = "application/json";
  ASSIGN_OR_RETURN(r.body, metrics.DashboardJson(window));
  return r;
}

std::optional<Reply> AssetReply(std::string_view target) {
  const std::string_view path = PathOnly(target);
  if (path.substr(0, kAssetPrefix.size()) != kAssetPrefix) return std::nullopt;
  const internal::EmbeddedAsset* asset = internal::FindAsset(path.substr(kAssetPrefix.size()));
  if (asset == nullptr) return std::nullopt;
  return FromAsset(*asset, "public, max-age=3600");
}

Reply FaviconReply() {
  const internal::EmbeddedAsset* icon = internal::FindAsset("favicon.svg");
  return FromAsset(*icon, "public, max-age=86400");
}

}  // namespace ingestd::dashboard
