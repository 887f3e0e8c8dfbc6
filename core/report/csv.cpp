#include "report/csv.h"

#include <sstream>

#include "report/fields.h"

namespace ws {
namespace {

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string csv_table(const std::vector<std::string>& columns, const nlohmann::json& rows) {
  std::ostringstream out;
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
  out << "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c)
      out << (c ? "," : "") << (row.contains(columns[c]) ? cell(row[columns[c]]) : "");
    out << "\n";
  }
  return out.str();
}

std::string report_csv(const nlohmann::json& report) {
  std::vector<std::string> columns;
  for (const Field& f : layer_fields())
    if (f.csv) columns.push_back(f.key);
  return csv_table(columns, report.at("layers"));
}

}  // namespace ws
