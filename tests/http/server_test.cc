// End-to-end tests of the HTTP server in-process on 127.0.0.1:0 over raw sockets: keep-alive,
// HEAD, the request limits (414/431/413), malformed requests, late answers, timeouts, the
// connection cap and a graceful shutdown.
#include "http/server.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http/response.h"
#include "testing/status_matchers.h"

namespace ingestd::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A blocking client socket; every read gives up after 5 s so a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  // Sends everything; false when the peer closed.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response: the head, then Content-Length bytes of body (none for HEAD). Returns
  // the raw text (head + body), or "" when the connection closed or timed out first.
  std::string ReadResponse(bool head_request = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    const std::size_t head_size = end + 4;
    std::size_t body_size = 0;
    if (!head_request) {
      std::string lower = buffer_.substr(0, head_size);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      const std::size_t cl = lower.find("\r\ncontent-length:");
      if (cl != std::string::npos) body_size = std::stoul(lower.substr(cl + 17));
    }
    while (buffer_.size() < head_size + body_size) {
      if (!Fill()) return "";
    }
    std::string response = buffer_.substr(0, head_size + body_size);
    buffer_.erase(0, head_size + body_size);
    return response;
  }

  // True when the server closes the connection (EOF or reset) before the read timeout, with
  // no further bytes.
  bool WaitForClose() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  // Whatever arrives until the peer closes (bounded by the read timeout).
  std::string ReadUntilClose() {
    while (Fill()) {
    }
    return std::exchange(buffer_, "");
  }

 private:
  bool Fill() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

std::string Body(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// A responder parked by a handler until the test answers it.
class Parked {
 public:
  void Park(Responder r) {
    std::lock_guard lock(mu_);
    responders_.push_back(std::move(r));
    cv_.notify_all();
  }
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return responders_.size() >= n; });
  }
  Responder Take() {
    std::lock_guard lock(mu_);
    Responder r = std::move(responders_.front());
    responders_.erase(responders_.begin());
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> responders_;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.Add("/hello", {Verb::get}, [](Request, Responder respond) {
      std::move(respond).Send(MakeText(Status::ok, "hello"));
    });
    router_.Add("/echo", {Verb::post, Verb::put}, [](Request req, Responder respond) {
      std::move(respond).Send(MakeText(Status::ok, std::to_string(req.body().size())));
    });
    router_.Add("/later", {Verb::get}, [this](Request, Responder respond) {
      std::lock_guard lock(threads_mu_);
      threads_.emplace_back([respond = std::move(respond)]() mutable {
        std::move(respond).Send(MakeText(Status::accepted, "from another thread"));
      });
    });
    router_.Add("/park", {Verb::get},
                [this](Request, Responder respond) { parked_.Park(std::move(respond)); });
  }
  ~ServerTest() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    std::lock_guard lock(threads_mu_);
    for (std::thread& t : threads_) t.join();
  }

  void Start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    ASSERT_OK_AND_ASSIGN(server_, Server::Start(std::move(options), router_));
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<Client> Connect() {
    auto client = std::make_unique<Client>(server_->port());
    EXPECT_TRUE(client->connected());
    return client;
  }

  // One request on a fresh connection; the raw response.
  std::string RoundTrip(std::string_view request) {
    auto client = Connect();
    EXPECT_TRUE(client->Send(request));
    return client->ReadResponse();
  }

  Router router_;
  std::unique_ptr<Server> server_;
  Parked parked_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
};

constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneSocket) {
  Start();
  auto client = Connect();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->Send(kGetHello));
    const std::string res = client->ReadResponse();
    EXPECT_EQ(StatusLine(res), "HTTP/1.1 200 OK") << i;
    EXPECT_EQ(Body(res), "hello");
  }
  // Pipelined: two requests in one write.
  ASSERT_TRUE(client->Send(std::string(kGetHello) + std::string(kGetHello)));
  EXPECT_EQ(Body(client->ReadResponse()), "hello");
  EXPECT_EQ(Body(client->ReadResponse()), "hello");
  // Connection: close ends it after the answer.
  ASSERT_TRUE(client->Send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(Body(client->ReadResponse()), "hello");
  EXPECT_TRUE(client->WaitForClose());
}

