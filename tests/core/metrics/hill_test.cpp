// The Hill alphas against the practitioners' float64 transcription of their estimator with
// filter_zeros=True (tests/data/reference/<model>_practitioners.json, alpha_hill_f64_filter_zeros),
// on the eigenvalues of every fixture layer.
#include "metrics/hill.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>

#include "support/metrics_reference.h"
#include "support/test_pool.h"

namespace {

bool rel_close(double a, double b, double rtol) { return std::abs(a - b) <= rtol * std::abs(b); }

}  // namespace

TEST_CASE("Hill alphas match the practitioners' float64 filter_zeros values on every fixture layer", "[hill]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2");
  INFO("model " << model);
  const nlohmann::json ref = wsmetrics::load_json(ws_test::test_data("reference/" + model + "_practitioners.json"));
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& l : ref["layers"]) by_name[l["name"].get<std::string>()] = l["alpha_hill_f64_filter_zeros"];

  size_t compared = 0;
  double worst_mid = 0, worst_peak = 0;
  for (const auto& layer : wsmetrics::fixture_spectra(model)) {
    INFO("layer " << layer.name);
    REQUIRE(by_name.count(layer.name));
    const auto& r = by_name.at(layer.name);
    const ws::HillAlphas h = ws::hill_alphas(layer.evals, ws_test::test_pool());
    const double mid = r["xmin_mid"]["alpha"], peak = r["xmin_peak"]["alpha"];
    CHECK(rel_close(h.mid, mid, 1e-9));
    CHECK(rel_close(h.peak, peak, 1e-9));
    worst_mid = std::max(worst_mid, std::abs(h.mid / mid - 1));
    worst_peak = std::max(worst_peak, std::abs(h.peak / peak - 1));
    ++compared;
  }
  CHECK(compared == ref["layers"].size());
  WARN(model << ": " << compared << " layers, max relative difference mid " << worst_mid << ", peak " << worst_peak);
}

TEST_CASE("Hill alphas: closed forms and undefined cases", "[hill]") {
  SECTION("a geometric tail: xmin_mid is the Hill estimate of its upper half") {
    // x_j = 2^j, j = 0..9: i = 5, tail 2^5..2^9, sum ln(x_j / x_5) = ln 2 * (0+1+2+3+4) = 10 ln 2.
    std::vector<double> x;
    for (int j = 0; j < 10; ++j) x.push_back(std::ldexp(1.0, j));
    CHECK(ws::hill_alphas(x, ws_test::test_pool()).mid == Approx(1.0 + 5.0 / (10.0 * std::log(2.0))).epsilon(1e-14));
  }
  SECTION("eigenvalues <= 1e-5 are dropped before the estimate (filter_zeros)") {
    std::vector<double> x = {1e-12, 2e-6, 1e-5};
    for (int j = 0; j < 10; ++j) x.push_back(std::ldexp(1.0, j));
    std::vector<double> kept(x.begin() + 3, x.end());
    const ws::HillAlphas a = ws::hill_alphas(x, ws_test::test_pool()), b = ws::hill_alphas(kept, ws_test::test_pool());
    CHECK(a.mid == b.mid);
    CHECK(a.peak == b.peak);
  }
  SECTION("undefined: fewer than 2 kept eigenvalues, all equal, a tied upper half, non-finite") {
    CHECK(std::isnan(ws::hill_alphas({1e-7, 1e-6, 3.0}, ws_test::test_pool()).mid));
    CHECK(std::isnan(ws::hill_alphas({2.0, 2.0, 2.0}, ws_test::test_pool()).peak));
    CHECK(std::isnan(ws::hill_alphas({1.0, 2.0, 3.0, 3.0, 3.0}, ws_test::test_pool()).mid));
    const ws::HillAlphas n = ws::hill_alphas({1.0, 2.0, std::nan("")}, ws_test::test_pool());
    CHECK(std::isnan(n.mid));
    CHECK(std::isnan(n.peak));
  }
}

TEST_CASE("Hill alphas from the power-law fit's scan equal their own scan bit for bit", "[hill]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2");
  INFO("model " << model);
  ws::PowerLawOptions clipped;  // a fit whose scan is not the whole one: hill scans for itself
  clipped.fix_fingers = ws::Fingers::ClipXmax;
  for (const auto& layer : wsmetrics::fixture_spectra(model)) {
    INFO("layer " << layer.name);
    const ws::HillAlphas own = ws::hill_alphas(layer.evals, ws_test::test_pool());
    for (const ws::PowerLawOptions& opt : {ws::PowerLawOptions{}, clipped}) {
      const ws::PowerLawFit fit = ws::fit_power_law(layer.evals, opt, ws_test::test_pool());
      const ws::HillAlphas shared = ws::hill_alphas(layer.evals, fit, opt, ws_test::test_pool());
      CHECK(std::memcmp(&shared.mid, &own.mid, sizeof(double)) == 0);
      CHECK(std::memcmp(&shared.peak, &own.peak, sizeof(double)) == 0);
    }
  }
}
