#pragma once
// A layer of our report against the reference tool's row for the same layer
// (tests/data/reference/<model>.json, results.default.layers[]): the tolerances of the issue's
// "done when" (alpha within 1e-3, D within 1e-4) and the exact counts.
#include <cmath>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace ws_test {

inline void check_layer_matches_reference(const nlohmann::json& l, const nlohmann::json& r) {
  REQUIRE(l["status"] == "success");
  CHECK(l["num_evals"] == r["num_evals"]);
  CHECK(std::abs(l["alpha"].get<double>() - r["alpha"].get<double>()) <= 1e-3);
  CHECK(std::abs(l["D"].get<double>() - r["D"].get<double>()) <= 1e-4);
  CHECK(l["lambda_max"].get<double>() == Approx(r["lambda_max"].get<double>()).epsilon(1e-6));
  CHECK(l["num_pl_spikes"] == r["num_pl_spikes"]);
  CHECK(l["warning"] == r["warning"]);
}

}  // namespace ws_test