TEST_F(ServerTest, HeadGetsHeadersWithoutBody) {
  Start();
  auto client = Connect();
  ASSERT_TRUE(client->Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string head = client->ReadResponse(/*head_request=*/true);
  EXPECT_EQ(StatusLine(head), "HTTP/1.1 200 OK");
  EXPECT_THAT(head, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_EQ(Body(head), "");
  // Had a body been sent, it would precede the next status line.
  ASSERT_TRUE(client->Send(kGetHello));
  const std::string next = client->ReadResponse();
  EXPECT_THAT(next, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(next), "hello");
}

TEST_F(ServerTest, RoutesAnswer404And405) {
  Start();
  EXPECT_EQ(StatusLine(RoundTrip("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 404 Not Found");
  const std::string res = RoundTrip("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusLine(res), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_THAT(res, HasSubstr("Allow: GET, HEAD\r\n"));
}

TEST_F(ServerTest, RequestLineOver8KiBIs414) {
  Start();
  const std::string res =
      RoundTrip("GET /hello?" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusLine(res), "HTTP/1.1 414 URI Too Long");
  EXPECT_THAT(Body(res), HasSubstr("\"error\":\"uri_too_long\""));
  // Just under the limit is fine (a 200 from /hello, the query ignored).
  EXPECT_EQ(StatusLine(
                RoundTrip("GET /hello?" + std::string(8000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, HeaderBlockOver16KiBIs431) {
  Start();
  const std::string res = RoundTrip(
      "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'b') + "\r\n\r\n");
  EXPECT_EQ(StatusLine(res), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_THAT(Body(res), HasSubstr("\"error\":\"headers_too_large\""));
  EXPECT_EQ(StatusLine(RoundTrip("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                 std::string(15 * 1024, 'b') + "\r\n\r\n")),
            "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, LimitBoundariesAreInclusive) {
  Start();
  // "GET " + target + " HTTP/1.1" of exactly 8192 bytes passes; one more is a 414.
  const auto line = [](std::size_t length) {
    const std::string target = "/hello?" + std::string(length - 13 - 7, 'q');
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  };
  EXPECT_EQ(StatusLine(RoundTrip(line(8192))), "HTTP/1.1 200 OK");
  EXPECT_EQ(StatusLine(RoundTrip(line(8193))), "HTTP/1.1 414 URI Too Long");
  // Header fields count name + ": " + value + CRLF: "Host: x" is 9 bytes, "X-Big: v..." 9 + v.
  const auto headers = [](std::size_t total) {
    return "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(total - 9 - 9, 'b') +
           "\r\n\r\n";
  };
  EXPECT_EQ(StatusLine(RoundTrip(headers(16384))), "HTTP/1.1 200 OK");
  EXPECT_EQ(StatusLine(RoundTrip(headers(16385))), "HTTP/1.1 431 Request Header Fields Too Large");
}

std::string WithHeaders(int count) {
  std::string req = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 1; i < count; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  return req + "\r\n";
}

TEST_F(ServerTest, Over100HeadersIs431) {
  Start();
  EXPECT_EQ(StatusLine(RoundTrip(WithHeaders(101))),
            "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(StatusLine(RoundTrip(WithHeaders(100))), "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, BodyOver1MiBIs413) {
  Start();
  // Answered from the Content-Length alone, before any body byte is sent.
  const std::string res =
      RoundTrip("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_EQ(StatusLine(res), "HTTP/1.1 413 Payload Too Large");
  EXPECT_THAT(Body(res), HasSubstr("\"error\":\"payload_too_large\""));

  const std::string exact =
      RoundTrip("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" +
                std::string(1 << 20, 'x'));
  EXPECT_EQ(StatusLine(exact), "HTTP/1.1 200 OK");
  EXPECT_EQ(Body(exact), "1048576");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  Start();
  const std::string prefix = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  // One chunk announcing more than 1 MiB.
  EXPECT_EQ(StatusLine(RoundTrip(prefix + "100001\r\n")), "HTTP/1.1 413 Payload Too Large");
  // Many chunks that only add up to more than 1 MiB.
  auto client = Connect();
  ASSERT_TRUE(client->Send(prefix));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";
  for (int i = 0; i < 17; ++i) {
    if (!client->Send(chunk)) break;  // the server may answer and close early
  }
  EXPECT_EQ(StatusLine(client->ReadResponse()), "HTTP/1.1 413 Payload Too Large");
  // Within the limit, chunked works.
  EXPECT_EQ(Body(RoundTrip(prefix + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")), "5");
}

TEST_F(ServerTest, MalformedRequestsAre400) {
  Start();
  EXPECT_EQ(StatusLine(RoundTrip("GARBAGE\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLine(RoundTrip("GET /hello HTTP/9.x\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLine(RoundTrip("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLine(RoundTrip("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                                 "Content-Length: 2\r\n\r\nab")),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLine(RoundTrip("GET hello HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 400 Bad Request");
}

TEST_F(ServerTest, HandlerMayAnswerLaterFromAnotherThread) {
  Start();
  auto client = Connect();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client->Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string res = client->ReadResponse();
    EXPECT_EQ(StatusLine(res), "HTTP/1.1 202 Accepted");
    EXPECT_EQ(Body(res), "from another thread");
  }
}

TEST_F(ServerTest, ParkedAnswerArrivesWhenSent) {
  Start();
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(parked_.WaitFor(1));
  parked_.Take();  // dropped without an answer: the Responder answers 500
  EXPECT_EQ(StatusLine(client->ReadResponse()), "HTTP/1.1 500 Internal Server Error");
}

TEST_F(ServerTest, IdleTimeoutClosesKeepAliveConnection) {
  Start({.idle_timeout = absl::Milliseconds(200)});
  auto client = Connect();
  ASSERT_TRUE(client->Send(kGetHello));
  EXPECT_EQ(Body(client->ReadResponse()), "hello");
  EXPECT_TRUE(client->WaitForClose());
  // A connection that never sends anything is closed too, without an answer.
  auto silent = Connect();
  EXPECT_TRUE(silent->WaitForClose());
}

TEST_F(ServerTest, HeaderTimeoutClosesConnection) {
  // The idle timeout stays at its default (60 s), far beyond the client's 5 s read bound: a
  // close seen here comes from the header timeout.
  Start({.header_timeout = absl::Milliseconds(200)});
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /hello HTTP/1.1\r\nHost: x\r\n"));  // never finished
  EXPECT_TRUE(client->WaitForClose());
}

TEST_F(ServerTest, ConnectionsOverTheCapGet503) {
  Start({.max_connections = 1});
  auto first = Connect();
  ASSERT_TRUE(first->Send(kGetHello));
  ASSERT_EQ(Body(first->ReadResponse()), "hello");  // the first is surely accepted
  auto second = Connect();
  const std::string refused = second->ReadUntilClose();
  EXPECT_EQ(StatusLine(refused), "HTTP/1.1 503 Service Unavailable");
  EXPECT_THAT(refused, HasSubstr("Retry-After: 1\r\n"));
  // The first connection still works.
  ASSERT_TRUE(first->Send(kGetHello));
  EXPECT_EQ(Body(first->ReadResponse()), "hello");
}

TEST_F(ServerTest, ShutdownLetsInFlightRequestFinish) {
  Start();
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(parked_.WaitFor(1));
  auto idle = Connect();
  ASSERT_TRUE(idle->Send(kGetHello));
  ASSERT_EQ(Body(idle->ReadResponse()), "hello");

  std::thread shutdown([this] { server_->Shutdown(absl::Seconds(10)); });
  // The idle connection is closed by the shutdown; the in-flight one waits for its answer.
  EXPECT_TRUE(idle->WaitForClose());
  std::move(parked_.Take()).Send(MakeText(Status::ok, "finished"));
  const std::string res = client->ReadResponse();
  EXPECT_EQ(StatusLine(res), "HTTP/1.1 200 OK");
  EXPECT_THAT(res, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(Body(res), "finished");
  EXPECT_TRUE(client->WaitForClose());
  shutdown.join();
  // No longer listening.
  Client late(server_->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, StartFailsOnAPortInUse) {
  Start();
  ServerOptions options;
  options.port = server_->port();
  options.threads = 1;
  EXPECT_THAT(Server::Start(options, router_),
              ::ingestd::testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ingestd::http
