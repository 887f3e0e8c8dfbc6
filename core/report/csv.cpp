#include "report/csv.h"

#include <sstream>

namespace ws {
namespace {

const char* kColumns[] = {"name",        "type",        "N",           "M",           "rf",
                          "num_evals",   "status",      "alpha",       "alpha_weighted", "D",
                          "sigma",       "xmin",        "xmax",        "lambda_max",  "sv_max",
                          "num_pl_spikes", "log_norm",  "log_spectral_norm", "log_alpha_norm", "stable_rank",
                          "matrix_rank", "entropy",     "warning",     "detX_num",    "detX_val",
                          "sigma_mp",    "bulk_min",    "bulk_max",    "num_spikes",  "mp_softrank",
                          "num_fingers", "raw_alpha",   "tpl_alpha",   "tpl_lambda",  "tpl_R",
                          "tpl_p",       "rand_distance", "failure_reason"};

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  std::string s;
  if (v.is_string()) {
    s = v.get<std::string>();
  } else {
    s = v.dump();
  }
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string report_csv(const nlohmann::json& report) {
  std::ostringstream out;
  bool first = true;
  for (const char* c : kColumns) {
    out << (first ? "" : ",") << c;
    first = false;
  }
  out << "\n";
  for (const auto& layer : report.at("layers")) {
    first = true;
    for (const char* c : kColumns) {
      out << (first ? "" : ",") << (layer.contains(c) ? cell(layer[c]) : "");
      first = false;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace ws
