#include "loadgen/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <latch>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"

namespace ingestd::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr size_t kReadChunk = 16 * 1024;

// Parses a response and keeps only what the load generator needs: the status and whether the
// connection stays open. The body is skipped as it streams by; nothing is allocated.
class ResponseParser final : public http::basic_parser<false> {
 public:
  ResponseParser() {
    eager(true);
    header_limit(64 * 1024);
    body_limit(std::uint64_t{64} << 20);
  }
  int status() const { return status_; }

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       beast::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
    status_ = code;
  }
  void on_field_impl(http::field, beast::string_view, beast::string_view,
                     beast::error_code&) override {}
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  int status_ = 0;
};

struct Target {
  std::string host_header;    // "host:port"
  std::string target_prefix;  // "/path?" or "/path?query&": the fields follow
  std::vector<tcp::endpoint> endpoints;
};

absl::StatusOr<Target> ResolveTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return absl::InvalidArgumentError(fmt::format("--url \"{}\" is not a URL", url));
  }
  const boost::urls::url_view u = *parsed;
  if (u.scheme() != "http") {
    return absl::InvalidArgumentError(fmt::format("--url \"{}\": only http:// is supported", url));
  }
  if (u.encoded_host().empty()) {
    return absl::InvalidArgumentError(fmt::format("--url \"{}\" has no host", url));
  }
  Target target;
  const std::string host(u.host_address());
  const std::string port = u.has_port() ? std::string(u.port()) : std::string("80");
  target.host_header = std::string(u.encoded_host_and_port());
  std::string path(u.encoded_path());
  if (path.empty()) path = "/";
  target.target_prefix = path + "?";
  if (u.has_query() && !u.encoded_query().empty()) {
    target.target_prefix += std::string(u.encoded_query()) + "&";
  }
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec || results.empty()) {
    return absl::UnavailableError(
        fmt::format("cannot resolve \"{}\" port {}: {}", host, port, ec.message()));
  }
  for (const auto& entry : results) target.endpoints.push_back(entry.endpoint());
  return target;
}

int64_t ToNanos(SteadyClock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kWrite:
      return "write";
    case ErrorKind::kRead:
      return "read";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kBadResponse:
      return "bad_response";
    case ErrorKind::kServerError:
      return "status_5xx";
    case ErrorKind::kUnexpectedStatus:
      return "unexpected_status";
  }
  return "unknown";
}

uint64_t LoadCounts::total_errors() const {
  uint64_t n = 0;
  for (uint64_t e : errors) n += e;
  return n;
}

void LoadCounts::Merge(const LoadCounts& other) {
  sent += other.sent;
  responses += other.responses;
  reconnects += other.reconnects;
  valid_sent += other.valid_sent;
  if (invalid_sent.size() < other.invalid_sent.size()) {
    invalid_sent.resize(other.invalid_sent.size());
  }
  for (size_t i = 0; i < other.invalid_sent.size(); ++i) invalid_sent[i] += other.invalid_sent[i];
  for (size_t i = 0; i < status.size(); ++i) status[i] += other.status[i];
  for (size_t i = 0; i < errors.size(); ++i) errors[i] += other.errors[i];
  latency.Merge(other.latency);
}

class Worker;

// One keep-alive connection. Lives on its worker's thread; one request at a time.
class Connection {
 public:
  explicit Connection(Worker& worker);

  void Preconnect(std::function<void()> done);
  // Sends request number k, scheduled at `intended`. False (nothing sent) when its data could
  // not be generated; the worker has been told to stop.
  bool Start(uint64_t k, TimePoint intended);
  void CheckDeadline(TimePoint now);
  void Close();
  bool busy() const { return busy_; }

 private:
  void Connect();
  void OnConnect(const boost::system::error_code& ec);
  void Write();
  void OnWrite(const boost::system::error_code& ec);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  bool RetryOnFreshConnection();
  void Complete();
  void Fail(ErrorKind kind);
  void CloseSocket();

