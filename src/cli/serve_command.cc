// `ingestd serve`: opens the store, builds the routes, starts the listeners, and shuts down
// gracefully on SIGTERM/SIGINT.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "absl/status/statusor.h"
#include "admin/approvals_page.h"
#include "admin/auth.h"
#include "admin/routes.h"
#include "cli/commands.h"
#include "common/duration.h"
#include "common/file.h"
#include "common/log.h"
#include "common/time_format.h"
#include "dashboard/routes.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "ingest/endpoint.h"
#include "metrics/metrics.h"
#include "metrics/pricing.h"
#include "notify/webhook.h"
#include "store/store.h"
#include "workflow/builtin_tasks.h"
#include "workflow/default_workflow.h"
#include "workflow/durable.h"
#include "workflow/ingest_contract.h"
#include "workflow/workflow.h"

namespace ingestd::cli {
namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data = "./ingestd-data";
  std::string store = "sqlite:";
  std::string workflow;
  std::string admin_listen = "127.0.0.1:8081";
  std::string admin_token;
  std::string admin_access_key_id;
  std::string admin_secret_access_key;
  std::string approval_webhook;
  std::string approval_webhook_secret;
  std::string approval_timeout = "365d";
  std::string region = "us-east-1";
  std::string account = "000000000000";
  std::string pricing;
  std::string log_level = "info";
  std::string ingest_engine = "workflow";
  int threads = 0;
  std::size_t max_connections = 10000;
};

struct HostPort {
  std::string host;
  std::uint16_t port;
};

// "HOST:PORT" or "[v6]:PORT".
absl::StatusOr<HostPort> ParseHostPort(const std::string& text, const char* flag) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        fmt::format("{} must be HOST:PORT, e.g. 127.0.0.1:8080 (got \"{}\")", flag, text));
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" is not a port number (0-65535)", flag, text.substr(colon + 1)));
  }
  return HostPort{std::move(host), static_cast<std::uint16_t>(port)};
}

