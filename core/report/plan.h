#pragma once
// Layer allocation plans from a report (docs/plans.md): AlphaPruning's per-layer sparsities or
// TempBalance's per-layer learning-rate factors, as JSON or CSV. The mappings themselves are
// metrics/allocation.h. Written by the CLI (--plan) and by the wasm binding (allocationPlan).
#include <string>

#include <nlohmann/json.hpp>

namespace ws {

struct PlanOptions {
  std::string method;   // "alphapruning" or "tempbalance"
  std::string metric;   // the layer field mapped: "alpha_hill_peak", "alpha_hill" or "alpha"
  double target = 0;    // alphapruning: the parameter-weighted mean sparsity
  double epsilon = 0;   // alphapruning: spread 1 +- epsilon before renormalising; tempbalance: factors in [1 - e, 1 + e]
  std::string mapping;  // alphapruning: "layer_wise" or "block_wise"; "auto" = block_wise where the names have blocks
};

// {"method", "sparsity", "epsilon", "metric", "mapping"}: method is required, the others default to
// the method's own defaults (alphapruning: sparsity 0.7, epsilon 0.3, alpha_hill_peak, auto;
// tempbalance: epsilon 0.5, alpha_hill). Throws InputError naming the bad key.
PlanOptions plan_options_from_json(const nlohmann::json& j);

// {"method", "metric", "target", "epsilon", "mapping", "layers": [{"tensor", "name", "params", "metric",
// "ratio", ...}], "excluded": [{"tensor", "name", "reason"}]}, layers in the report's (model) order.
// Throws InputError when no layer of the report can be planned.
nlohmann::json allocation_plan(const nlohmann::json& report, const PlanOptions& opt);

// The plan's layers as CSV, one row per layer.
std::string plan_csv(const nlohmann::json& plan);

}  // namespace ws
