#include "loadgen/runner.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ::ingestd::testing::StatusIs;

// A tiny HTTP/1.1 server on 127.0.0.1:0 that answers every request the same way.
class TestServer {
 public:
  enum class Mode {
    kKeepAlive,  // answers and keeps the connection
    kCloseEach,  // answers with Connection: close and closes
    kSilent,     // reads, never answers
  };

  explicit TestServer(Mode mode, int status = 201)
      : mode_(mode),
        status_(status),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/";
  }
  int requests() const { return requests_.load(); }
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf buffer;
    std::string response;
  };

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto session = std::make_shared<Session>(std::move(socket));
      Read(session);
      Accept();
    });
  }

  void Read(std::shared_ptr<Session> s) {
    asio::async_read_until(
        s->socket, s->buffer, "\r\n\r\n", [this, s](boost::system::error_code ec, size_t n) {
          if (ec) return;
          std::string head(asio::buffers_begin(s->buffer.data()),
                           asio::buffers_begin(s->buffer.data()) + n);
          s->buffer.consume(n);
          const size_t sp1 = head.find(' ');
          const size_t sp2 = head.find(' ', sp1 + 1);
          {
            std::lock_guard<std::mutex> lock(mu_);
            targets_.push_back(head.substr(sp1 + 1, sp2 - sp1 - 1));
          }
          ++requests_;
          if (mode_ == Mode::kSilent) {
            Read(s);
            return;
          }
          s->response = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Length: 11\r\n" +
                        (mode_ == Mode::kCloseEach ? "Connection: close\r\n" : "") +
                        "\r\n{\"ok\":true}";
          asio::async_write(s->socket, asio::buffer(s->response),
                            [this, s](boost::system::error_code wec, size_t) {
                              if (wec) return;
                              if (mode_ == Mode::kCloseEach) {
                                s->socket.close();
                                return;
                              }
                              Read(s);
                            });
        });
  }

  const Mode mode_;
  const int status_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> targets_;
};

absl::StatusOr<LoadResult> RunLoad(LoadOptions options, DataOptions data = {},
                                   RunCallbacks callbacks = {}) {
  auto generator = DataGenerator::Create(std::move(data));
  if (!generator.ok()) return generator.status();
  auto runner = LoadRunner::Create(std::move(options), *std::move(generator));
  if (!runner.ok()) return runner.status();
  return (*runner)->Run(callbacks);
}

TEST(LoadRunner, OpenLoopSendsExactlyTheScheduledRequests) {
  TestServer server(TestServer::Mode::kKeepAlive, 201);
  LoadOptions options;
  options.url = server.url();
  options.workers = 2;
  options.rate = 100;
  options.duration = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
  EXPECT_EQ(result.counts.sent, 40u);  // 2 workers x 100/s x 0.2 s
  EXPECT_EQ(result.counts.responses, 40u);
  EXPECT_EQ(result.counts.status[201], 40u);
  EXPECT_EQ(result.counts.total_errors(), 0u);
  EXPECT_EQ(result.counts.valid_sent, 40u);
  EXPECT_EQ(result.counts.latency.count(), 40u);
  EXPECT_DOUBLE_EQ(result.target_rate, 200);
  EXPECT_NEAR(result.achieved_rate, 200, 20);
  EXPECT_GE(result.elapsed, absl::Milliseconds(200));
  // Every request carried the fields, and every email was different.
  std::set<std::string> targets;
  for (const std::string& t : server.targets()) {
    EXPECT_THAT(t, ::testing::MatchesRegex("/\\?user_name=.*&email=.*&pincode=[0-9]+"));
    targets.insert(t.substr(t.find("&email=")));
  }
  EXPECT_EQ(targets.size(), 40u);
}

TEST(LoadRunner, ClosedLoopSendsTheRequestedCountOverManyConnections) {
  TestServer server(TestServer::Mode::kKeepAlive, 200);
  LoadOptions options;
  options.url = server.url() + "ingest?source=test";
  options.rate = std::nullopt;
  options.connections = 4;
  options.threads = 2;
  options.requests = 500;
  options.duration = std::nullopt;
  options.method = "POST";
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
  EXPECT_EQ(result.counts.sent, 500u);
  EXPECT_EQ(result.counts.status[200], 500u);
  EXPECT_EQ(result.counts.reconnects, 0u);
  EXPECT_EQ(result.target_rate, 0);
  EXPECT_GT(result.achieved_rate, 0);
  EXPECT_EQ(server.requests(), 500);
  EXPECT_THAT(server.targets()[0], ::testing::StartsWith("/ingest?source=test&user_name="));
}

TEST(LoadRunner, ReconnectsWhenTheServerClosesAndCountsIt) {
  TestServer server(TestServer::Mode::kCloseEach, 201);
  LoadOptions options;
  options.url = server.url();
  options.rate = std::nullopt;
  options.workers = 1;
  options.requests = 20;
  options.duration = std::nullopt;
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
  EXPECT_EQ(result.counts.status[201], 20u);
  EXPECT_EQ(result.counts.total_errors(), 0u);
  EXPECT_EQ(result.counts.reconnects, 19u);
}