  Worker& worker_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<ResponseParser> parser_;
  std::string request_;
  RequestData data_;
  TimePoint intended_;
  TimePoint deadline_;
  std::function<void()> preconnect_done_;
  bool busy_ = false;
  bool connecting_ = false;
  bool timed_out_ = false;
  bool ever_connected_ = false;
  bool retried_ = false;
  uint64_t requests_on_socket_ = 0;
};

struct LoadRunner::Impl {
  LoadOptions options;
  std::optional<DataGenerator> data;
  Target target;
  double total_rate = 0;  // 0: closed loop
  double period_ns = 0;
  uint64_t seed = 0;

  std::atomic<int> workers_running{0};
  absl::Notification all_done;
  absl::Mutex fatal_mu;
  absl::Status fatal ABSL_GUARDED_BY(fatal_mu);
  std::vector<std::unique_ptr<Worker>> workers;

  void Abort(absl::Status status);
  void WorkerFinished() {
    if (workers_running.fetch_sub(1) == 1) all_done.Notify();
  }
};

// One event-loop thread: its share of the connections and of the schedule. Thread t owns the
// requests k = t, t + T, t + 2T, ... (T threads); request k is due at start + k / total_rate.
class Worker {
 public:
  Worker(LoadRunner::Impl& run, int index, int threads, int connections)
      : run_(run),
        index_(index),
        threads_(threads),
        rng_(run.seed + static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ULL),
        work_(asio::make_work_guard(ioc_)),
        timer_(ioc_),
        watchdog_(ioc_) {
    counts_.invalid_sent.resize(run.data->fields().size());
    for (int i = 0; i < connections; ++i) conns_.push_back(std::make_unique<Connection>(*this));
  }

  asio::io_context& ioc() { return ioc_; }
  Rng& rng() { return rng_; }
  LoadRunner::Impl& run() { return run_; }

  // On the worker's thread: connects every connection, then counts `ready` down.
  void Preconnect(std::latch& ready) {
    StartWatchdog();
    pending_connects_ = conns_.size();
    for (auto& conn : conns_) {
      conn->Preconnect([this, &ready] {
        if (--pending_connects_ == 0) ready.count_down();
      });
    }
  }

  void Begin(TimePoint start) {
    asio::post(ioc_, [this, start] {
      work_.reset();
      start_ = start;
      begun_ = true;
      for (auto& conn : conns_) idle_.push_back(conn.get());
      if (stopping_) {  // a stop overtook the start
        MaybeFinish();
      } else if (open_loop()) {
        OnTick();
      } else {
        Dispatch();
        MaybeFinish();
      }
    });
  }

  void RequestStop() {
    asio::post(ioc_, [this] {
      work_.reset();
      stopping_ = true;
      timer_.cancel();
      MaybeFinish();
    });
  }

  void Run() { ioc_.run(); }

  // --- called by connections, on this thread ---

  TimePoint deadline_from_now() const {
    return SteadyClock::now() +
           std::chrono::nanoseconds(absl::ToInt64Nanoseconds(run_.options.timeout));
  }

  void CountReconnect() {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_.reconnects;
  }

  void CountResponse(int status, const RequestData& data, TimePoint intended, TimePoint now) {
    const auto latency = static_cast<uint64_t>(std::max<int64_t>(0, ToNanos(now - intended)));
    const bool invalid = data.invalid_field >= 0;
    std::optional<ErrorKind> error;
    if (status >= 500) {
      error = ErrorKind::kServerError;
    } else if (invalid ? !(status == 202 || (status >= 400 && status < 500))
                       : !(status >= 200 && status < 300)) {
      error = ErrorKind::kUnexpectedStatus;
    }
    std::lock_guard<std::mutex> lock(mu_);
    CountSentLocked(data);
    ++counts_.responses;
    ++counts_.status[static_cast<size_t>(std::clamp(status, 0, 599))];
    if (error) ++counts_.errors[static_cast<size_t>(*error)];
    counts_.latency.Record(latency);
    interval_.Record(latency);
    last_response_ = now;
  }

