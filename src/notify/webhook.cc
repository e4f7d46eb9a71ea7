#include "notify/webhook.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto.h"

#ifndef INGESTD_VERSION
#define INGESTD_VERSION "dev"
#endif

namespace ingestd::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr std::size_t kSha256Size = 32;
// The answer is only looked at for its status and Retry-After; a body this large is not read.
constexpr std::uint64_t kResponseBodyLimit = std::uint64_t{64} * 1024;
constexpr absl::Duration kDestructorGrace = absl::Seconds(5);
// A wait long enough to mean "until woken"; the loop re-checks after it anyway.
constexpr auto kIdleWait = std::chrono::hours(24);

// Where the webhook URL points.
struct Target {
  std::string host;                          // to resolve (empty when `address` is set)
  std::optional<asio::ip::address> address;  // an IP literal, used as is
  std::uint16_t port = 80;
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // path and query, "/" at least
};

absl::Status UrlError(std::string_view url, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format(
      "approval webhook URL \"{}\": {} (expected http://host[:port][/path])", url, why));
}

absl::StatusOr<Target> ParseUrl(std::string_view url) {
  auto parsed = boost::urls::parse_uri(boost::urls::string_view(url.data(), url.size()));
  if (!parsed) return UrlError(url, "not an absolute URL");
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) {
    return UrlError(url,
                    "https is not supported yet; use http:// (for TLS, point it at a local "
                    "TLS-terminating proxy)");
  }
  if (u.scheme_id() != boost::urls::scheme::http) return UrlError(url, "the scheme must be http");
  if (!u.has_authority() || u.encoded_host().empty()) return UrlError(url, "no host");
  if (u.has_userinfo()) return UrlError(url, "credentials in the URL are not supported");
  if (u.has_fragment()) return UrlError(url, "a #fragment is not allowed");

  Target target;
  if (u.has_port() && !u.port().empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(std::string(u.port()), &port) || port < 1 || port > 65535) {
      return UrlError(url, "the port must be 1 to 65535");
    }
    target.port = static_cast<std::uint16_t>(port);
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: {
      beast::error_code ec;
      target.address = asio::ip::make_address(std::string(u.encoded_host_address()), ec);
      if (ec) return UrlError(url, "bad IP address");
      break;
    }
    case boost::urls::host_type::name:
      target.host = std::string(u.host());
      break;
    default:
      return UrlError(url, "unsupported host");
  }
  target.host_header = std::string(u.encoded_host());
  if (u.has_port() && !u.port().empty()) target.host_header += ":" + std::string(u.port());
  target.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) target.path += "?" + std::string(u.encoded_query());
  return target;
}

absl::Status ValidateOptions(const WebhookOptions& options) {
  if (options.secret.empty()) {
    return absl::InvalidArgumentError("approval webhook secret is empty: it is the HMAC key");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("approval webhook max_attempts must be at least 1");
  }
  if (options.initial_backoff < absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "approval webhook backoff: need 0 <= initial_backoff <= max_backoff");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("approval webhook timeout must be positive");
  }
  if (options.max_queue < 1) {
    return absl::InvalidArgumentError("approval webhook max_queue must be at least 1");
  }
  return absl::OkStatus();
}

// The "event" member of the JSON object, if it is a string that is safe in a header.
std::string EventName(std::string_view body) {
  boost::json::error_code ec;
  boost::json::value value =
      boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec || !value.is_object()) return "unknown";
  const boost::json::value* name = value.as_object().if_contains("event");
  if (name == nullptr || !name->is_string() || name->as_string().empty() ||
      name->as_string().size() > 128) {
    return "unknown";
  }
  std::string result(name->as_string());
  const bool safe = std::all_of(result.begin(), result.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == ':' || c == '/';
  });
  return safe ? result : "unknown";
}

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration()));
}

struct Event {
  std::uint64_t seq = 0;  // order of Notify calls: smaller is older
  std::string id;
  std::string body;
  std::string name;       // computed on the first attempt
  std::string signature;  // computed on the first attempt
  int attempts = 0;
  int last_status = 0;
  std::string last_error;
};

struct AttemptResult {
  int status = 0;     // HTTP status, 0 when no answer came
  std::string error;  // transport error, empty when an answer came
  std::optional<absl::Duration> retry_after;
};

bool IsRetryableStatus(int status) { return status >= 500 || status == 429 || status == 408; }

}  // namespace

