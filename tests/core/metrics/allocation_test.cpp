// The allocation mappings fed the practitioners' own metric values, against the same formulas run
// in float64 by the reference (tests/data/reference/alphapruning_llama_plans.json: AlphaPruning's
// shipped LLaMA alpha_peak files; <model>_practitioners.json: plans and TempBalance factors on the
// fixtures), and closed forms.
#include "metrics/allocation.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "metrics/numpy_sum.h"
#include "support/metrics_reference.h"

namespace {

double max_rel_diff(const std::vector<double>& a, const nlohmann::json& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] / b[i].get<double>() - 1));
  return worst;
}

double weighted_mean(const std::vector<double>& ratio, const std::vector<double>& params) {
  return ws::numpy_sum(ratio.size(), [&](size_t i) { return ratio[i] * params[i]; }) /
         ws::numpy_sum(params.size(), [&](size_t i) { return params[i]; });
}

}  // namespace

TEST_CASE("AlphaPruning sparsities match its LLaMA plans (ratios_f64), blocks found from the names", "[allocation]") {
  const nlohmann::json ref = wsmetrics::load_json(ws_test::test_data("reference/alphapruning_llama_plans.json"));
  const auto& order = ref["layer_order"];
  size_t plans = 0;
  double worst = 0;
  for (const auto& [model, m] : ref["models"].items()) {
    std::vector<double> metric, params;
    std::vector<std::string> block;
    const int blocks = m["num_blocks"];
    for (int b = 0; b < blocks; ++b)
      for (size_t k = 0; k < order.size(); ++k) {
        metric.push_back(m["alpha_peak"][b * order.size() + k]);
        params.push_back(m["params_per_layer"][k]);
        block.push_back(ws::transformer_block("model.layers." + std::to_string(b) + "." + order[k].get<std::string>() + ".weight"));
      }
    for (const auto& p : m["plans"]) {
      INFO(model << " " << p["mapping_type"] << " epsilon " << p["epsilon"] << " target " << p["target_sparsity"]);
      const bool block_wise = p["mapping_type"] == "block_wise";
      const double target = p["target_sparsity"];
      const std::vector<double> r = ws::alphapruning_sparsities(block_wise ? ws::block_means(metric, block) : metric,
                                                                params, target, p["epsilon"]);
      worst = std::max(worst, max_rel_diff(r, p["ratios_f64"]));
      CHECK(max_rel_diff(r, p["ratios_f64"]) <= 1e-9);
      CHECK(std::abs(weighted_mean(r, params) - target) <= 1e-12);
      ++plans;
    }
  }
  CHECK(plans == 32);
  WARN("LLaMA plans: " << plans << ", max relative difference " << worst);
}

TEST_CASE("AlphaPruning sparsities match the fixture plans (ratio_f64), ratios above 1 kept", "[allocation]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2");
  const nlohmann::json ref = wsmetrics::load_json(ws_test::test_data("reference/" + model + "_practitioners.json"));
  std::map<std::string, std::string> block_of;  // ppocrv4_rec's two SVTR blocks, as the reference groups them
  if (ref["alphapruning"]["block_structure"].is_object())
    for (size_t b = 0; b < ref["alphapruning"]["block_structure"]["blocks"].size(); ++b)
      for (const auto& name : ref["alphapruning"]["block_structure"]["blocks"][b]) block_of[name] = std::to_string(b);
  size_t plans = 0, above_one = 0;
  double worst = 0;
  for (const auto& p : ref["alphapruning"]["plans"]) {
    if (p.contains("error")) continue;  // a metric their code cannot compute on some layer
    INFO(model << " " << p["scope"] << " " << p["metric"] << " " << p["mapping_type"] << " target " << p["target_sparsity"]);
    std::vector<double> metric, params;
    std::vector<std::string> block;
    for (const auto& l : p["layers"]) {
      metric.push_back(l["metric"]);
      params.push_back(l["params"]);
      block.push_back(block_of[l["name"]]);
    }
    const bool block_wise = p["mapping_type"] == "block_wise";
    const std::vector<double> r = ws::alphapruning_sparsities(block_wise ? ws::block_means(metric, block) : metric,
                                                              params, p["target_sparsity"], p["epsilon"]);
    nlohmann::json expected = nlohmann::json::array();
    for (const auto& l : p["layers"]) expected.push_back(l["ratio_f64"]);
    worst = std::max(worst, max_rel_diff(r, expected));
    CHECK(max_rel_diff(r, expected) <= 1e-9);
    CHECK(std::abs(weighted_mean(r, params) - p["target_sparsity"].get<double>()) <= 1e-12);
    for (double v : r) above_one += v > 1;
    ++plans;
  }
  CHECK(plans > 0);
  WARN(model << ": " << plans << " plans, max relative difference " << worst << ", " << above_one << " ratios > 1");
  if (model == "ppocrv4_rec") CHECK(above_one > 0);  // e.g. 1.043 at target 0.7 (alpha_mid, all layers)
}

