#pragma once
// The field and option tables as data and as docs/report-schema.md, for `weightscope schema`.
#include <string>

#include <nlohmann/json.hpp>

namespace ws {

// {"layer": [...], "summary": [...], "skipped": [...], "options": [...]}: one object per row with
// every column of the tables (scripts/gen-fields turns it into web/js/fields.js).
nlohmann::ordered_json fields_json();

// docs/report-schema.md.
std::string report_schema_markdown();

}  // namespace ws