  void CountError(ErrorKind kind, const RequestData& data) {
    std::lock_guard<std::mutex> lock(mu_);
    CountSentLocked(data);
    ++counts_.errors[static_cast<size_t>(kind)];
  }

  void OnConnectionFree(Connection* conn) {
    if (!stopping_ && HasWork()) {
      StartNext(conn);
    } else {
      idle_.push_back(conn);
    }
    MaybeFinish();
  }

  // --- read by the run's thread ---

  void TakeInterval(LatencyHistogram* interval, LoadCounts* totals) {
    std::lock_guard<std::mutex> lock(mu_);
    interval->Merge(interval_);
    interval_.Reset();
    totals->sent += counts_.sent;
    totals->responses += counts_.responses;
    for (size_t i = 0; i < counts_.errors.size(); ++i) totals->errors[i] += counts_.errors[i];
  }

  LoadCounts FinalCounts(std::optional<TimePoint>* last_response) {
    std::lock_guard<std::mutex> lock(mu_);
    if (counts_.responses > 0) *last_response = last_response_;
    return counts_;
  }

 private:
  // A request is counted as sent when it ends (answered or failed), under the same lock.
  void CountSentLocked(const RequestData& data) {
    ++counts_.sent;
    if (data.invalid_field < 0) {
      ++counts_.valid_sent;
    } else {
      ++counts_.invalid_sent[static_cast<size_t>(data.invalid_field)];
    }
  }

  bool open_loop() const { return run_.total_rate > 0; }
  uint64_t GlobalIndex(uint64_t seq) const {
    return static_cast<uint64_t>(index_) + seq * static_cast<uint64_t>(threads_);
  }
  TimePoint Due(uint64_t seq) const {
    return start_ + std::chrono::nanoseconds(static_cast<int64_t>(
                        std::llround(static_cast<double>(GlobalIndex(seq)) * run_.period_ns)));
  }
  // Whether this thread's request number `seq` belongs to the run.
  bool InRun(uint64_t seq) const {
    const uint64_t k = GlobalIndex(seq);
    if (run_.options.requests && k >= *run_.options.requests) return false;
    if (open_loop() && run_.options.duration &&
        static_cast<double>(k) * run_.period_ns >=
            static_cast<double>(absl::ToInt64Nanoseconds(*run_.options.duration))) {
      return false;
    }
    return true;
  }
  // Whether a free connection has a request to send now.
  bool HasWork() const {
    if (!begun_) return false;
    if (open_loop()) return dispatched_ < due_;
    if (run_.options.duration &&
        SteadyClock::now() - start_ >=
            std::chrono::nanoseconds(absl::ToInt64Nanoseconds(*run_.options.duration))) {
      return false;
    }
    return InRun(dispatched_);
  }

