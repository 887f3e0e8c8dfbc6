#pragma once
// Joining the parts of a sharded run (analysis/shard.h, docs/cluster.md) into the report of the
// whole run, as if one process had analyzed everything.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/shard.h"
#include "io/input_error.h"

namespace ws {

// Parts that do not make one run; the message names the part, the option, field or shard.
class MergeError : public InputError {
 public:
  using InputError::InputError;
};

struct ReportPart {
  std::string name;     // where it came from (a file name), for messages
  nlohmann::json json;  // a report, or a report set
};

// Single-model reports: each part is one shard of the same run (a report without "shard" is the
// whole run, shard 0/1). Checks that the parts have the same generator, model section and options
// and that their shards are all of one count, each once; then the layers and the skipped entries
// of all parts in model order (by "index"), and the summary recomputed by run_summary() over them
// (seconds: the parts' seconds added up; complete: every part complete). No "shard" in the result.
nlohmann::json merge_reports(const std::vector<ReportPart>& parts);

// A report set: the reports of the models of one list (analysis/model_list.h) one shard took.
//   {"format": "weightscope-report-set", "version": 1, "generator", "models": [every list path],
//    "options", "shard"?, "reports": [{"list_index", "path", "report"} or {"list_index", "path", "error"}]}
// entries: the shard's models in list order.
nlohmann::json report_set(const std::vector<std::string>& models, const nlohmann::json& options, Shard shard,
                          nlohmann::json entries);
bool is_report_set(const nlohmann::json& j);

// Report sets of the shards of one list run: the same checks as merge_reports (model list instead of
// model section), and each part must hold exactly its shard's models. The result is the set of the
// whole list, entries in list order, without "shard".
nlohmann::json merge_report_sets(const std::vector<ReportPart>& parts);

}  // namespace ws
