#pragma once
// The report of a whole run over a model (with a base model: the fine-tune's dW per layer), and
// one layer of a report by name.
#include <optional>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "formats/model_input.h"

namespace ws_test {

inline nlohmann::json run_report(ws::ModelInput model, ws::AnalyzeOptions opt = {},
                                 std::optional<ws::ModelInput> base = std::nullopt) {
  ws::Analysis a(std::move(model), opt, std::move(base));
  while (!a.done()) a.step();
  return a.report();
}

inline const nlohmann::json& layer_named(const nlohmann::json& report, const std::string& name) {
  for (const auto& l : report["layers"])
    if (l["name"] == name) return l;
  FAIL("no layer " << name);
  throw std::logic_error("unreachable");
}

}  // namespace ws_test
