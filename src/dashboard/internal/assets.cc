#include "dashboard/internal/assets.h"

#include <cstddef>
#include <string_view>

namespace ingestd::dashboard::internal {

const EmbeddedAsset* FindAsset(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedAssetCount; ++i) {
    if (name == kEmbeddedAssets[i].name) return &kEmbeddedAssets[i];
  }
  return nullptr;
}

std::string_view ContentTypeFor(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

}  // namespace ingestd::dashboard::internal
