// The default ingest workflow (workflows/ingest.asl.json), embedded in the binary at build
// time. It holds the default field rules (API.md) as data; `ingestd serve --workflow FILE`
// replaces it. Its results follow ingest_contract.h.
//
//   absl::StatusOr<std::shared_ptr<const Workflow>> wf =
//       CompileText(DefaultIngestWorkflowText(), registry);
#ifndef INGESTD_WORKFLOW_DEFAULT_WORKFLOW_H_
#define INGESTD_WORKFLOW_DEFAULT_WORKFLOW_H_

#include <string_view>

namespace ingestd::workflow {

// The JSON text of workflows/ingest.asl.json as it was at build time.
std::string_view DefaultIngestWorkflowText();

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_DEFAULT_WORKFLOW_H_
