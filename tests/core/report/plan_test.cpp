// Plan files from a report: options, which layers a plan covers, warnings, JSON and CSV shape.
// The mappings' numbers are checked against the reference in tests/core/metrics/allocation_test.cpp.
#include "report/plan.h"

#include <catch2/catch.hpp>

#include <algorithm>

namespace {

using nlohmann::json;

json layer(const std::string& tensor, std::vector<int64_t> shape, double alpha_hill_peak, int64_t num_evals = 64) {
  std::string name = tensor.substr(0, tensor.size() - 7);  // without ".weight"
  return {{"tensor", tensor}, {"name", name}, {"shape", shape}, {"num_evals", num_evals},
          {"alpha", alpha_hill_peak + 1}, {"alpha_hill", alpha_hill_peak - 0.5}, {"alpha_hill_peak", alpha_hill_peak}};
}

// A small LLaMA-shaped report: embeddings, 3 blocks of 2 layers, the head.
json llama_report() {
  json layers = json::array();
  layers.push_back(layer("model.embed_tokens.weight", {32, 8}, 3.0));
  const double peak[3][2] = {{2.0, 3.0}, {4.0, 6.0}, {2.5, 2.5}};
  for (int b = 0; b < 3; ++b) {
    layers.push_back(layer("model.layers." + std::to_string(b) + ".self_attn.q_proj.weight", {8, 8}, peak[b][0]));
    layers.push_back(layer("model.layers." + std::to_string(b) + ".mlp.up_proj.weight", {16, 8}, peak[b][1]));
  }
  layers.push_back(layer("lm_head.weight", {32, 8}, 9.0));
  return {{"layers", layers}};
}

double weighted_mean(const json& plan) {
  double num = 0, den = 0;
  for (const auto& l : plan["layers"]) {
    num += l["params"].get<double>() * l["ratio"].get<double>();
    den += l["params"].get<double>();
  }
  return num / den;
}

}  // namespace

TEST_CASE("plan options: defaults per method, bad values named", "[plan]") {
  const ws::PlanOptions ap = ws::plan_options_from_json({{"method", "alphapruning"}});
  CHECK(ap.metric == "alpha_hill_peak");
  CHECK(ap.target == 0.7);
  CHECK(ap.epsilon == 0.3);
  CHECK(ap.mapping == "auto");
  const ws::PlanOptions tb = ws::plan_options_from_json({{"method", "tempbalance"}});
  CHECK(tb.metric == "alpha_hill");
  CHECK(tb.epsilon == 0.5);
  CHECK_THROWS_WITH(ws::plan_options_from_json(json::object()), Catch::Contains("method is required"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "magnitude"}}), Catch::Contains("alphapruning|tempbalance"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "alphapruning"}, {"sparsity", "0.5"}}),
                    Catch::Contains("sparsity must be a number"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "alphapruning"}, {"epsilon", 1.5}}),
                    Catch::Contains("epsilon must be in [0"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "tempbalance"}, {"sparsity", 0.5}}),
                    Catch::Contains("alphapruning only"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "alphapruning"}, {"metric", "D"}}), Catch::Contains("metric must be"));
  CHECK_THROWS_WITH(ws::plan_options_from_json({{"method", "alphapruning"}, {"sparsty", 0.5}}),
                    Catch::Contains("unknown option 'sparsty'"));
}

TEST_CASE("AlphaPruning plan: block-wise where the names have blocks, embeddings and head left out", "[plan]") {
  const json plan = ws::allocation_plan(llama_report(), ws::plan_options_from_json({{"method", "alphapruning"}, {"sparsity", 0.5}}));
  CHECK(plan["method"] == "alphapruning");
  CHECK(plan["metric"] == "alpha_hill_peak");
  CHECK(plan["target"] == 0.5);
  CHECK(plan["epsilon"] == 0.3);
  CHECK(plan["mapping"] == "block_wise");
  REQUIRE(plan["layers"].size() == 6);
  REQUIRE(plan["excluded"].size() == 2);
  CHECK(plan["excluded"][0]["tensor"] == "model.embed_tokens.weight");
  CHECK(plan["excluded"][1]["tensor"] == "lm_head.weight");
  CHECK(plan["layers"][0]["tensor"] == "model.layers.0.self_attn.q_proj.weight");
  CHECK(plan["layers"][0]["params"] == 64);
  CHECK(plan["layers"][0]["metric"] == 2.0);     // the layer's own value
  CHECK(plan["layers"][0]["block_metric"] == 2.5);  // its block's mean
  CHECK(plan["layers"][0]["block"] == "model.layers.0");
  // Block means 2.5, 5, 2.5: blocks 0 and 2 at 1 - epsilon, block 1 at 1 + epsilon, before the scaler.
  CHECK(plan["layers"][2]["ratio"].get<double>() / plan["layers"][0]["ratio"].get<double>() == Approx(1.3 / 0.7));
  CHECK(plan["layers"][4]["ratio"] == plan["layers"][0]["ratio"]);
  CHECK(std::abs(weighted_mean(plan) - 0.5) <= 1e-12);

  const json lw = ws::allocation_plan(llama_report(), ws::plan_options_from_json({{"method", "alphapruning"}, {"mapping", "layer_wise"}}));
  CHECK(lw["mapping"] == "layer_wise");
  CHECK(lw["layers"].size() == 6);  // still the blocks only, as AlphaPruning's layer_wise
  CHECK(lw["excluded"].size() == 2);
  CHECK_FALSE(lw["layers"][0].contains("block"));
  CHECK(lw["layers"][0]["ratio"].get<double>() < lw["layers"][1]["ratio"].get<double>());  // alpha 2 < 3
  CHECK(std::abs(weighted_mean(lw) - 0.7) <= 1e-12);
}

