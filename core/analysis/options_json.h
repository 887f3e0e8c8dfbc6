#pragma once
// The one mapping between AnalyzeOptions and JSON: report.options, the page's request to the wasm
// binding, and the CLI (each flag is a row here, turned into JSON before it is read).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "io/input_error.h"

namespace ws {

// A bad option key or value; it names the option.
class OptionError : public InputError {
 public:
  using InputError::InputError;
};

struct OptionSpec {
  const char* key;      // JSON key
  const char* flag;     // CLI flag; "--no-x" for a boolean that defaults to on
  const char* kind;     // "integer" (>= 0), "boolean", "path" (any string) or a choice list "a|b|c"
  const char* meaning;  // one line (CLI --help, docs/report-schema.md)
  bool in_report;       // written to report.options (threads is not: it does not change results)
};

const std::vector<OptionSpec>& option_specs();

// Every option that changes results, with its value (defaults included).
nlohmann::json options_to_json(const AnalyzeOptions& o);

// The defaults overridden by j's keys; throws OptionError on an unknown key, a wrong type, a value
// outside its choices, or gates that contradict each other.
AnalyzeOptions options_from_json(const nlohmann::json& j);

}  // namespace ws