class WebhookNotifier::Impl {
 public:
  Impl(WebhookOptions options, Target target)
      : options_(std::move(options)),
        target_(std::move(target)),
        clock_(options_.clock != nullptr ? *options_.clock : common::Clock::Real()),
        jitter_rng_(std::random_device{}()) {}

  ~Impl() {
    try {
      Close(kDestructorGrace);
    } catch (const std::exception& e) {
      // Only a failure to join the thread can land here; a destructor must not throw.
      spdlog::error("approval webhook: closing failed: {}", e.what());
    }
  }

  void Start() {
    asio::co_spawn(io_, Run(), [](const std::exception_ptr& error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("approval webhook: delivery loop stopped: {}", e.what());
      }
    });
    thread_ = std::thread([this] { io_.run(); });
  }

  void Notify(std::string body) {
    std::optional<Event> dropped;
    std::string drop_reason;
    {
      absl::MutexLock lock(&mu_);
      Event event{.seq = next_seq_++, .id = common::RandomUuid(), .body = std::move(body)};
      if (closing_) {
        dropped = std::move(event);
        drop_reason = "dropped: the notifier is closed";
      } else {
        if (HeldLocked() >= options_.max_queue) {
          dropped = DropOldestLocked();
          drop_reason = fmt::format("dropped: queue full ({} events held)", options_.max_queue);
        }
        fresh_.push_back(std::move(event));
        // A busy loop looks at the queue before it waits again; only an idle one needs
        // waking, once (posting costs a system call to wake the io thread).
        if (idle_) {
          idle_ = false;
          asio::post(io_, [this] { wake_.cancel(); });
        }
      }
    }
    if (dropped) Report(*dropped, false, drop_reason);
  }

  void Close(absl::Duration grace) {
    absl::MutexLock close_lock(&close_mu_);
    if (closed_) return;
    closed_ = true;
    const SteadyTime deadline = SteadyClock::now() + ToChrono(grace);
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
      close_deadline_ = deadline;
    }
    asio::post(io_, [this, deadline] {
      if (finished_) return;
      wake_.cancel();  // re-evaluate with closing_ set
      close_timer_.expires_at(deadline);
      close_timer_.async_wait([this](beast::error_code ec) {
        if (ec) return;
        // Out of time: interrupt the attempt in flight and the wait for a retry.
        abort_ = true;
        if (current_stream_ != nullptr) current_stream_->cancel();
        if (current_resolver_ != nullptr) current_resolver_->cancel();
        wake_.cancel();
      });
    });
    thread_.join();

    std::vector<Event> left;
    {
      absl::MutexLock lock(&mu_);
      for (Event& event : fresh_) left.push_back(std::move(event));
      for (auto& [seq, retry] : retries_) left.push_back(std::move(retry.second));
      fresh_.clear();
      retries_.clear();
    }
    for (Event& event : left) Report(event, false, "abandoned: the notifier closed first");
  }

 private:
  // (when it falls due, the event)
  using Retry = std::pair<SteadyTime, Event>;

  std::size_t HeldLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return fresh_.size() + retries_.size();
  }

  // Events waiting for a retry were all taken from fresh_ before anything now in fresh_ was
  // queued, so they are the oldest.
  std::optional<Event> DropOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!retries_.empty()) {
      Event event = std::move(retries_.begin()->second.second);
      retries_.erase(retries_.begin());
      return event;
    }
    if (!fresh_.empty()) {
      Event event = std::move(fresh_.front());
      fresh_.pop_front();
      return event;
    }
    return std::nullopt;
  }

  void Report(const Event& event, bool delivered, std::string error) {
    DeliveryRecord record{
        .delivery_id = event.id,
        .event = event.name.empty() ? EventName(event.body) : event.name,
        .attempts = event.attempts,
        .status_code = event.last_status,
        .error = std::move(error),
        .delivered = delivered,
    };
    if (delivered) {
      spdlog::info("approval webhook: delivered {} {} (attempt {}, HTTP {})", record.event,
                   record.delivery_id, record.attempts, record.status_code);
    } else {
      spdlog::warn("approval webhook: gave up on {} {} after {} attempt(s): {}", record.event,
                   record.delivery_id, record.attempts, record.error);
    }
    if (options_.on_delivery) options_.on_delivery(record);
  }

  absl::Duration Backoff(int attempts) {
    absl::Duration cap = options_.initial_backoff;
    for (int i = 1; i < attempts && cap < options_.max_backoff; ++i) cap *= 2;
    cap = std::min(cap, options_.max_backoff);
    std::uniform_int_distribution<std::int64_t> jitter(0, absl::ToInt64Nanoseconds(cap));
    return absl::Nanoseconds(jitter(jitter_rng_));
  }

  asio::awaitable<void> Run() {
    for (;;) {
      std::optional<Event> event;
      SteadyTime wake_at = SteadyClock::now() + kIdleWait;
      {
        absl::MutexLock lock(&mu_);
        idle_ = false;
        if (abort_) break;
        const SteadyTime now = SteadyClock::now();
        auto due = std::min_element(
            retries_.begin(), retries_.end(),
            [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
        if (due != retries_.end() && due->second.first <= now) {
          event = std::move(due->second.second);
          retries_.erase(due);
        } else if (!fresh_.empty()) {
          event = std::move(fresh_.front());
          fresh_.pop_front();
        } else if (due == retries_.end()) {
          if (closing_) break;
        } else {
          if (closing_ && due->second.first > close_deadline_) break;
          wake_at = due->second.first;
        }
        if (!event) idle_ = true;
      }
      if (!event) {
        wake_.expires_at(wake_at);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }

      if (event->attempts == 0) {
        event->name = EventName(event->body);
        event->signature = SignBody(options_.secret, event->body);
      }
      AttemptResult result;
      try {
        result = co_await Attempt(*event);
      } catch (const std::exception& e) {
        result = AttemptResult{.error = e.what()};
      }
      ++event->attempts;
      event->last_status = result.status;
      event->last_error =
          result.status != 0 ? fmt::format("HTTP {}", result.status) : std::move(result.error);

      if (result.status >= 200 && result.status < 300) {
        Report(*event, true, "");
        if (abort_) break;
        continue;
      }
      if (abort_) {
        Report(*event, false,
               fmt::format("abandoned: the notifier closed during attempt {}", event->attempts));
        break;
      }
      if (result.status != 0 && !IsRetryableStatus(result.status)) {
        Report(*event, false,
               fmt::format("the receiver answered HTTP {}, which is not retried", result.status));
        continue;
      }
      if (event->attempts >= options_.max_attempts) {
        Report(
            *event, false,
            fmt::format("no success in {} attempts; last: {}", event->attempts, event->last_error));
        continue;
      }
      const absl::Duration delay = result.retry_after
                                       ? std::min(*result.retry_after, options_.max_backoff)
                                       : Backoff(event->attempts);
      spdlog::debug("approval webhook: {} attempt {} failed ({}); retrying in {}", event->id,
                    event->attempts, event->last_error, absl::FormatDuration(delay));
      std::optional<Event> dropped;
      {
        absl::MutexLock lock(&mu_);
        if (HeldLocked() >= options_.max_queue) dropped = DropOldestLocked();
        const std::uint64_t seq = event->seq;
        retries_.emplace(seq, Retry(SteadyClock::now() + ToChrono(delay), std::move(*event)));
      }
      if (dropped) {
        Report(*dropped, false,
               fmt::format("dropped: queue full ({} events held)", options_.max_queue));
      }
    }
    finished_ = true;
    close_timer_.cancel();
  }

  // One POST of `event`, bounded by options_.timeout overall.
  asio::awaitable<AttemptResult> Attempt(const Event& event) {
    AttemptResult result;
    auto executor = co_await asio::this_coro::executor;
    const SteadyTime deadline = SteadyClock::now() + ToChrono(options_.timeout);
    const std::string timeout_text = absl::FormatDuration(options_.timeout);

    std::vector<tcp::endpoint> endpoints;
    if (target_.address) {
      endpoints.emplace_back(*target_.address, target_.port);
    } else {
      auto resolver = std::make_shared<tcp::resolver>(executor);
      current_resolver_ = resolver.get();
      absl::Cleanup forget_resolver = [this] { current_resolver_ = nullptr; };
      // The resolver has no deadline of its own; the watchdog only holds a weak reference
      // because its handler may run after this attempt is over.
      asio::steady_timer watchdog(executor);
      watchdog.expires_at(deadline);
      watchdog.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](beast::error_code ec) {
        if (ec) return;
        if (auto strong = weak.lock()) strong->cancel();
      });
      auto [ec, results] = co_await resolver->async_resolve(
          target_.host, std::to_string(target_.port), asio::as_tuple(asio::use_awaitable));
      watchdog.cancel();
      if (ec) {
        result.error =
            SteadyClock::now() >= deadline
                ? fmt::format("resolving {} timed out after {}", target_.host, timeout_text)
                : fmt::format("cannot resolve {}: {}", target_.host, ec.message());
        co_return result;
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    beast::tcp_stream stream(executor);
    current_stream_ = &stream;
    absl::Cleanup forget_stream = [this] { current_stream_ = nullptr; };
    // One deadline for connect, write and read together.
    stream.expires_at(deadline);
    auto describe = [&](std::string_view step, const beast::error_code& ec) {
      if (ec == beast::error::timeout) {
        return fmt::format("{} {} timed out after {}", step, target_.host_header, timeout_text);
      }
      return fmt::format("{} {}: {}", step, target_.host_header, ec.message());
    };

    auto [connect_ec, endpoint] =
        co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    if (connect_ec) {
      result.error = describe("connecting to", connect_ec);
      co_return result;
    }

    http::request<http::string_body> request{http::verb::post, target_.path, 11};
    request.set(http::field::host, target_.host_header);
    request.set(http::field::user_agent, "ingestd/" INGESTD_VERSION);
    request.set(http::field::content_type, "application/json");
    request.set("X-Ingestd-Event", event.name);
    request.set("X-Ingestd-Delivery", event.id);
    request.set("X-Ingestd-Timestamp", std::to_string(absl::ToUnixSeconds(clock_.Now())));
    request.set("X-Ingestd-Signature-256", event.signature);
    request.keep_alive(false);
    request.body() = event.body;
    request.prepare_payload();
    auto [write_ec, written] =
        co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
    if (write_ec) {
      result.error = describe("sending to", write_ec);
      co_return result;
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    auto [read_ec, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    // The status line and headers are all that matter; a body cut short or too long does not
    // change the receiver's answer.
    if (!parser.is_header_done()) {
      result.error = describe("reading the answer from", read_ec);
      co_return result;
    }
    const auto& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      std::int64_t seconds = 0;
      std::string value(it->value());
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) && seconds >= 0) {
        result.retry_after = absl::Seconds(seconds);
      }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return result;
  }

  const WebhookOptions options_;
  const Target target_;
  const common::Clock& clock_;

  asio::io_context io_;
  std::thread thread_;

  // Used on the io thread only.
  asio::steady_timer wake_{io_};
  asio::steady_timer close_timer_{io_};
  bool abort_ = false;
  bool finished_ = false;
  beast::tcp_stream* current_stream_ = nullptr;
  tcp::resolver* current_resolver_ = nullptr;
  std::mt19937_64 jitter_rng_;

  absl::Mutex mu_;
  std::deque<Event> fresh_ ABSL_GUARDED_BY(mu_);
  // Keyed by Event::seq, so begin() is the oldest.
  std::map<std::uint64_t, Retry> retries_ ABSL_GUARDED_BY(mu_);
  // The loop is waiting (for an event or a retry's time) and has not been woken yet.
  bool idle_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  SteadyTime close_deadline_ ABSL_GUARDED_BY(mu_);
  std::uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex close_mu_;
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

absl::StatusOr<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(WebhookOptions options) {
  absl::StatusOr<Target> target = ParseUrl(options.url);
  if (!target.ok()) return target.status();
  if (absl::Status valid = ValidateOptions(options); !valid.ok()) return valid;
  auto impl = std::make_unique<Impl>(std::move(options), *std::move(target));
  impl->Start();
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(std::move(impl)));
}

WebhookNotifier::WebhookNotifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookNotifier::~WebhookNotifier() = default;

void WebhookNotifier::Notify(std::string event_json) { impl_->Notify(std::move(event_json)); }

void WebhookNotifier::Close(absl::Duration grace) { impl_->Close(grace); }

std::string SignBody(std::string_view secret, std::string_view body) {
  return std::string(kSignaturePrefix) + common::HmacSha256Hex(secret, body);
}

bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header) {
  if (header.size() != kSignaturePrefix.size() + 2 * kSha256Size ||
      header.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return false;
  }
  std::string given(header.substr(kSignaturePrefix.size()));
  for (char& c : given) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return common::ConstantTimeEqual(given, common::HmacSha256Hex(secret, body));
}

}  // namespace ingestd::notify