// Blocks SIGINT/SIGTERM in this thread (and every thread it starts later), so they can be
// taken synchronously with sigwait().
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(const ServeFlags& flags) {
  const sigset_t stop_signals = BlockStopSignals();
  common::InitLogging(flags.log_level);

  auto listen = ParseHostPort(flags.listen, "--listen");
  if (!listen.ok()) {
    spdlog::error("{}", std::string(listen.status().message()));
    return 2;
  }

  metrics::Pricing pricing;
  if (!flags.pricing.empty()) {
    auto loaded = metrics::LoadPricingFile(flags.pricing);
    if (!loaded.ok()) {
      spdlog::error("{}", std::string(loaded.status().message()));
      return 2;
    }
    pricing = *loaded;
  }
  // Declared before the store and the server: both call into it until they are gone.
  metrics::Metrics metrics({.pricing = pricing, .storage_dir = flags.data});

  auto opened = store::OpenStore(
      flags.store, {.data_dir = flags.data, .observer = {.on_commit = metrics.CommitCallback()}});
  if (!opened.ok()) {
    spdlog::error("cannot open the store: {}", std::string(opened.status().message()));
    return 2;
  }
  std::unique_ptr<store::Store> store = *std::move(opened);
  spdlog::info("store open: {} (data directory {})", flags.store, flags.data);

  // The registry must outlive the compiled workflow; the store outlives both.
  workflow::TaskRegistry tasks;
  workflow::RegisterBuiltinTasks(tasks, store.get());
  auto compiled = flags.workflow.empty()
                      ? workflow::CompileText(workflow::DefaultIngestWorkflowText(), tasks)
                      : workflow::CompileFile(flags.workflow, tasks);
  if (!compiled.ok()) {
    spdlog::error("{}", std::string(compiled.status().message()));
    store->Close();
    return 2;
  }
  spdlog::info("ingest workflow: {}", flags.workflow.empty() ? "built in" : flags.workflow);
  std::string definition_text(workflow::DefaultIngestWorkflowText());
  if (!flags.workflow.empty()) {
    auto text = common::ReadFile(flags.workflow);
    if (!text.ok()) {
      spdlog::error("{}", std::string(text.status().message()));
      store->Close();
      return 2;
    }
    definition_text = *std::move(text);
  }

  auto approval_timeout = common::ParseDuration(flags.approval_timeout);
  if (!approval_timeout.ok() || *approval_timeout < absl::Seconds(1) ||
      *approval_timeout > absl::Hours(24 * 365 * 3)) {
    spdlog::error("--approval-timeout must be a duration from 1s to 1095d, e.g. 365d (got \"{}\")",
                  flags.approval_timeout);
    store->Close();
    return 2;
  }

  // The admin and its webhook hear about every approval that starts waiting.
  std::unique_ptr<notify::WebhookNotifier> webhook;
  std::string admin_base_url;
  if (auto admin_listen = ParseHostPort(flags.admin_listen, "--admin-listen"); admin_listen.ok()) {
    admin_base_url = fmt::format("http://{}:{}", admin_listen->host, admin_listen->port);
  }
  if (!flags.approval_webhook.empty()) {
    auto created = notify::WebhookNotifier::Create(
        {.url = flags.approval_webhook, .secret = flags.approval_webhook_secret});
    if (!created.ok()) {
      spdlog::error("--approval-webhook: {}", std::string(created.status().message()));
      store->Close();
      return 2;
    }
    webhook = *std::move(created);
    spdlog::info("pending approvals are announced to {}", flags.approval_webhook);
  }

  workflow::DurableOptions durable_options{
      .store = store.get(),
      .workflow = *compiled,
      .definition_text = definition_text,
      .registry = &tasks,
      .region = flags.region,
      .account = flags.account,
  };
  durable_options.start_defaults["approval_timeout_seconds"] =
      absl::ToInt64Seconds(*approval_timeout);
  durable_options.on_pending = [&webhook, &admin_base_url](const workflow::PendingTask& task) {
    if (webhook == nullptr) return;
    // The approvals list's JSON for the task, plus the event name and the decision links.
    boost::json::object event = admin::PendingTaskJson(task);
    event["event"] = "approval.pending";
    event["state"] = task.state;
    event["approve_url"] = admin_base_url + admin::DecisionPath(task.id, "approve");
    event["reject_url"] = admin_base_url + admin::DecisionPath(task.id, "reject");
    webhook->Notify(boost::json::serialize(event));
  };
  durable_options.on_finished = [&metrics](const workflow::ExecutionResult& r,
                                           absl::Duration duration) {
    metrics.RecordWorkflow(
        r.succeeded ? metrics::WorkflowStatus::kSucceeded : metrics::WorkflowStatus::kFailed,
        duration, static_cast<std::uint64_t>(r.transitions));
  };
  auto durable = workflow::DurableExecutions::Open(std::move(durable_options));
  if (!durable.ok()) {
    spdlog::error("{}", std::string(durable.status().message()));
    store->Close();
    return 2;
  }
  std::unique_ptr<workflow::DurableExecutions> executions = *std::move(durable);

  ingest::EndpointOptions endpoint_options;
  endpoint_options.execution = executions->ExecutionDefaults();
  endpoint_options.approval_timeout_seconds = absl::ToInt64Seconds(*approval_timeout);
  if (flags.ingest_engine == "direct") {
    endpoint_options.engine = ingest::Engine::kDirect;
    spdlog::warn(
        "--ingest-engine direct: the workflow's field checks run as plain C++ "
        "(a benchmark reference, not for production)");
  }
  endpoint_options.on_outcome = [&metrics](ingest::Outcome outcome) {
    switch (outcome) {
      case ingest::Outcome::kCreated:
        metrics.RecordIngest(metrics::IngestOutcome::kCreated);
        break;
      case ingest::Outcome::kReplaced:
        metrics.RecordIngest(metrics::IngestOutcome::kReplaced);
        break;
      case ingest::Outcome::kRejected:
        metrics.RecordIngest(metrics::IngestOutcome::kRejected);
        break;
      case ingest::Outcome::kPendingApproval:
        metrics.RecordIngest(metrics::IngestOutcome::kPendingApproval);
        break;
      case ingest::Outcome::kFailed:
        metrics.RecordIngest(metrics::IngestOutcome::kFailed);
        break;
    }
  };
  endpoint_options.on_execution = [&metrics](bool succeeded, absl::Duration duration,
                                             std::int64_t transitions) {
    metrics.RecordWorkflow(
        succeeded ? metrics::WorkflowStatus::kSucceeded : metrics::WorkflowStatus::kFailed,
        duration, static_cast<std::uint64_t>(transitions));
  };
  ingest::Endpoint endpoint(*store, *std::move(compiled), std::move(endpoint_options));
  http::Router router;
  router.Add("/", {http::Verb::get, http::Verb::put, http::Verb::post},
             [&endpoint](http::Request request, http::Responder respond) {
               endpoint.Handle(std::move(request), std::move(respond));
             });
  router.Add("/healthz", {http::Verb::get}, [](http::Request, http::Responder respond) {
    std::move(respond).Send(http::MakeText(http::Status::ok, "ok\n"));
  });
  router.Add("/readyz", {http::Verb::get}, [&store](http::Request, http::Responder respond) {
    const absl::Status ping = store->Ping();
    std::move(respond).Send(ping.ok()
                                ? http::MakeText(http::Status::ok, "ready\n")
                                : http::MakeError(http::Status::service_unavailable, "unavailable",
                                                  "the store does not answer"));
  });

  http::ServerOptions options{.name = "public",
                              .host = listen->host,
                              .port = listen->port,
                              .threads = flags.threads,
                              .max_connections = flags.max_connections};
  dashboard::RegisterRoutes(router, metrics);
  options.on_request = [&metrics](const http::RequestRecord& r) {
    metrics.RecordRequest(r.route, std::string_view(http::bhttp::to_string(r.method)),
                          static_cast<int>(r.status), r.duration, r.request_bytes,
                          r.response_bytes);
  };
  auto server = http::Server::Start(options, router);
  if (!server.ok()) {
    spdlog::error("{}", std::string(server.status().message()));
    store->Close();
    return 1;
  }
  spdlog::info("listening on http://{}:{}", listen->host, (*server)->port());

  // The admin listener: approvals and the Step Functions API, behind authentication.
  std::optional<admin::Authenticator> authenticator;
  http::Router admin_router;
  std::unique_ptr<http::Server> admin_server;
  auto stop_all = [&] {
    if (admin_server) admin_server->Shutdown(absl::Seconds(10));
    (*server)->Shutdown(absl::Seconds(10));
    executions->Close();
    if (webhook) webhook->Close(absl::Seconds(5));
    store->Close();
  };
  if (flags.admin_token.empty()) {
    spdlog::info("admin listener off: no --admin-token (INGESTD_ADMIN_TOKEN) configured");
  } else {
    auto admin_listen = ParseHostPort(flags.admin_listen, "--admin-listen");
    auto auth =
        admin_listen.ok()
            ? admin::Authenticator::Create({.token = flags.admin_token,
                                            .access_key_id = flags.admin_access_key_id,
                                            .secret_access_key = flags.admin_secret_access_key})
            : absl::StatusOr<admin::Authenticator>(admin_listen.status());
    if (!auth.ok()) {
      spdlog::error("{}", std::string(auth.status().message()));
      stop_all();
      return 2;
    }
    authenticator.emplace(*std::move(auth));
    admin::RegisterAdminRoutes(
        admin_router, {.executions = executions.get(), .csrf_token = authenticator->CsrfToken()});
    admin::InstallGuard(*authenticator, admin_router);
    http::ServerOptions admin_options{.name = "admin",
                                      .host = admin_listen->host,
                                      .port = admin_listen->port,
                                      .threads = 1,
                                      .max_connections = 1000};
    admin_options.on_request = options.on_request;
    auto started = http::Server::Start(admin_options, admin_router);
    if (!started.ok()) {
      spdlog::error("admin listener: {}", std::string(started.status().message()));
      stop_all();
      return 1;
    }
    admin_server = *std::move(started);
    spdlog::info("admin listener on http://{}:{} (approvals, Step Functions API{})",
                 admin_listen->host, admin_server->port(),
                 flags.admin_access_key_id.empty() ? "" : ", SigV4");
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}; finishing requests in flight", strsignal(signal_number));
  stop_all();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

CommandRunner AddServeCommand(CLI::App& root) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = root.add_subcommand(
      "serve", "Run the service: ingest + list endpoint, dashboard, metrics, admin API");
  auto add = [&](const char* name, std::string& target, const char* env, const char* help) {
    cmd->add_option(name, target, help)->envname(env)->capture_default_str();
  };
  add("--listen", flags->listen, "INGESTD_LISTEN", "Public listener HOST:PORT");
  add("--data", flags->data, "INGESTD_DATA",
      "Directory of the embedded store (created if missing)");
  add("--store", flags->store, "INGESTD_STORE", "Storage backend URI: sqlite: or memory:");
  add("--workflow", flags->workflow, "INGESTD_WORKFLOW",
      "Validation workflow (Amazon States Language JSON); default: built in");
  add("--admin-listen", flags->admin_listen, "INGESTD_ADMIN_LISTEN", "Admin listener HOST:PORT");
  add("--admin-token", flags->admin_token, "INGESTD_ADMIN_TOKEN",
      "Bearer token of the admin listener (none: admin listener off)");
  add("--admin-access-key-id", flags->admin_access_key_id, "INGESTD_ADMIN_ACCESS_KEY_ID",
      "SigV4 access key id accepted on the admin listener");
  add("--admin-secret-access-key", flags->admin_secret_access_key,
      "INGESTD_ADMIN_SECRET_ACCESS_KEY", "SigV4 secret key accepted on the admin listener");
  add("--pricing", flags->pricing, "INGESTD_PRICING",
      "JSON file of unit prices for the cost estimate (deploy/monitoring/pricing.example.json)");
  add("--approval-webhook", flags->approval_webhook, "INGESTD_APPROVAL_WEBHOOK",
      "URL where pending approvals are announced");
  add("--approval-webhook-secret", flags->approval_webhook_secret,
      "INGESTD_APPROVAL_WEBHOOK_SECRET",
      "Secret of the webhook's HMAC-SHA256 signature (X-Ingestd-Signature-256)");
  add("--approval-timeout", flags->approval_timeout, "INGESTD_APPROVAL_TIMEOUT",
      "How long a pending approval waits before it times out (e.g. 365d, 12h, 30s)");
  add("--region", flags->region, "INGESTD_REGION", "Region shown in execution ARNs");
  add("--account", flags->account, "INGESTD_ACCOUNT", "Account id shown in execution ARNs");
  add("--log-level", flags->log_level, "INGESTD_LOG_LEVEL",
      "trace, debug, info, warn, error or off");
  // Hidden: only `make bench` uses it, to show what the state machine costs.
  cmd->add_option("--ingest-engine", flags->ingest_engine,
                  "workflow (default) or direct: the same checks in plain C++, a benchmark "
                  "reference")
      ->check(CLI::IsMember({"workflow", "direct"}))
      ->group("");
  cmd->add_option("--threads", flags->threads, "IO threads (0 = one per core)")
      ->envname("INGESTD_THREADS")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--max-connections", flags->max_connections,
                  "Open connections beyond this are refused with 503")
      ->envname("INGESTD_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  return [flags] { return Serve(*flags); };
}

}  // namespace ingestd::cli
