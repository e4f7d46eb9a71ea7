// The load run: open-loop (fixed schedule, latency from the scheduled send time, so a slow
// server cannot hide its queueing: no coordinated omission) or closed-loop at maximum rate,
// over HTTP/1.1 keep-alive connections (Boost.Beast/Asio), on one io_context per thread.
//
//   LoadOptions options;
//   options.url = "http://127.0.0.1:8080/";
//   options.workers = 2;
//   options.rate = 1.0;                       // per worker per second; nullopt = max
//   options.duration = absl::Seconds(5);
//   ASSIGN_OR_RETURN(DataGenerator data, DataGenerator::Create({}));
//   ASSIGN_OR_RETURN(auto runner, LoadRunner::Create(options, std::move(data)));
//   ASSIGN_OR_RETURN(LoadResult result, runner->Run({}));
//
// Options (flags of `ingestd load`):
//   | field       | meaning                                                               |
//   |-------------|-----------------------------------------------------------------------|
//   | url         | http://host[:port][/path][?query]; the fields are appended to the query |
//   | workers     | simulated clients; the target rate is workers × rate                   |
//   | rate        | requests per second per worker; nullopt: closed loop, as fast as it goes |
//   | connections | keep-alive connections (0: as many as workers)                          |
//   | threads     | event-loop threads (0: min(connections, hardware threads))              |
//   | duration    | how long to send (nullopt: until `requests` are done)                  |
//   | requests    | how many requests in all (nullopt: until `duration` is over)           |
//   | method      | GET, PUT or POST (fields always in the query string)                    |
//   | timeout     | per request, from its send (or connect) to its complete response       |
#ifndef INGESTD_LOADGEN_RUNNER_H_
#define INGESTD_LOADGEN_RUNNER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/data_generator.h"
#include "loadgen/histogram.h"

namespace ingestd::loadgen {

struct LoadOptions {
  std::string url;
  int workers = 2;
  std::optional<double> rate = 1.0;
  int connections = 0;
  int threads = 0;
  std::optional<absl::Duration> duration = absl::Seconds(60);
  std::optional<uint64_t> requests;
  std::string method = "GET";
  absl::Duration timeout = absl::Seconds(10);
};

// Why a request failed. Transport failures get no HTTP status; the last two are answers.
enum class ErrorKind {
  kConnect,           // could not (re)connect
  kWrite,             // sending failed
  kRead,              // the connection failed or closed before a complete response
  kTimeout,           // no complete response within the timeout
  kBadResponse,       // the response was not valid HTTP/1.1
  kServerError,       // a 5xx answer
  kUnexpectedStatus,  // a valid request answered other than 2xx, an invalid one other than
                      // 4xx or 202 (sent for approval)
};
inline constexpr int kErrorKinds = 7;
std::string_view ErrorKindName(ErrorKind kind);

// Counters of a run (or of one interval of it).
struct LoadCounts {
  uint64_t sent = 0;       // requests sent, counted as each ends (answered or an error)
  uint64_t responses = 0;  // complete HTTP responses, whatever their status
  uint64_t reconnects = 0;
  uint64_t valid_sent = 0;
  std::vector<uint64_t> invalid_sent;  // by field index
  std::array<uint64_t, 600> status{};  // by HTTP status code (100..599)
  std::array<uint64_t, kErrorKinds> errors{};
  LatencyHistogram latency;  // of complete responses, in ns

  uint64_t total_errors() const;
  void Merge(const LoadCounts& other);
};

struct LoadResult {
  LoadCounts counts;
  absl::Duration elapsed;    // from the first scheduled send to the last response
  double target_rate = 0;    // requests per second in all; 0 for a closed-loop run
  double achieved_rate = 0;  // responses per second over `elapsed`
  bool interrupted = false;  // stopped early by RunCallbacks::should_stop
};

// What the progress line shows, once a second.
struct Progress {
  absl::Duration elapsed;
  uint64_t interval_responses = 0;
  double interval_rate = 0;  // responses per second in the last interval
  uint64_t interval_p50_ns = 0;
  uint64_t interval_p99_ns = 0;
  uint64_t total_sent = 0;
  uint64_t total_responses = 0;
  uint64_t total_errors = 0;
};

struct RunCallbacks {
  std::function<void(const Progress&)> on_progress;  // from Run's thread, once a second
  std::function<bool()> should_stop;                 // polled ~10 times a second
};

// One run. Create, then Run once (from one thread). Not copyable.
class LoadRunner {
 public:
  // INVALID_ARGUMENT for bad options (URL not http://host..., counts < 1, a rate <= 0, a
  // method other than GET/PUT/POST, neither duration nor requests); UNAVAILABLE when the host
  // does not resolve.
  static absl::StatusOr<std::unique_ptr<LoadRunner>> Create(LoadOptions options,
                                                            DataGenerator data);
  ~LoadRunner();
  LoadRunner(const LoadRunner&) = delete;
  LoadRunner& operator=(const LoadRunner&) = delete;

  // Sends the load and waits for the last response. Failed requests are counted, not
  // returned; the status is an error only when the run could not go on (e.g. the data
  // generator ran out of unique values).
  absl::StatusOr<LoadResult> Run(const RunCallbacks& callbacks);

  // The resolved settings (defaults filled in).
  const LoadOptions& options() const;

  struct Impl;  // internal

 private:
  explicit LoadRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_RUNNER_H_
