#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ws {

// One row per analyzed layer, the columns the field table marks csv (report/fields.cpp), in its
// order, RFC 4180 quoting.
std::string report_csv(const nlohmann::json& report);

// A header line of columns, then one line per object of rows (a missing key or null is an empty
// cell), RFC 4180 quoting.
std::string csv_table(const std::vector<std::string>& columns, const nlohmann::json& rows);

}  // namespace ws
