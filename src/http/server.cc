#include "http/server.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/internal/request_parser.h"
#include "http/response.h"

namespace ingestd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 8 * 1024;
// After an error answer that closes the connection, keep reading (and dropping) what the
// client still sends for this long, so it sees our answer instead of a reset.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr std::size_t kLingerBytes = 2 * 1024 * 1024;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

class ServerImpl;

// One client connection. Lives on one io_context (one thread): no locking inside.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl& server, tcp::socket socket);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // `self` keeps the session alive for as long as the coroutine runs (co_spawn may start it
  // later, on another thread).
  asio::awaitable<void> Run(std::shared_ptr<Session> self);

  asio::any_io_executor executor() { return stream_.get_executor(); }

  // Shutdown helpers; run on the session's executor.
  void CloseIfIdle() {
    if (idle_) stream_.socket().close();
  }
  void ForceClose() { stream_.socket().close(); }

 private:
  // Answers a request the parser refused, then the connection closes.
  asio::awaitable<void> AnswerParseError(const error_code& ec, internal::RequestParser& parser);
  asio::awaitable<Response> Dispatch(Request request);
  asio::awaitable<error_code> Write(Response& response, bool head_only);
  asio::awaitable<void> LingerAndClose();

  ServerImpl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool idle_ = false;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, const Router& router)
      : options_(std::move(options)), router_(router) {
    int threads = options_.threads;
    if (threads <= 0) threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
  }

  ~ServerImpl() override { Shutdown(absl::Seconds(2)); }

  absl::Status Listen() {
    error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("{}: \"{}\" is not an IP address", options_.name, options_.host));
    }
    const tcp::endpoint endpoint(address, options_.port);
    const auto fail = [&](const char* what) {
      return absl::UnavailableError(fmt::format("{}: cannot {} {}:{}: {}", options_.name, what,
                                                options_.host, options_.port, ec.message()));
    };
    acceptor_->open(endpoint.protocol(), ec);
    if (ec) return fail("open a socket for");
    acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("set up");
    acceptor_->bind(endpoint, ec);
    if (ec) return fail("listen on");
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen on");
    port_ = acceptor_->local_endpoint().port();
    return absl::OkStatus();
  }

  void StartThreads() {
    asio::co_spawn(*contexts_[0], AcceptLoop(), asio::detached);
    for (auto& ctx : contexts_) {
      threads_.emplace_back([this, c = ctx.get()] { RunContext(*c); });
    }
  }

  std::uint16_t port() const override { return port_; }

  void Shutdown(absl::Duration grace) override {
    if (shut_down_.exchange(true)) return;
    stopping_.store(true);
    asio::post(*contexts_[0], [this] {
      error_code ignored;
      acceptor_->close(ignored);
    });
    ForEachSession([](Session& s) { s.CloseIfIdle(); });
    if (!WaitForSessions(grace)) {
      spdlog::warn("{}: {} connection(s) still busy after the grace period; closing them",
                   options_.name, SessionCount());
      ForEachSession([](Session& s) { s.ForceClose(); });
      WaitForSessions(absl::Seconds(2));
    }
    guards_.clear();
    for (auto& ctx : contexts_) ctx->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }

  void Register(Session* s) {
    std::lock_guard lock(mu_);
    sessions_.insert(s);
  }
  void Unregister(Session* s) {
    std::lock_guard lock(mu_);
    sessions_.erase(s);
    if (sessions_.empty()) cv_.notify_all();
  }

 private:
  static void RunContext(asio::io_context& ctx) {
    for (;;) {
      try {
        ctx.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("io thread: unexpected exception: {}", e.what());
      }
    }
  }

  asio::awaitable<void> AcceptLoop() {
    std::size_t next = 0;
    for (;;) {
      asio::io_context& target = *contexts_[next++ % contexts_.size()];
      auto [ec, accepted] = co_await acceptor_->async_accept(target, kTuple);
      tcp::socket socket(std::move(accepted));
      if (ec) {
        if (stopping() || ec == asio::error::operation_aborted) co_return;
        spdlog::warn("{}: accept failed: {}", options_.name, ec.message());
        // Out of descriptors or similar: back off instead of spinning.
        asio::steady_timer backoff(co_await asio::this_coro::executor,
                                   std::chrono::milliseconds(50));
        co_await backoff.async_wait(kTuple);
        continue;
      }
      if (SessionCount() >= options_.max_connections) {
        RefuseOverCapacity(socket);
        continue;
      }
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto session = std::make_shared<Session>(*this, std::move(socket));
      asio::co_spawn(session->executor(), session->Run(session), [](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("connection ended by an unexpected exception: {}", ex.what());
        }
      });
    }
  }

  static void RefuseOverCapacity(tcp::socket& socket) {
    static const std::string kAnswer = [] {
      const std::string body =
          R"({"error":"unavailable","message":"too many connections; try again later"})";
      return fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Content-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{}",
          body.size(), body);
    }();
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kAnswer), ignored);
    socket.close(ignored);
  }

  std::size_t SessionCount() {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }

  template <typename F>
  void ForEachSession(F f) {
    std::lock_guard lock(mu_);
    for (Session* s : sessions_) {
      std::weak_ptr<Session> weak = s->weak_from_this();
      asio::post(s->executor(), [weak, f] {
        if (auto session = weak.lock()) f(*session);
      });
    }
  }

  bool WaitForSessions(absl::Duration limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(limit),
                        [this] { return sessions_.empty(); });
  }

  const ServerOptions options_;
  const Router& router_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<Session*> sessions_;  // guarded by mu_
};