  void OnTick() {
    if (stopping_) return;
    const TimePoint now = SteadyClock::now();
    while (InRun(due_) && Due(due_) <= now) ++due_;
    Dispatch();
    if (InRun(due_)) {
      timer_.expires_at(Due(due_));
      timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) OnTick();
      });
    } else {
      scheduling_done_ = true;
      MaybeFinish();
    }
  }

  void Dispatch() {
    while (!stopping_ && !idle_.empty() && HasWork()) {
      Connection* conn = idle_.back();
      idle_.pop_back();
      StartNext(conn);
    }
  }

  void StartNext(Connection* conn) {
    const uint64_t seq = dispatched_++;
    const TimePoint intended = open_loop() ? Due(seq) : SteadyClock::now();
    if (!conn->Start(GlobalIndex(seq), intended)) {
      idle_.push_back(conn);
      stopping_ = true;
    }
  }

  void MaybeFinish() {
    if (finished_ || !begun_) return;
    if (idle_.size() < conns_.size()) return;  // requests in flight
    if (!stopping_ && (open_loop() ? !scheduling_done_ || dispatched_ < due_ : HasWork())) return;
    finished_ = true;
    timer_.cancel();
    watchdog_.cancel();
    for (auto& conn : conns_) conn->Close();
    run_.WorkerFinished();
  }

  void StartWatchdog() {
    const auto tick =
        std::clamp(std::chrono::nanoseconds(absl::ToInt64Nanoseconds(run_.options.timeout)) / 10,
                   std::chrono::nanoseconds(std::chrono::milliseconds(1)),
                   std::chrono::nanoseconds(std::chrono::milliseconds(100)));
    watchdog_.expires_after(tick);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      const TimePoint now = SteadyClock::now();
      for (auto& conn : conns_) conn->CheckDeadline(now);
      StartWatchdog();
    });
  }

  LoadRunner::Impl& run_;
  const int index_;
  const int threads_;
  Rng rng_;
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer timer_;
  asio::steady_timer watchdog_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<Connection*> idle_;
  size_t pending_connects_ = 0;
  TimePoint start_;
  uint64_t due_ = 0;         // this thread's requests [0, due_) are due
  uint64_t dispatched_ = 0;  // ... and [0, dispatched_) have been started
  bool begun_ = false;
  bool scheduling_done_ = false;
  bool stopping_ = false;
  bool finished_ = false;

  // A plain std::mutex: uncontended except once a second, and cheaper on the per-request path
  // than absl::Mutex with Debian's deadlock detection. Guards the three members below.
  std::mutex mu_;
  LoadCounts counts_;
  LatencyHistogram interval_;
  TimePoint last_response_;
};

void LoadRunner::Impl::Abort(absl::Status status) {
  {
    absl::MutexLock lock(&fatal_mu);
    if (fatal.ok()) fatal = std::move(status);
  }
  for (auto& worker : workers) worker->RequestStop();
}

Connection::Connection(Worker& worker) : worker_(worker), socket_(worker.ioc()) {}

void Connection::Preconnect(std::function<void()> done) {
  preconnect_done_ = std::move(done);
  busy_ = true;
  deadline_ = worker_.deadline_from_now();
  Connect();
}

bool Connection::Start(uint64_t k, TimePoint intended) {
  absl::Status status = worker_.run().data->Next(k, worker_.rng(), &data_);
  if (!status.ok()) {
    worker_.run().Abort(std::move(status));
    return false;
  }
  const LoadRunner::Impl& run = worker_.run();
  request_.clear();
  request_ += run.options.method;
  request_ += ' ';
  request_ += run.target.target_prefix;
  request_ += data_.query;
  request_ += " HTTP/1.1\r\nHost: ";
  request_ += run.target.host_header;
  request_ += "\r\nUser-Agent: ingestd-load\r\n";
  if (run.options.method != "GET") request_ += "Content-Length: 0\r\n";
  request_ += "\r\n";
  intended_ = intended;
  deadline_ = worker_.deadline_from_now();
  busy_ = true;
  timed_out_ = false;
  retried_ = false;
  if (socket_.is_open()) {
    Write();
  } else {
    if (ever_connected_) worker_.CountReconnect();
    Connect();
  }
  return true;
}

void Connection::Connect() {
  connecting_ = true;
  buffer_.clear();
  requests_on_socket_ = 0;
  asio::async_connect(
      socket_, worker_.run().target.endpoints,
      [this](const boost::system::error_code& ec, const tcp::endpoint&) { OnConnect(ec); });
}

void Connection::OnConnect(const boost::system::error_code& ec) {
  connecting_ = false;
  if (!ec) {
    ever_connected_ = true;
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
  }
  if (preconnect_done_) {
    // A failed preconnect is not an error of any request: requests retry the connect.
    if (ec) CloseSocket();
    busy_ = false;
    auto done = std::move(preconnect_done_);
    preconnect_done_ = nullptr;
    done();
    return;
  }
  if (ec) {
    Fail(timed_out_ ? ErrorKind::kTimeout : ErrorKind::kConnect);
    return;
  }
  Write();
}