TEST_CASE("TempBalance factors match its default run on the fixtures (lr_factor), untuned layers too", "[allocation]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2");
  const nlohmann::json ref = wsmetrics::load_json(ws_test::test_data("reference/" + model + "_practitioners.json"));
  std::map<std::string, int64_t> eigs;
  for (const auto& l : ref["layers"]) eigs[l["name"]] = l["tb_eigs_num"];
  size_t runs = 0;
  double worst = 0;
  for (const auto& f : ref["tempbalance"]["factors"]) {
    if (f.contains("error") || f["assign_func"] != "tb_linear_map") continue;
    INFO(model << " " << f["pl_fitting"] << " filter_zeros " << f["filter_zeros"]);
    REQUIRE(f["lr_min_ratio"] == 0.5);
    REQUIRE(f["lr_max_ratio"] == 1.5);
    std::vector<double> alpha;
    std::vector<int64_t> num_evals;
    for (const auto& l : f["layers"]) {
      alpha.push_back(l["alpha"]);
      num_evals.push_back(eigs.at(l["name"]));
    }
    const ws::TempBalanceFactors t = ws::tempbalance_factors(alpha, num_evals, 0.5);
    for (size_t i = 0; i < alpha.size(); ++i) {
      const auto& l = f["layers"][i];
      INFO("layer " << l["name"]);
      CHECK((t.untuned[i] == ws::Untuned::No) == l["tuned"].get<bool>());
      CHECK(std::abs(t.factor[i] - l["lr_factor"].get<double>()) <= 1e-9 * l["lr_factor"].get<double>());
      worst = std::max(worst, std::abs(t.factor[i] / l["lr_factor"].get<double>() - 1));
    }
    ++runs;
  }
  CHECK(runs >= 4);
  WARN(model << ": " << runs << " TempBalance runs, max relative difference " << worst);
}

TEST_CASE("Allocation closed forms", "[allocation]") {
  SECTION("the parameter-weighted mean sparsity is the target; the spread is 1 +- epsilon before renormalising") {
    const std::vector<double> metric = {2.0, 3.5, 5.0, 2.75}, params = {100, 3000, 25, 7};
    const std::vector<double> r = ws::alphapruning_sparsities(metric, params, 0.6, 0.25);
    CHECK(std::abs(weighted_mean(r, params) - 0.6) <= 1e-12);
    CHECK(r[2] / r[0] == Approx(1.25 / 0.75).epsilon(1e-14));  // max metric / min metric
    CHECK(r[3] / r[0] == Approx(0.875 / 0.75).epsilon(1e-14));  // a quarter of the way up: 0.75 + 0.125
  }
  SECTION("a constant metric gives the target everywhere (their code divides by zero)") {
    for (double v : ws::alphapruning_sparsities({3.0, 3.0}, {10, 20}, 0.5, 0.3)) CHECK(v == Approx(0.5).epsilon(1e-15));
  }
  SECTION("block means: layers of one block share their mean, wherever they are") {
    const std::vector<double> m = ws::block_means({1.0, 2.0, 4.0, 3.0}, {"a", "b", "a", "b"});
    CHECK(m == std::vector<double>{2.5, 2.5, 2.5, 2.5});
    CHECK(ws::block_means({1.0, 5.0, 3.0}, {"a", "a", "b"}) == std::vector<double>{3.0, 3.0, 3.0});
  }
  SECTION("TempBalance: 0.5 at the lowest tuned alpha, 1.5 at the highest; a constant metric gives 1") {
    const ws::TempBalanceFactors t = ws::tempbalance_factors({9.0, 2.0, 3.0, 4.0, NAN, 3.0, 1.0}, {99, 60, 60, 60, 60, 10, 60}, 0.5);
    CHECK(t.factor == std::vector<double>{1.0, 0.5, 1.0, 1.5, 1.0, 1.0, 1.0});
    CHECK(t.untuned == std::vector<ws::Untuned>{ws::Untuned::FirstLayer, ws::Untuned::No, ws::Untuned::No, ws::Untuned::No,
                                                ws::Untuned::NoMetric, ws::Untuned::FewEigenvalues, ws::Untuned::LastLayer});
    const ws::TempBalanceFactors c = ws::tempbalance_factors({1.0, 2.0, 1.0}, {60, 60, 60}, 0.5);
    CHECK(c.constant_metric);
    CHECK(c.factor[1] == 1.0);
  }
}

TEST_CASE("Transformer blocks from tensor names", "[allocation]") {
  CHECK(ws::transformer_block("model.layers.3.self_attn.q_proj.weight") == "model.layers.3");
  CHECK(ws::transformer_block("model.decoder.layers.12.fc1.weight") == "model.decoder.layers.12");
  CHECK(ws::transformer_block("blk.0.attn_q.weight") == "blk.0");
  CHECK(ws::transformer_block("transformer.h.11.attn.c_attn.weight") == "transformer.h.11");
  CHECK(ws::transformer_block("bert.encoder.layer.5.attention.self.query.weight") == "bert.encoder.layer.5");
  CHECK(ws::transformer_block("blocks.7.mlp.fc2.weight") == "blocks.7");
  CHECK(ws::transformer_block("encoder.block.0.layer.1.DenseReluDense.wi.weight") == "encoder.block.0");
  CHECK(ws::transformer_block("model.embed_tokens.weight") == "");
  CHECK(ws::transformer_block("lm_head.weight") == "");
  CHECK(ws::transformer_block("block_10_expand.weight") == "");  // MobileNet's names: no dot-number
  CHECK(ws::transformer_block("layers.3") == "");                // the number must be followed by more
  CHECK(ws::transformer_block("model.layers.x1.weight") == "");
}
