// Content negotiation for the list: does the client's Accept header prefer HTML to JSON?
//
//   PrefersHtml("text/html,application/xhtml+xml,*/*;q=0.8")  // true (a browser)
//   PrefersHtml("*/*")                                         // false (curl): JSON
//   PrefersHtml("application/json, text/html;q=0.5")           // false
#ifndef INGESTD_INGEST_ACCEPT_H_
#define INGESTD_INGEST_ACCEPT_H_

#include <string_view>

namespace ingestd::ingest {

// True when text/html gets a strictly higher q-value than application/json under RFC 9110
// matching (the most specific range that matches a type gives its q; q defaults to 1).
bool PrefersHtml(std::string_view accept);

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_ACCEPT_H_
