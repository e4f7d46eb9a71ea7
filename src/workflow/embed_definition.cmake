# cmake -DINPUT=<file.json> -DOUTPUT=<file.cc> -P embed_definition.cmake
# Writes a .cc defining ingestd::workflow::DefaultIngestWorkflowText() with the file's bytes.
file(READ "${INPUT}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by embed_definition.cmake. Do not edit.\n"
  "#include \"workflow/default_workflow.h\"\n\n"
  "namespace ingestd::workflow {\nnamespace {\nconstexpr char kText[] = {${bytes} 0};\n}  // namespace\n\n"
  "std::string_view DefaultIngestWorkflowText() { return {kText, sizeof(kText) - 1}; }\n\n"
  "}  // namespace ingestd::workflow\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
