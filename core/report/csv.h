#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace ws {

// One row per analyzed layer, the columns the field table marks csv (report/fields.cpp), in its
// order, RFC 4180 quoting.
std::string report_csv(const nlohmann::json& report);

}  // namespace ws
