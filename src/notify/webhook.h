// The approval webhook: announces events (a pending approval, with the links to approve or
// reject it) to an operator's HTTP endpoint, signed so the receiver can tell they came from
// this ingestd. Delivery happens on a background thread, with retries and backoff, and never
// blocks or fails the caller.
//
//   ASSIGN_OR_RETURN(auto notifier, notify::WebhookNotifier::Create({
//                                        .url = "http://127.0.0.1:9000/hooks/ingestd",
//                                        .secret = secret,
//                                    }));
//   notifier->Notify(R"({"event":"approval.pending","id":"...","approve_url":"..."})");
//   ...
//   notifier->Close(absl::Seconds(10));  // at shutdown: finish what is queued, then stop
//
// What the receiver gets, for every attempt of every event:
//
//   POST <path of the URL> HTTP/1.1
//   Content-Type: application/json
//   User-Agent: ingestd/<version>
//   X-Ingestd-Event: <the event JSON's "event" member, e.g. approval.pending; "unknown" if none>
//   X-Ingestd-Delivery: <a UUID, the same on every retry of one event: use it to de-duplicate>
//   X-Ingestd-Timestamp: <unix seconds when this attempt was sent>
//   X-Ingestd-Signature-256: sha256=<lowercase hex HMAC-SHA256(secret, body)>
//
//   <the event JSON, exactly the bytes given to Notify and signed>
//
// A receiver checks the signature over the raw body bytes before parsing them, with
// VerifySignature() below or the equivalent in its own language (GitHub's webhook scheme:
// hex HMAC-SHA256 of the body, compared in constant time). Only the body is signed, not the
// headers; put anything that must be authentic (a timestamp, an id) in the JSON.
//
// Outcome of one attempt: any 2xx is delivered. A connection error, a timeout, 5xx, 429 or
// 408 is retried after an exponential backoff with full jitter (a random wait between 0 and
// min(max_backoff, initial_backoff * 2^(attempt-1)); a Retry-After of whole seconds replaces
// it, capped at max_backoff) until max_attempts attempts were made. Any other status (3xx,
// other 4xx) is given up at once: the receiver refused the event and asking again will not
// change that. Every give-up and every drop is logged (spdlog, warn) with the reason.
//
// Options (WebhookOptions):
//   | field           | default | meaning                                                    |
//   |-----------------|---------|------------------------------------------------------------|
//   | url             | —       | http://host[:port][/path][?query]; https is not supported  |
//   | secret          | —       | HMAC key; must not be empty                                |
//   | max_attempts    | 8       | attempts per event, first one included (>= 1)              |
//   | initial_backoff | 1 s     | backoff cap after the first failed attempt (>= 0)          |
//   | max_backoff     | 5 min   | largest wait between two attempts (>= initial_backoff)     |
//   | timeout         | 10 s    | one attempt: resolve + connect + send + answer (> 0)       |
//   | max_queue       | 10000   | events held (waiting for a first attempt or a retry; the   |
//   |                 |         | one in flight not counted); beyond it the oldest is dropped|
//   | clock           | real    | the source of X-Ingestd-Timestamp                          |
//   | on_delivery     | none    | called once per event with its final outcome               |
#ifndef INGESTD_NOTIFY_WEBHOOK_H_
#define INGESTD_NOTIFY_WEBHOOK_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ingestd::notify {

// The final outcome of one event.
struct DeliveryRecord {
  std::string delivery_id;  // the X-Ingestd-Delivery value
  std::string event;        // the X-Ingestd-Event value
  int attempts = 0;         // POSTs tried (0 when dropped before its first attempt)
  int status_code = 0;      // HTTP status of the last answer; 0 when there was none
  std::string error;        // why it was not delivered; empty when delivered
  bool delivered = false;
};

struct WebhookOptions {
  std::string url;
  std::string secret;
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  absl::Duration timeout = absl::Seconds(10);
  std::size_t max_queue = 10000;
  // Not owned; must outlive the notifier. Null means common::Clock::Real(). Backoff waits
  // and timeouts run on the monotonic clock whatever this is.
  const common::Clock* clock = nullptr;
  // Called exactly once per event given to Notify, with its final outcome: delivered, given
  // up, dropped (queue full, or Notify after Close) or abandoned by Close. Called from the
  // notifier's thread, or from Notify / Close for drops and abandons, so it must be
  // thread-safe, quick, and must not call Close.
  std::function<void(const DeliveryRecord&)> on_delivery;
};

// Thread-safety: Notify may be called from any number of threads at once; Close from one
// thread (further calls return at once). The destructor calls Close(absl::Seconds(5)).
class WebhookNotifier {
 public:
  // Validates the options and starts the delivery thread. INVALID_ARGUMENT naming the
  // problem for a URL that is not http://host[:port][/path] (https says it is not supported
  // yet), an empty secret, or an out-of-range number.
  static absl::StatusOr<std::unique_ptr<WebhookNotifier>> Create(WebhookOptions options);

  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues `event_json` (a JSON object; its string member "event" names the event) for
  // delivery and returns at once: no I/O, only a short lock. Never fails: when the queue is
  // full the oldest held event is dropped (logged, reported to on_delivery); after Close the
  // event itself is dropped the same way.
  void Notify(std::string event_json);

  // Stops taking events, keeps delivering what is queued (in flight, fresh, and retries that
  // fall due) for up to `grace`, then abandons the rest (logged, reported to on_delivery) and
  // stops the thread. Returns when the thread has stopped: as soon as nothing is left, at the
  // latest about `grace` later. Idempotent.
  void Close(absl::Duration grace);

 private:
  class Impl;
  explicit WebhookNotifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The X-Ingestd-Signature-256 value for `body`: "sha256=" and the lowercase hex
// HMAC-SHA256 of the body bytes keyed with `secret`.
std::string SignBody(std::string_view secret, std::string_view body);

// For receivers: whether `header` (the X-Ingestd-Signature-256 value) is the signature of
// `body` under `secret`. The comparison takes the same time wherever the first difference
// is; hex digits may be upper or lower case. False for anything malformed.
bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header);

}  // namespace ingestd::notify

#endif  // INGESTD_NOTIFY_WEBHOOK_H_
