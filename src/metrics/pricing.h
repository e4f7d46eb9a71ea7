// The cost model: what ingestd's own traffic costs to run here (self-hosted), and what the same
// traffic would have cost on the seed's serverless stack (Lambda URL + Step Functions +
// DynamoDB), from unit prices the user can set in a small JSON pricing file.
//
//   ASSIGN_OR_RETURN(metrics::Pricing pricing, metrics::LoadPricingFile("pricing.json"));
//   metrics::Usage usage{.cpu_seconds = 12.5, .requests = 1000, ...};
//   metrics::Costs costs = metrics::EstimateCosts(usage, pricing);
//   // costs.self_hosted_usd, costs.serverless_usd, and the parts of each.
//
// The pricing file (`ingestd serve --pricing FILE`): every key optional, unknown keys are an
// error (a typo must not silently fall back to a default). Prices in USD. Defaults are AWS
// on-demand list prices for us-east-1 as of 2024 — change them in the pricing file.
//
// | key                                        | default      | source of the default            |
// |--------------------------------------------|--------------|----------------------------------|
// | self_hosted.vcpu_hour                      | 0.04         | ~ one vCPU's share of a small    |
// |                                            |              | on-demand EC2 instance (m7g/m6i) |
// | self_hosted.storage_gb_month               | 0.08         | EBS gp3, per GB-month            |
// | self_hosted.requests_per_million           | 0.0          | none on a self-hosted box; set   |
// |                                            |              | e.g. 1.00 (API Gateway HTTP API) |
// |                                            |              | to model a paid front door       |
// | serverless.lambda_requests_per_million     | 0.20         | AWS Lambda requests              |
// | serverless.lambda_gb_second                | 0.0000166667 | AWS Lambda x86 duration          |
// | serverless.lambda_memory_mb                | 128          | the CDK default function memory  |
// | serverless.step_functions_per_1000_transitions | 0.025    | Step Functions Standard          |
// | serverless.dynamodb_write_per_million      | 1.25         | DynamoDB on-demand write units   |
// | serverless.dynamodb_read_per_million       | 0.25         | DynamoDB on-demand read units    |
// | serverless.dynamodb_storage_gb_month       | 0.25         | DynamoDB Standard table storage  |
//
// Example file:  {"self_hosted": {"vcpu_hour": 0.05}, "serverless": {"lambda_memory_mb": 256}}
//
// How usage maps to the serverless bill (an estimate, not an invoice): every traffic request
// is one Lambda invocation billed for its measured duration rounded up to 1 ms at
// lambda_memory_mb; every workflow state transition is a Standard state transition; every
// stored write (created or replaced item, items under 1 KB) is one write request unit; a list
// page is ceil(bytes / 4 KB) half read units (eventually consistent Scan); stored bytes are
// billed per GB-month (GB = 2^30 bytes, month = 30 days) on both sides.
#ifndef INGESTD_METRICS_PRICING_H_
#define INGESTD_METRICS_PRICING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ingestd::metrics {

struct SelfHostedPricing {
  double vcpu_hour = 0.04;
  double storage_gb_month = 0.08;
  double requests_per_million = 0.0;
};

struct ServerlessPricing {
  double lambda_requests_per_million = 0.20;
  double lambda_gb_second = 0.0000166667;
  double lambda_memory_mb = 128;
  double step_functions_per_1000_transitions = 0.025;
  double dynamodb_write_per_million = 1.25;
  double dynamodb_read_per_million = 0.25;
  double dynamodb_storage_gb_month = 0.25;
};

// Unit prices in USD. The defaults are the table above.
struct Pricing {
  SelfHostedPricing self_hosted;
  ServerlessPricing serverless;
};

// Parses a pricing JSON document; keys missing from it keep their defaults. INVALID_ARGUMENT
// for malformed JSON, an unknown key, or a value that is not a finite number >= 0 (and
// lambda_memory_mb outside 128..10240).
absl::StatusOr<Pricing> ParsePricing(const std::string& json);

// Reads and parses the pricing file at `path`. NOT_FOUND/PERMISSION_DENIED when it cannot be
// read; otherwise as ParsePricing. Messages name the file.
absl::StatusOr<Pricing> LoadPricingFile(const std::string& path);

// The pricing as a JSON document in the file format (every key, for `--help`-style display and
// the dashboard).
std::string PricingToJson(const Pricing& pricing);

// What the process has used since it started, cumulative.
struct Usage {
  double cpu_seconds = 0;          // process CPU time (user + system)
  double stored_byte_seconds = 0;  // integral of stored bytes over time
  uint64_t requests = 0;           // traffic requests (the monitor's own excluded)
  uint64_t lambda_billed_ms = 0;   // sum over requests of duration rounded up to 1 ms
  uint64_t state_transitions = 0;  // workflow state transitions
  uint64_t write_units = 0;        // DynamoDB write request units equivalent
  uint64_t read_half_units = 0;    // DynamoDB read request units equivalent, times two
};

// Estimated charges in USD, cumulative, and their parts.
struct Costs {
  double self_hosted_cpu = 0;
  double self_hosted_storage = 0;
  double self_hosted_requests = 0;
  double self_hosted_usd = 0;  // the sum of the three above

  double lambda_requests = 0;
  double lambda_compute = 0;
  double step_functions = 0;
  double dynamodb_writes = 0;
  double dynamodb_reads = 0;
  double dynamodb_storage = 0;
  double serverless_usd = 0;  // the sum of the six above
};

// Applies `pricing` to `usage`. Pure.
Costs EstimateCosts(const Usage& usage, const Pricing& pricing);

}  // namespace ingestd::metrics

#endif  // INGESTD_METRICS_PRICING_H_
