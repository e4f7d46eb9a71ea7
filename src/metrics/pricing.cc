#include "metrics/pricing.h"

#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "absl/status/status.h"
#include "common/file.h"
#include "common/status_macros.h"

namespace ingestd::metrics {
namespace {

namespace json = boost::json;

constexpr double kBytesPerGb = 1024.0 * 1024.0 * 1024.0;
// AWS bills storage per GB-month; a billing month is taken as 30 days.
constexpr double kSecondsPerMonth = 30.0 * 24 * 3600;

struct Field {
  std::string_view key;
  double* value;
};

absl::Status ParseSection(const json::value& section, std::string_view name,
                          const std::vector<Field>& fields) {
  if (!section.is_object()) {
    return absl::InvalidArgumentError(fmt::format("pricing: \"{}\" must be an object", name));
  }
  for (const auto& [key, value] : section.as_object()) {
    const std::string_view k(key.data(), key.size());
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (f.key == k) field = &f;
    }
    if (field == nullptr) {
      std::string known;
      for (const Field& f : fields) known += fmt::format("{}{}", known.empty() ? "" : ", ", f.key);
      return absl::InvalidArgumentError(
          fmt::format("pricing: unknown key \"{}.{}\" (known keys: {})", name, k, known));
    }
    if (!value.is_number()) {
      return absl::InvalidArgumentError(
          fmt::format("pricing: \"{}.{}\" must be a number (USD)", name, k));
    }
    const double v = value.to_number<double>();
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(
          fmt::format("pricing: \"{}.{}\" must be a finite number >= 0", name, k));
    }
    *field->value = v;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Pricing> ParsePricing(const std::string& text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) {
    return absl::InvalidArgumentError(fmt::format("pricing: not valid JSON: {}", ec.message()));
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("pricing: the document must be a JSON object");
  }
  Pricing p;
  SelfHostedPricing& s = p.self_hosted;
  ServerlessPricing& l = p.serverless;
  const std::vector<Field> self_fields = {
      {"vcpu_hour", &s.vcpu_hour},
      {"storage_gb_month", &s.storage_gb_month},
      {"requests_per_million", &s.requests_per_million},
  };
  const std::vector<Field> serverless_fields = {
      {"lambda_requests_per_million", &l.lambda_requests_per_million},
      {"lambda_gb_second", &l.lambda_gb_second},
      {"lambda_memory_mb", &l.lambda_memory_mb},
      {"step_functions_per_1000_transitions", &l.step_functions_per_1000_transitions},
      {"dynamodb_write_per_million", &l.dynamodb_write_per_million},
      {"dynamodb_read_per_million", &l.dynamodb_read_per_million},
      {"dynamodb_storage_gb_month", &l.dynamodb_storage_gb_month},
  };
  for (const auto& [key, value] : doc.as_object()) {
    const std::string_view k(key.data(), key.size());
    if (k == "self_hosted") {
      RETURN_IF_ERROR(ParseSection(value, k, self_fields));
    } else if (k == "serverless") {
      RETURN_IF_ERROR(ParseSection(value, k, serverless_fields));
    } else {
      return absl::InvalidArgumentError(
          fmt::format("pricing: unknown key \"{}\" (known sections: self_hosted, serverless)", k));
    }
  }
  if (l.lambda_memory_mb < 128 || l.lambda_memory_mb > 10240) {
    return absl::InvalidArgumentError(
        "pricing: \"serverless.lambda_memory_mb\" must be between 128 and 10240 (Lambda's range)");
  }
  return p;
}

absl::StatusOr<Pricing> LoadPricingFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, common::ReadFile(path));
  absl::StatusOr<Pricing> pricing = ParsePricing(text);
  if (!pricing.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", path, std::string(pricing.status().message())));
  }
  return pricing;
}

std::string PricingToJson(const Pricing& p) {
  json::object self;
  self["vcpu_hour"] = p.self_hosted.vcpu_hour;
  self["storage_gb_month"] = p.self_hosted.storage_gb_month;
  self["requests_per_million"] = p.self_hosted.requests_per_million;
  json::object serverless;
  serverless["lambda_requests_per_million"] = p.serverless.lambda_requests_per_million;
  serverless["lambda_gb_second"] = p.serverless.lambda_gb_second;
  serverless["lambda_memory_mb"] = p.serverless.lambda_memory_mb;
  serverless["step_functions_per_1000_transitions"] =
      p.serverless.step_functions_per_1000_transitions;
  serverless["dynamodb_write_per_million"] = p.serverless.dynamodb_write_per_million;
  serverless["dynamodb_read_per_million"] = p.serverless.dynamodb_read_per_million;
  serverless["dynamodb_storage_gb_month"] = p.serverless.dynamodb_storage_gb_month;
  json::object doc;
  doc["self_hosted"] = std::move(self);
  doc["serverless"] = std::move(serverless);
  return json::serialize(doc);
}

Costs EstimateCosts(const Usage& u, const Pricing& p) {
  Costs c;
  const double gb_months = u.stored_byte_seconds / kBytesPerGb / kSecondsPerMonth;
  const double requests = static_cast<double>(u.requests);

  c.self_hosted_cpu = u.cpu_seconds / 3600.0 * p.self_hosted.vcpu_hour;
  c.self_hosted_storage = gb_months * p.self_hosted.storage_gb_month;
  c.self_hosted_requests = requests / 1e6 * p.self_hosted.requests_per_million;
  c.self_hosted_usd = c.self_hosted_cpu + c.self_hosted_storage + c.self_hosted_requests;

  const ServerlessPricing& l = p.serverless;
  c.lambda_requests = requests / 1e6 * l.lambda_requests_per_million;
  c.lambda_compute = static_cast<double>(u.lambda_billed_ms) / 1000.0 *
                     (l.lambda_memory_mb / 1024.0) * l.lambda_gb_second;
  c.step_functions =
      static_cast<double>(u.state_transitions) / 1000.0 * l.step_functions_per_1000_transitions;
  c.dynamodb_writes = static_cast<double>(u.write_units) / 1e6 * l.dynamodb_write_per_million;
  c.dynamodb_reads =
      static_cast<double>(u.read_half_units) / 2.0 / 1e6 * l.dynamodb_read_per_million;
  c.dynamodb_storage = gb_months * l.dynamodb_storage_gb_month;
  c.serverless_usd = c.lambda_requests + c.lambda_compute + c.step_functions + c.dynamodb_writes +
                     c.dynamodb_reads + c.dynamodb_storage;
  return c;
}

}  // namespace ingestd::metrics