Session::Session(ServerImpl& server, tcp::socket socket)
    : server_(server), stream_(std::move(socket)) {
  server_.Register(this);
}

Session::~Session() { server_.Unregister(this); }

asio::awaitable<void> Session::Run(std::shared_ptr<Session> self) {
  const ServerOptions& opts = server_.options();
  for (;;) {
    if (buffer_.size() == 0) {
      // Idle between requests: wait for the first byte of the next one.
      if (server_.stopping()) break;
      idle_ = true;
      stream_.expires_after(ToChrono(opts.idle_timeout));
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), kTuple);
      idle_ = false;
      if (ec) break;
      buffer_.commit(n);
    }

    internal::RequestParser parser(opts.limits);
    stream_.expires_after(ToChrono(opts.header_timeout));
    auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, parser, kTuple);
    if (hec) {
      co_await AnswerParseError(hec, parser);
      break;
    }
    const auto started = absl::Now();
    if (!parser.is_done()) {
      if (auto expect = parser.get()[bhttp::field::expect];
          beast::iequals(expect, "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(ToChrono(opts.write_timeout));
        auto [cec, cn] = co_await asio::async_write(stream_, asio::buffer(kContinue), kTuple);
        if (cec) break;
      }
      stream_.expires_after(ToChrono(opts.body_timeout));
      auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, kTuple);
      if (bec) {
        co_await AnswerParseError(bec, parser);
        break;
      }
    }

    Request request = parser.release();
    const bool head_only = request.method() == Verb::head;
    const Verb method = request.method();
    const bool keep_alive = request.keep_alive();
    const std::size_t request_bytes = hn + request.body().size();
    std::string_view route = "invalid";
    Response response;
    if (request.target().empty() || request.target()[0] != '/') {
      response = MakeError(Status::bad_request, "bad_request",
                           "the request target must be a path starting with '/'");
    } else {
      route = server_.router().RouteLabel(request.target());
      response = co_await Dispatch(std::move(request));
    }
    response.version(11);
    response.keep_alive(keep_alive && !server_.stopping());
    const unsigned status = response.result_int();
    const error_code wec = co_await Write(response, head_only);
    if (opts.on_request) {
      opts.on_request(RequestRecord{route, method, status, absl::Now() - started, request_bytes,
                                    response.body().size()});
    }
    if (wec || !response.keep_alive()) break;
  }
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

asio::awaitable<Response> Session::Dispatch(Request request) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
      [this, &request](auto handler) {
        auto ex = asio::get_associated_executor(handler, stream_.get_executor());
        Responder responder([h = std::move(handler), ex](Response r) mutable {
          asio::post(
              ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
        });
        try {
          server_.router().Dispatch(std::move(request), std::move(responder));
        } catch (const std::exception& e) {
          // The Responder, if still unanswered, answers 500 as it is destroyed.
          spdlog::error("handler threw: {}", e.what());
        }
      },
      asio::use_awaitable);
}

asio::awaitable<error_code> Session::Write(Response& response, bool head_only) {
  stream_.expires_after(ToChrono(server_.options().write_timeout));
  if (head_only) {
    bhttp::response_serializer<bhttp::string_body> serializer(response);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, serializer, kTuple);
    co_return ec;
  }
  auto [ec, n] = co_await bhttp::async_write(stream_, response, kTuple);
  co_return ec;
}

asio::awaitable<void> Session::AnswerParseError(const error_code& ec,
                                                internal::RequestParser& parser) {
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted || ec == beast::error::timeout) {
    // The client went away, or was too slow (tcp_stream has closed the socket on its
    // deadline), or we are shutting down: nobody to answer.
    co_return;
  }
  Response response;
  if (ec == bhttp::error::header_limit) {
    if (parser.limit_broken() == internal::LimitBroken::kNone) {
      const auto data = buffer_.cdata();
      parser.ClassifyHeaderOverflow(
          std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    if (parser.limit_broken() == internal::LimitBroken::kRequestLine) {
      response = MakeError(Status::uri_too_long, "uri_too_long",
                           fmt::format("the request line is longer than {} bytes",
                                       server_.options().limits.max_request_line));
    } else {
      response = MakeError(Status::request_header_fields_too_large, "headers_too_large",
                           fmt::format("the header block is over {} bytes or {} fields",
                                       server_.options().limits.max_header_bytes,
                                       server_.options().limits.max_header_count));
    }
  } else if (ec == bhttp::error::body_limit) {
    response = MakeError(Status::payload_too_large, "payload_too_large",
                         fmt::format("the request body is larger than {} bytes",
                                     server_.options().limits.max_body_bytes));
  } else {
    response = MakeError(Status::bad_request, "bad_request",
                         fmt::format("malformed HTTP request: {}", ec.message()));
  }
  response.version(11);
  response.keep_alive(false);
  const unsigned status = response.result_int();
  if (const error_code wec = co_await Write(response, false); !wec) {
    co_await LingerAndClose();
  }
  if (server_.options().on_request) {
    server_.options().on_request(RequestRecord{"invalid", Verb::unknown, status,
                                               absl::ZeroDuration(), 0, response.body().size()});
  }
}

asio::awaitable<void> Session::LingerAndClose() {
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(kLingerTime);
  std::size_t drained = 0;
  std::array<char, kReadChunk> sink{};
  while (drained < kLingerBytes) {
    auto [rec, n] = co_await stream_.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    drained += n;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, const Router& router) {
  auto server = std::make_unique<ServerImpl>(std::move(options), router);
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  server->StartThreads();
  return server;
}

}  // namespace ingestd::http
