#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace ws {

// One row per analyzed layer, the scalar fields of the report (no plot data), RFC 4180 quoting.
std::string report_csv(const nlohmann::json& report);

}  // namespace ws