void Connection::Write() {
  parser_.emplace();
  asio::async_write(socket_, asio::buffer(request_),
                    [this](const boost::system::error_code& ec, size_t) { OnWrite(ec); });
}

void Connection::OnWrite(const boost::system::error_code& ec) {
  if (ec) {
    if (timed_out_) {
      Fail(ErrorKind::kTimeout);
    } else if (!RetryOnFreshConnection()) {
      Fail(ErrorKind::kWrite);
    }
    return;
  }
  Read();
}

void Connection::Read() {
  socket_.async_read_some(buffer_.prepare(kReadChunk),
                          [this](const boost::system::error_code& ec, size_t n) { OnRead(ec, n); });
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  if (ec) {
    if (timed_out_) {
      Fail(ErrorKind::kTimeout);
      return;
    }
    if (ec == asio::error::eof && parser_->is_header_done() && parser_->need_eof()) {
      beast::error_code eof_ec;
      parser_->put_eof(eof_ec);
      if (!eof_ec && parser_->is_done()) {
        Complete();
        return;
      }
    }
    // A keep-alive connection the server closed before it read our request: send it again on a
    // fresh connection, once.
    if (!parser_->got_some() && buffer_.size() == 0 && RetryOnFreshConnection()) return;
    Fail(ErrorKind::kRead);
    return;
  }
  buffer_.commit(n);
  while (buffer_.size() > 0) {
    beast::error_code pec;
    const size_t used = parser_->put(buffer_.data(), pec);
    buffer_.consume(used);
    if (pec == http::error::need_more) break;
    if (pec) {
      Fail(ErrorKind::kBadResponse);
      return;
    }
    if (parser_->is_done()) {
      Complete();
      return;
    }
    if (used == 0) break;
  }
  Read();
}

bool Connection::RetryOnFreshConnection() {
  if (retried_ || requests_on_socket_ == 0) return false;
  retried_ = true;
  CloseSocket();
  worker_.CountReconnect();
  Connect();
  return true;
}

void Connection::Complete() {
  const TimePoint now = SteadyClock::now();
  worker_.CountResponse(parser_->status(), data_, intended_, now);
  ++requests_on_socket_;
  if (!parser_->keep_alive()) CloseSocket();
  busy_ = false;
  worker_.OnConnectionFree(this);
}

void Connection::Fail(ErrorKind kind) {
  worker_.CountError(kind, data_);
  CloseSocket();
  busy_ = false;
  worker_.OnConnectionFree(this);
}

void Connection::CheckDeadline(TimePoint now) {
  if (busy_ && !timed_out_ && now >= deadline_) {
    timed_out_ = true;
    CloseSocket();  // the pending operation completes with operation_aborted
  }
}

void Connection::Close() { CloseSocket(); }

void Connection::CloseSocket() {
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  buffer_.clear();
  requests_on_socket_ = 0;
}

LoadRunner::LoadRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LoadRunner::~LoadRunner() = default;

const LoadOptions& LoadRunner::options() const { return impl_->options; }

absl::StatusOr<std::unique_ptr<LoadRunner>> LoadRunner::Create(LoadOptions options,
                                                               DataGenerator data) {
  if (options.workers < 1) return absl::InvalidArgumentError("--workers must be at least 1");
  if (options.rate && !(*options.rate > 0 && std::isfinite(*options.rate))) {
    return absl::InvalidArgumentError("--rate must be a positive number or \"max\"");
  }
  if (options.connections < 0 || options.threads < 0) {
    return absl::InvalidArgumentError("--connections and --threads must be at least 1");
  }
  if (options.method != "GET" && options.method != "PUT" && options.method != "POST") {
    return absl::InvalidArgumentError(
        fmt::format("--method {}: expected GET, PUT or POST", options.method));
  }
  if (!options.duration && !options.requests) {
    return absl::InvalidArgumentError("a run needs --duration or --requests");
  }
  if (options.duration && *options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be positive");
  }
  if (options.requests && *options.requests == 0) {
    return absl::InvalidArgumentError("--requests must be at least 1");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must be positive");
  }
  if (options.connections == 0) options.connections = options.workers;
  if (options.threads == 0) {
    options.threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  }
  options.threads = std::min(options.threads, options.connections);

  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->target, ResolveTarget(options.url));
  if (options.rate) {
    impl->total_rate = *options.rate * options.workers;
    impl->period_ns = 1e9 / impl->total_rate;
  }
  impl->seed = std::random_device()() * 0x100000001ULL + std::random_device()();
  impl->options = std::move(options);
  impl->data = std::move(data);
  return std::unique_ptr<LoadRunner>(new LoadRunner(std::move(impl)));
}

