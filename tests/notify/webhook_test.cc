#include "notify/webhook.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "testing/status_matchers.h"

namespace ingestd::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::ingestd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

// Generous: only reached when something is broken, never waited out in a passing run.
constexpr absl::Duration kWaitLimit = absl::Seconds(30);

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct Reply {
  enum class Mode {
    kAnswer,  // answer at once
    kHold,    // answer once the gate opens
    kSilent,  // read the request and never answer (until the client gives up)
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  Mode mode = Mode::kAnswer;
};

// A real HTTP/1.1 receiver on 127.0.0.1 (port 0), on its own thread. `script` decides the
// reply to each request, given the request and how many came before it.
class Receiver {
 public:
  using Script = std::function<Reply(const ReceivedRequest&, int index)>;

  // With `gated_accept`, no connection is accepted before OpenGate().
  explicit Receiver(Script script, bool gated_accept = false)
      : script_(std::move(script)), accept_open_(!gated_accept) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_gate_.expires_at(asio::steady_timer::time_point::max());
    reply_gate_.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(io_, Serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Receiver() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string Url(std::string_view path = "/hook") const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }

  // Lets connections be accepted and held replies be sent.
  void OpenGate() {
    asio::post(io_, [this] {
      accept_open_ = true;
      reply_open_ = true;
      accept_gate_.cancel();
      reply_gate_.cancel();
    });
  }

  int accepted() const { return accepted_.load(); }

  bool WaitForRequests(std::size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
  }

  std::vector<ReceivedRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  static asio::awaitable<void> WaitForGate(const bool& open, asio::steady_timer& gate) {
    if (!open) co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> Serve() {
    co_await WaitForGate(accept_open_, accept_gate_);
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(io_, Handle(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Handle(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [ec, n] =
        co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    ReceivedRequest received{.method = std::string(request.method_string()),
                             .target = std::string(request.target()),
                             .body = request.body()};
    for (const auto& field : request) {
      received.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    int index = 0;
    {
      absl::MutexLock lock(&mu_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(received);
    }
    const Reply reply = script_(received, index);
    if (reply.mode == Reply::Mode::kSilent) {
      // Returns when the client closes the connection.
      co_await stream.async_read_some(buffer.prepare(1024), asio::as_tuple(asio::use_awaitable));
      co_return;
    }
    if (reply.mode == Reply::Mode::kHold) co_await WaitForGate(reply_open_, reply_gate_);
    http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    if (reply.status != 204) response.body() = R"({"ok":true})";
    response.keep_alive(false);
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  // The gates and their flags are used on the io thread only.
  asio::steady_timer accept_gate_{io_};
  asio::steady_timer reply_gate_{io_};
  bool accept_open_;
  bool reply_open_ = false;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;

  absl::Mutex mu_;
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
};

Reply Answer(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return Reply{.status = status, .headers = std::move(headers)};
}

// Collects what on_delivery reports.
class Recorder {
 public:
  std::function<void(const DeliveryRecord&)> Callback() {
    return [this](const DeliveryRecord& record) {
      absl::MutexLock lock(&mu_);
      records_.push_back(record);
    };
  }

  bool WaitFor(std::size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return records_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
  }

  std::vector<DeliveryRecord> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }

 private:
  absl::Mutex mu_;
  std::vector<DeliveryRecord> records_ ABSL_GUARDED_BY(mu_);
};

// Options for a fast test: millisecond backoffs.
WebhookOptions FastOptions(std::string url, Recorder& recorder) {
  return WebhookOptions{
      .url = std::move(url),
      .secret = "s3cret",
      .max_attempts = 4,
      .initial_backoff = absl::Milliseconds(1),
      .max_backoff = absl::Milliseconds(5),
      .timeout = absl::Seconds(20),
      .on_delivery = recorder.Callback(),
  };
}

// HMAC-SHA256 through OpenSSL's EVP_MAC interface, independent of the notifier's code.
std::string IndependentSignature(std::string_view secret, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t length = 0;
  const unsigned char* result =
      EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(),
                mac.size(), &length);
  EXPECT_NE(result, nullptr);
  std::string hex = "sha256=";
  for (std::size_t i = 0; i < length; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

// A port nothing listens on: bound, then closed.
std::uint16_t ClosedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(SignBody, MatchesRfc4231TestCase2) {
  EXPECT_EQ(SignBody("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignBody, HandlesEmptyBodyAndEmptySecret) {
  EXPECT_EQ(SignBody("key", ""), IndependentSignature("key", ""));
  EXPECT_EQ(SignBody("", "body"), IndependentSignature("", "body"));
}

TEST(VerifySignature, AcceptsOnlyTheRightSignature) {
  const std::string body = R"({"event":"approval.pending","id":"42"})";
  const std::string good = SignBody("secret", body);
  EXPECT_TRUE(VerifySignature("secret", body, good));
  EXPECT_TRUE(VerifySignature("secret", body, "sha256=" + absl::AsciiStrToUpper(good.substr(7))));
  EXPECT_FALSE(VerifySignature("Secret", body, good));
  EXPECT_FALSE(VerifySignature("secret", body + " ", good));
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(VerifySignature("secret", body, flipped));
  EXPECT_FALSE(VerifySignature("secret", body, good.substr(7)));  // no "sha256="
  EXPECT_FALSE(VerifySignature("secret", body, "sha1=" + good.substr(7)));
  EXPECT_FALSE(VerifySignature("secret", body, good + "0"));
  EXPECT_FALSE(VerifySignature("secret", body, good.substr(0, good.size() - 2)));
  std::string not_hex = good;
  not_hex[10] = 'g';
  EXPECT_FALSE(VerifySignature("secret", body, not_hex));
  EXPECT_FALSE(VerifySignature("secret", body, ""));
}

TEST(WebhookNotifierCreate, RefusesUrlsThatAreNotPlainHttp) {
  struct Case {
    std::string url;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "not an absolute URL"},
      {"not a url", "not an absolute URL"},
      {"127.0.0.1:8080/hook", "not an absolute URL"},
      {"localhost:8080/hook", "scheme must be http"},
      {"https://example.com/hook", "https is not supported yet"},
      {"ftp://example.com/hook", "scheme must be http"},
      {"http:/hook", "no host"},
      {"http://user:pw@example.com/hook", "credentials"},
      {"http://example.com/hook#frag", "fragment"},
      {"http://example.com:0/hook", "port must be 1 to 65535"},
      {"http://example.com:70000/hook", "port must be 1 to 65535"},
      {"http://[v1.x]/hook", "unsupported host"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    EXPECT_THAT(WebhookNotifier::Create({.url = c.url, .secret = "s"}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.message), HasSubstr("http://host[:port][/path]"))));
  }
}

TEST(WebhookNotifierCreate, AcceptsHttpUrls) {
  for (const std::string url :
       {"http://127.0.0.1:8080/hook", "http://localhost/", "http://example.com",
        "http://[::1]:9000/a/b?c=d", "http://Example.COM:80/x%20y"}) {
    SCOPED_TRACE(url);
    EXPECT_OK(WebhookNotifier::Create({.url = url, .secret = "s"}));
  }
}

TEST(WebhookNotifierCreate, RefusesBadOptions) {
  const std::string url = "http://127.0.0.1:9/hook";
  EXPECT_THAT(WebhookNotifier::Create({.url = url}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secret is empty")));
  EXPECT_THAT(WebhookNotifier::Create({.url = url, .secret = "s", .max_attempts = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_attempts")));
  EXPECT_THAT(WebhookNotifier::Create({.url = url,
                                       .secret = "s",
                                       .initial_backoff = absl::Seconds(2),
                                       .max_backoff = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backoff")));
  EXPECT_THAT(WebhookNotifier::Create({.url = url, .secret = "s", .timeout = absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
  EXPECT_THAT(WebhookNotifier::Create({.url = url, .secret = "s", .max_queue = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_queue")));
}

TEST(WebhookNotifier, PostsTheSignedBodyWithItsHeaders) {
  Receiver receiver([](const ReceivedRequest&, int) { return Answer(204); });
  Recorder recorder;
  common::ManualClock clock(absl::FromUnixSeconds(1'700'000'123));
  WebhookOptions options = FastOptions(receiver.Url("/hooks/ingestd?team=ops"), recorder);
  options.clock = &clock;
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));

  // Not in any canonical form: spacing, key order, an escaped and a raw UTF-8 character.
  const std::string body =
      "{ \"event\" : \"approval.pending\",\"id\":\"a1\",\n"
      "\"input\":{\"user_name\":\"J\\u00f6rg\",\"city\":\"M\xc3\xbcnchen\"},"
      "\"approve_url\":\"http://127.0.0.1:8081/approvals/a1/approve\"}";
  notifier->Notify(body);
  ASSERT_TRUE(recorder.WaitFor(1));

  const DeliveryRecord record = recorder.records()[0];
  EXPECT_TRUE(record.delivered);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.status_code, 204);
  EXPECT_EQ(record.error, "");
  EXPECT_EQ(record.event, "approval.pending");
  EXPECT_THAT(record.delivery_id,
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));

  ASSERT_EQ(receiver.requests().size(), 1U);
  ReceivedRequest request = receiver.requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/ingestd?team=ops");
  EXPECT_EQ(request.body, body);
  EXPECT_EQ(request.headers["host"], fmt::format("127.0.0.1:{}", receiver.port()));
  EXPECT_EQ(request.headers["content-type"], "application/json");
  EXPECT_EQ(request.headers["content-length"], std::to_string(body.size()));
  EXPECT_THAT(request.headers["user-agent"], StartsWith("ingestd/"));
  EXPECT_EQ(request.headers["x-ingestd-event"], "approval.pending");
  EXPECT_EQ(request.headers["x-ingestd-delivery"], record.delivery_id);
  EXPECT_EQ(request.headers["x-ingestd-timestamp"], "1700000123");
  const std::string signature = request.headers["x-ingestd-signature-256"];
  EXPECT_TRUE(VerifySignature("s3cret", request.body, signature));
  EXPECT_EQ(signature, IndependentSignature("s3cret", request.body));
  EXPECT_FALSE(VerifySignature("other", request.body, signature));
}

TEST(WebhookNotifier, NamesTheEventUnknownWhenTheJsonHasNone) {
  Receiver receiver([](const ReceivedRequest&, int) { return Answer(200); });
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto notifier,
                       WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
  notifier->Notify(R"({"id":"a1"})");
  notifier->Notify(R"({"event":"bad\r\nX-Evil: 1"})");
  notifier->Notify("not json");
  ASSERT_TRUE(recorder.WaitFor(3));
  for (const ReceivedRequest& request : receiver.requests()) {
    EXPECT_EQ(request.headers.at("x-ingestd-event"), "unknown");
    EXPECT_EQ(request.headers.count("x-evil"), 0U);
  }
}

TEST(WebhookNotifier, RetriesServerErrorsThenDelivers) {
  Receiver receiver(
      [](const ReceivedRequest&, int index) { return Answer(index < 2 ? 500 : 200); });
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto notifier,
                       WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
  notifier->Notify(R"({"event":"approval.pending","id":"a1"})");
  ASSERT_TRUE(recorder.WaitFor(1));

  const DeliveryRecord record = recorder.records()[0];
  EXPECT_TRUE(record.delivered);
  EXPECT_EQ(record.attempts, 3);
  EXPECT_EQ(record.status_code, 200);
  const std::vector<ReceivedRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (const ReceivedRequest& request : requests) {
    EXPECT_EQ(request.body, R"({"event":"approval.pending","id":"a1"})");
    EXPECT_EQ(request.headers.at("x-ingestd-delivery"), record.delivery_id);
    EXPECT_TRUE(
        VerifySignature("s3cret", request.body, request.headers.at("x-ingestd-signature-256")));
  }
}

TEST(WebhookNotifier, Retries429And408And503) {
  for (int status : {429, 408, 503}) {
    SCOPED_TRACE(status);
    Receiver receiver(
        [status](const ReceivedRequest&, int index) { return Answer(index == 0 ? status : 201); });
    Recorder recorder;
    ASSERT_OK_AND_ASSIGN(auto notifier,
                         WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
    notifier->Notify(R"({"event":"approval.pending"})");
    ASSERT_TRUE(recorder.WaitFor(1));
    EXPECT_TRUE(recorder.records()[0].delivered);
    EXPECT_EQ(recorder.records()[0].attempts, 2);
    EXPECT_EQ(recorder.records()[0].status_code, 201);
  }
}

TEST(WebhookNotifier, GivesUpAtOnceOnOtherClientErrors) {
  for (int status : {400, 401, 404, 301}) {
    SCOPED_TRACE(status);
    Receiver receiver([status](const ReceivedRequest&, int) { return Answer(status); });
    Recorder recorder;
    ASSERT_OK_AND_ASSIGN(auto notifier,
                         WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
    notifier->Notify(R"({"event":"approval.pending"})");
    ASSERT_TRUE(recorder.WaitFor(1));
    const DeliveryRecord record = recorder.records()[0];
    EXPECT_FALSE(record.delivered);
    EXPECT_EQ(record.attempts, 1);
    EXPECT_EQ(record.status_code, status);
    EXPECT_THAT(record.error, HasSubstr(fmt::format("HTTP {}", status)));
    notifier->Close(absl::Seconds(10));
    EXPECT_EQ(receiver.requests().size(), 1U);
  }
}

TEST(WebhookNotifier, HonoursRetryAfterInPlaceOfTheBackoff) {
  // The backoff alone would wait up to an hour; Retry-After: 0 retries at once.
  Receiver receiver([](const ReceivedRequest&, int index) {
    return index == 0 ? Answer(503, {{"Retry-After", "0"}}) : Answer(200);
  });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.initial_backoff = absl::Hours(1);
  options.max_backoff = absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  EXPECT_TRUE(recorder.records()[0].delivered);
  EXPECT_EQ(recorder.records()[0].attempts, 2);
}

TEST(WebhookNotifier, RetriesARefusedConnectionThenGivesUp) {
  Recorder recorder;
  WebhookOptions options =
      FastOptions(fmt::format("http://127.0.0.1:{}/hook", ClosedPort()), recorder);
  options.max_attempts = 3;
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  const DeliveryRecord record = recorder.records()[0];
  EXPECT_FALSE(record.delivered);
  EXPECT_EQ(record.attempts, 3);
  EXPECT_EQ(record.status_code, 0);
  EXPECT_THAT(record.error, AllOf(HasSubstr("3 attempts"), HasSubstr("refused")));
}

TEST(WebhookNotifier, RetriesAfterATimeout) {
  Receiver receiver([](const ReceivedRequest&, int index) {
    return index == 0 ? Reply{.mode = Reply::Mode::kSilent} : Answer(200);
  });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.timeout = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  EXPECT_TRUE(recorder.records()[0].delivered);
  EXPECT_EQ(recorder.records()[0].attempts, 2);
  EXPECT_EQ(receiver.requests().size(), 2U);
}

TEST(WebhookNotifier, ReportsTimeoutsWhenGivingUp) {
  Receiver receiver(
      [](const ReceivedRequest&, int) { return Reply{.mode = Reply::Mode::kSilent}; });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.timeout = absl::Milliseconds(100);
  options.max_attempts = 2;
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  EXPECT_FALSE(recorder.records()[0].delivered);
  EXPECT_EQ(recorder.records()[0].attempts, 2);
  EXPECT_THAT(recorder.records()[0].error, HasSubstr("timed out after 100ms"));
}

TEST(WebhookNotifier, NotifyReturnsBeforeTheReceiverHasEvenAccepted) {
  Receiver receiver([](const ReceivedRequest&, int) { return Answer(200); },
                    /*gated_accept=*/true);
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto notifier,
                       WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
  notifier->Notify(R"({"event":"approval.pending","id":"1"})");
  notifier->Notify(R"({"event":"approval.pending","id":"2"})");
  // Had Notify waited for any part of the delivery, the receiver would have accepted.
  EXPECT_EQ(receiver.accepted(), 0);
  EXPECT_TRUE(recorder.records().empty());
  receiver.OpenGate();
  ASSERT_TRUE(recorder.WaitFor(2));
  EXPECT_TRUE(recorder.records()[0].delivered);
  EXPECT_TRUE(recorder.records()[1].delivered);
}

TEST(WebhookNotifier, ARetryWaitDoesNotHoldBackLaterEvents) {
  Receiver receiver([](const ReceivedRequest& request, int) {
    return request.body.find("slow") != std::string::npos ? Answer(503, {{"Retry-After", "3600"}})
                                                          : Answer(200);
  });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.max_backoff = absl::Hours(2);
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending","id":"slow"})");
  notifier->Notify(R"({"event":"approval.pending","id":"fast"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  const DeliveryRecord fast = recorder.records()[0];
  EXPECT_TRUE(fast.delivered);
  EXPECT_EQ(fast.attempts, 1);

  // The first event waits an hour for its retry; Close does not wait for it.
  const absl::Time before = absl::Now();
  notifier->Close(absl::Seconds(20));
  EXPECT_LT(absl::Now() - before, absl::Seconds(20));
  ASSERT_EQ(recorder.records().size(), 2U);
  const DeliveryRecord slow = recorder.records()[1];
  EXPECT_FALSE(slow.delivered);
  EXPECT_EQ(slow.attempts, 1);
  EXPECT_EQ(slow.status_code, 503);
  EXPECT_THAT(slow.error, HasSubstr("closed"));
}

TEST(WebhookNotifier, DropsTheOldestWhenTheQueueIsFull) {
  Receiver receiver([](const ReceivedRequest&, int index) {
    return index == 0 ? Reply{.mode = Reply::Mode::kHold} : Answer(200);
  });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.max_queue = 2;
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending","id":"1"})");
  ASSERT_TRUE(receiver.WaitForRequests(1));  // event 1 is in flight, not in the queue
  notifier->Notify(R"({"event":"approval.pending","id":"2"})");
  notifier->Notify(R"({"event":"approval.pending","id":"3"})");
  notifier->Notify(R"({"event":"approval.pending","id":"4"})");
  // Event 2 made room for event 4, before Notify returned.
  ASSERT_EQ(recorder.records().size(), 1U);
  EXPECT_FALSE(recorder.records()[0].delivered);
  EXPECT_EQ(recorder.records()[0].attempts, 0);
  EXPECT_THAT(recorder.records()[0].error, HasSubstr("queue full"));

  receiver.OpenGate();
  ASSERT_TRUE(recorder.WaitFor(4));
  std::vector<std::string> bodies;
  for (const ReceivedRequest& request : receiver.requests()) bodies.push_back(request.body);
  EXPECT_THAT(bodies, ::testing::ElementsAre(R"({"event":"approval.pending","id":"1"})",
                                             R"({"event":"approval.pending","id":"3"})",
                                             R"({"event":"approval.pending","id":"4"})"));
}

TEST(WebhookNotifier, CloseDrainsTheQueue) {
  // Every third event fails its first attempt, so the drain includes retries.
  std::map<std::string, int> seen;  // the receiver's thread only
  Receiver receiver([&seen](const ReceivedRequest& request, int index) {
    return Answer(seen[request.body]++ == 0 && index % 3 == 0 ? 500 : 200);
  });
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto notifier,
                       WebhookNotifier::Create(FastOptions(receiver.Url(), recorder)));
  constexpr int events = 20;
  for (int i = 0; i < events; ++i) {
    notifier->Notify(fmt::format(R"({{"event":"approval.pending","id":"{}"}})", i));
  }
  notifier->Close(absl::Seconds(20));
  const std::vector<DeliveryRecord> records = recorder.records();
  ASSERT_EQ(records.size(), static_cast<std::size_t>(events));
  for (const DeliveryRecord& record : records) EXPECT_TRUE(record.delivered) << record.error;

  // After Close, events are refused at once, and reported.
  notifier->Notify(R"({"event":"approval.pending","id":"late"})");
  ASSERT_EQ(recorder.records().size(), static_cast<std::size_t>(events + 1));
  EXPECT_FALSE(recorder.records().back().delivered);
  EXPECT_THAT(recorder.records().back().error, HasSubstr("closed"));
}

TEST(WebhookNotifier, CloseAbandonsWhatIsLeftAfterTheGrace) {
  Receiver receiver(
      [](const ReceivedRequest&, int) { return Reply{.mode = Reply::Mode::kSilent}; });
  Recorder recorder;
  WebhookOptions options = FastOptions(receiver.Url(), recorder);
  options.timeout = absl::Minutes(10);
  ASSERT_OK_AND_ASSIGN(auto notifier, WebhookNotifier::Create(std::move(options)));
  notifier->Notify(R"({"event":"approval.pending","id":"1"})");
  notifier->Notify(R"({"event":"approval.pending","id":"2"})");
  ASSERT_TRUE(receiver.WaitForRequests(1));

  const absl::Time before = absl::Now();
  notifier->Close(absl::Milliseconds(50));
  EXPECT_LT(absl::Now() - before, absl::Minutes(1));  // not the 10 minute timeout
  const std::vector<DeliveryRecord> records = recorder.records();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_FALSE(records[0].delivered);
  EXPECT_EQ(records[0].attempts, 1);
  EXPECT_THAT(records[0].error, HasSubstr("closed during attempt 1"));
  EXPECT_FALSE(records[1].delivered);
  EXPECT_EQ(records[1].attempts, 0);
  EXPECT_THAT(records[1].error, HasSubstr("closed"));
}

TEST(WebhookNotifier, ResolvesHostNames) {
  Receiver receiver([](const ReceivedRequest&, int) { return Answer(200); });
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto notifier,
                       WebhookNotifier::Create(FastOptions(
                           fmt::format("http://localhost:{}/hook", receiver.port()), recorder)));
  notifier->Notify(R"({"event":"approval.pending"})");
  ASSERT_TRUE(recorder.WaitFor(1));
  // localhost may resolve to ::1 first, where nothing listens; 127.0.0.1 must then be tried.
  EXPECT_TRUE(recorder.records()[0].delivered) << recorder.records()[0].error;
  EXPECT_EQ(receiver.requests().at(0).headers.at("host"),
            fmt::format("localhost:{}", receiver.port()));
}

}  // namespace
}  // namespace ingestd::notify