TEST_CASE("AlphaPruning plan: sparsities above 1 are kept and warned; layers without the metric are excluded", "[plan]") {
  json report = llama_report();
  for (size_t i = 0; i < report["layers"].size(); ++i) report["layers"][i]["tensor"] = "conv" + std::to_string(i) + ".weight";
  report["layers"][3].erase("alpha_hill_peak");
  const json plan = ws::allocation_plan(report, ws::plan_options_from_json({{"method", "alphapruning"}, {"sparsity", 0.95}}));
  CHECK(plan["mapping"] == "layer_wise");  // no blocks in these names
  REQUIRE(plan["layers"].size() == 7);
  CHECK(plan["excluded"].size() == 1);
  CHECK(plan["excluded"][0]["reason"] == "no alpha_hill_peak on this layer");
  size_t above = 0;
  for (const auto& l : plan["layers"]) {
    const bool over = l["ratio"].get<double>() > 1;
    above += over;
    CHECK(l.contains("warning") == over);
    if (over) CHECK_THAT(l["warning"].get<std::string>(), Catch::Contains("not clipped"));
  }
  CHECK(above > 0);  // lm_head (alpha 9, the largest layer) at 1.3 x 0.95 x the scaler
  CHECK(std::abs(weighted_mean(plan) - 0.95) <= 1e-12);
}

TEST_CASE("AlphaPruning plan: block_wise without blocks, or no layer with the metric, is an error", "[plan]") {
  json report = {{"layers", {layer("conv1.weight", {8, 3, 3, 3}, 2.0), layer("fc.weight", {10, 8}, 3.0)}}};
  CHECK_THROWS_WITH(ws::allocation_plan(report, ws::plan_options_from_json({{"method", "alphapruning"}, {"mapping", "block_wise"}})),
                    Catch::Contains("at least 2 transformer blocks"));
  CHECK(ws::allocation_plan(report, ws::plan_options_from_json({{"method", "alphapruning"}}))["mapping"] == "layer_wise");
  for (auto& l : report["layers"]) l.erase("alpha_hill_peak");
  CHECK_THROWS_WITH(ws::allocation_plan(report, ws::plan_options_from_json({{"method", "alphapruning"}})),
                    Catch::Contains("no layer has alpha_hill_peak"));
  CHECK_THROWS_WITH(ws::allocation_plan(json::object(), ws::plan_options_from_json({{"method", "alphapruning"}})),
                    Catch::Contains("not a weightscope report"));
}

TEST_CASE("TempBalance plan: every layer, untuned ones at 1 with the reason", "[plan]") {
  json report = llama_report();
  report["layers"][2]["num_evals"] = 20;
  const json plan = ws::allocation_plan(report, ws::plan_options_from_json({{"method", "tempbalance"}}));
  CHECK(plan["target"].is_null());
  CHECK(plan["metric"] == "alpha_hill");
  CHECK_FALSE(plan.contains("mapping"));
  REQUIRE(plan["layers"].size() == 8);
  CHECK(plan["layers"][0]["untuned"] == "first layer (TempBalance remove_first_layer)");
  CHECK(plan["layers"][2]["untuned"] == "20 eigenvalues < eigs_thresh 50");
  CHECK(plan["layers"][7]["untuned"] == "last layer (TempBalance remove_last_layer)");
  for (size_t i : {0, 2, 7}) CHECK(plan["layers"][i]["ratio"] == 1.0);
  // Tuned alpha_hill: 1.5, 3.5, 5.5, 2.0, 2.0 -> 0.5 at 1.5, 1.5 at 5.5.
  CHECK(plan["layers"][1]["ratio"] == 0.5);
  CHECK(plan["layers"][4]["ratio"] == 1.5);
  CHECK(plan["layers"][3]["ratio"].get<double>() == Approx(1.0));
}

TEST_CASE("plan CSV: one row per layer, the plan's columns", "[plan]") {
  const json plan = ws::allocation_plan(llama_report(), ws::plan_options_from_json({{"method", "alphapruning"}}));
  const std::string csv = ws::plan_csv(plan);
  CHECK(csv.rfind("tensor,name,params,metric,ratio,block,block_metric,warning\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
  CHECK(csv.find("\nmodel.layers.0.self_attn.q_proj.weight,model.layers.0.self_attn.q_proj,64,2.0,") != std::string::npos);
  const std::string tb = ws::plan_csv(ws::allocation_plan(llama_report(), ws::plan_options_from_json({{"method", "tempbalance"}})));
  CHECK(tb.rfind("tensor,name,params,metric,ratio,untuned,warning\n", 0) == 0);
}