absl::StatusOr<LoadResult> LoadRunner::Run(const RunCallbacks& callbacks) {
  Impl& run = *impl_;
  const int threads = run.options.threads;
  for (int t = 0; t < threads; ++t) {
    // Connections are spread as evenly as possible over the threads.
    const int conns = run.options.connections / threads + (t < run.options.connections % threads);
    run.workers.push_back(std::make_unique<Worker>(run, t, threads, conns));
  }
  run.workers_running = threads;

  std::latch ready(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (auto& worker : run.workers) {
    Worker* w = worker.get();
    pool.emplace_back([w, &ready] {
      asio::post(w->ioc(), [w, &ready] { w->Preconnect(ready); });
      w->Run();
    });
  }
  ready.wait();

  const TimePoint start = SteadyClock::now();
  const absl::Time wall_start = absl::Now();
  for (auto& worker : run.workers) worker->Begin(start);

  LoadResult result;
  result.target_rate = run.total_rate;
  absl::Time next_progress = wall_start + absl::Seconds(1);
  bool stop_sent = false;
  while (!run.all_done.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
    if (!stop_sent && callbacks.should_stop && callbacks.should_stop()) {
      stop_sent = true;
      result.interrupted = true;
      for (auto& worker : run.workers) worker->RequestStop();
    }
    const absl::Time now = absl::Now();
    if (now >= next_progress && callbacks.on_progress) {
      LatencyHistogram interval;
      LoadCounts totals;
      for (auto& worker : run.workers) worker->TakeInterval(&interval, &totals);
      const absl::Duration span = now - (next_progress - absl::Seconds(1));
      Progress progress;
      progress.elapsed = now - wall_start;
      progress.interval_responses = interval.count();
      progress.interval_rate = static_cast<double>(interval.count()) / absl::ToDoubleSeconds(span);
      progress.interval_p50_ns = interval.ValueAtQuantile(0.5);
      progress.interval_p99_ns = interval.ValueAtQuantile(0.99);
      progress.total_sent = totals.sent;
      progress.total_responses = totals.responses;
      progress.total_errors = totals.total_errors();
      callbacks.on_progress(progress);
      next_progress = now + absl::Seconds(1);
    }
  }
  for (std::thread& thread : pool) thread.join();

  std::optional<TimePoint> last_response;
  for (auto& worker : run.workers) {
    std::optional<TimePoint> last;
    result.counts.Merge(worker->FinalCounts(&last));
    if (last && (!last_response || *last > *last_response)) last_response = last;
  }
  const TimePoint end = last_response.value_or(SteadyClock::now());
  result.elapsed = absl::Nanoseconds(ToNanos(end - start));
  if (run.total_rate > 0 && !result.interrupted) {
    // Open loop: the run lasts at least its schedule (the last send is one period before its
    // end), so that N requests at rate R show rate R, not N / (N - 1) * R.
    result.elapsed = std::max(
        result.elapsed, absl::Nanoseconds(static_cast<double>(result.counts.sent) * run.period_ns));
  }
  if (result.elapsed > absl::ZeroDuration()) {
    result.achieved_rate =
        static_cast<double>(result.counts.responses) / absl::ToDoubleSeconds(result.elapsed);
  }
  absl::MutexLock lock(&run.fatal_mu);
  if (!run.fatal.ok()) return run.fatal;
  return result;
}

}  // namespace ingestd::loadgen