TEST(LoadRunner, ClassifiesStatusesByWhatWasSent) {
  {
    TestServer server(TestServer::Mode::kKeepAlive, 500);
    LoadOptions options;
    options.url = server.url();
    options.rate = std::nullopt;
    options.requests = 10;
    options.duration = std::nullopt;
    ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
    EXPECT_EQ(result.counts.errors[static_cast<size_t>(ErrorKind::kServerError)], 10u);
  }
  {
    TestServer server(TestServer::Mode::kKeepAlive, 400);
    LoadOptions options;
    options.url = server.url();
    options.rate = std::nullopt;
    options.requests = 30;
    options.duration = std::nullopt;
    DataOptions all_invalid;
    all_invalid.invalid_ratio = 1;
    ASSERT_OK_AND_ASSIGN(LoadResult invalid, RunLoad(options, all_invalid));
    EXPECT_EQ(invalid.counts.total_errors(), 0u);  // a 400 is the right answer to bad data
    EXPECT_EQ(invalid.counts.valid_sent, 0u);
    uint64_t invalid_sent = 0;
    for (uint64_t n : invalid.counts.invalid_sent) invalid_sent += n;
    EXPECT_EQ(invalid_sent, 30u);
    ASSERT_OK_AND_ASSIGN(LoadResult valid, RunLoad(options));
    EXPECT_EQ(valid.counts.errors[static_cast<size_t>(ErrorKind::kUnexpectedStatus)], 30u);
  }
}

TEST(LoadRunner, TimesOutASilentServer) {
  TestServer server(TestServer::Mode::kSilent);
  LoadOptions options;
  options.url = server.url();
  options.rate = std::nullopt;
  options.workers = 1;
  options.requests = 2;
  options.duration = std::nullopt;
  options.timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
  EXPECT_EQ(result.counts.errors[static_cast<size_t>(ErrorKind::kTimeout)], 2u);
  EXPECT_EQ(result.counts.responses, 0u);
}

TEST(LoadRunner, CountsRefusedConnections) {
  std::string url;
  {
    asio::io_context ioc;
    tcp::acceptor closed(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    url = "http://127.0.0.1:" + std::to_string(closed.local_endpoint().port()) + "/";
  }
  LoadOptions options;
  options.url = url;
  options.rate = 1000;
  options.requests = 5;
  options.duration = std::nullopt;
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options));
  EXPECT_EQ(result.counts.sent, 5u);
  EXPECT_EQ(result.counts.errors[static_cast<size_t>(ErrorKind::kConnect)], 5u);
}

TEST(LoadRunner, StopsEarlyWhenAsked) {
  TestServer server(TestServer::Mode::kKeepAlive, 201);
  LoadOptions options;
  options.url = server.url();
  options.rate = 10;
  options.duration = absl::Seconds(60);
  RunCallbacks callbacks;
  callbacks.should_stop = [] { return true; };
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options, {}, callbacks));
  EXPECT_TRUE(result.interrupted);
  EXPECT_LT(result.counts.sent, 20u);
  EXPECT_EQ(result.counts.sent, result.counts.responses);
}

TEST(LoadRunner, ReportsProgressOnceASecond) {
  TestServer server(TestServer::Mode::kKeepAlive, 201);
  LoadOptions options;
  options.url = server.url();
  options.rate = 50;
  options.duration = absl::Milliseconds(1300);
  std::vector<Progress> seen;
  RunCallbacks callbacks;
  callbacks.on_progress = [&](const Progress& p) { seen.push_back(p); };
  ASSERT_OK_AND_ASSIGN(LoadResult result, RunLoad(options, {}, callbacks));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NEAR(seen[0].interval_rate, 100, 15);
  EXPECT_GT(seen[0].interval_p50_ns, 0u);
  EXPECT_EQ(result.counts.sent, 130u);
}

TEST(LoadRunner, RejectsBadOptions) {
  ASSERT_OK_AND_ASSIGN(DataGenerator data, DataGenerator::Create({}));
  auto make = [&](auto edit) {
    LoadOptions options;
    options.url = "http://127.0.0.1:1/";
    edit(options);
    return LoadRunner::Create(options, data);
  };
  EXPECT_THAT(make([](LoadOptions& o) { o.url = "https://127.0.0.1/"; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.url = "not a url"; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.workers = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.rate = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.method = "DELETE"; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.duration = std::nullopt; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make([](LoadOptions& o) { o.url = "http://no-such-host.invalid/"; }),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(auto runner, make([](LoadOptions& o) {
                         o.workers = 3;
                         o.threads = 8;
                       }));
  EXPECT_EQ(runner->options().connections, 3);
  EXPECT_EQ(runner->options().threads, 3);
}

}  // namespace
}  // namespace ingestd::loadgen
