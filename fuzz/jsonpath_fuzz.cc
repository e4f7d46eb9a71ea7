// Fuzzes the JSONPath and intrinsic-function parsers and their evaluation against a fixed
// document: any bytes must give a status or a value, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "workflow/intrinsics.h"
#include "workflow/json_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const boost::json::value kDoc = boost::json::parse(
      R"({"a":{"b":[1,2,{"c":"d"}]},"s":"a,b","n":3,"arr":[3,1,3],"o":{"x":null},
          "t":"2020-01-01T00:00:00Z","b64":"aGk="})");
  static const boost::json::value kContext =
      boost::json::parse(R"({"Execution":{"Name":"n"},"Map":{"Item":{"Index":0}}})");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto path = ingestd::workflow::JsonPath::Parse(text); path.ok()) {
    (void)path->Select(path->is_context() ? kContext : kDoc);
    if (path->is_definite()) (void)path->Find(kDoc);
    if (path->is_definite() && !path->is_context()) {
      boost::json::value copy = kDoc;
      (void)path->Assign(copy, 1);
    }
  }
  if (auto fn = ingestd::workflow::Intrinsic::Parse(text); fn.ok()) {
    boost::json::value out;
    ingestd::workflow::Failure failure;
    (void)fn->Evaluate(kDoc, &kContext, out, failure);
  }
  return 0;
}
