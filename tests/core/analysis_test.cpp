// The pipeline driver: broken layers are skipped with a reason while the others are analyzed.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "analysis/analysis.h"
#include "test_model_builder.h"

namespace {

nlohmann::json run(std::vector<uint8_t> bytes, ws::AnalyzeOptions opt = {}) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(std::move(bytes), "model.safetensors"));
  ws::Analysis a(ws::open_model(std::move(sources)), opt);
  while (!a.done()) a.step();
  return a.report();
}

std::string reason_of(const nlohmann::json& report, const std::string& name) {
  for (const auto& s : report["skipped"])
    if (s["name"] == name) return s["reason"];
  return "";
}

}  // namespace

TEST_CASE("broken layers are skipped with a reason, the rest analyzed", "[analysis]") {
  std::vector<float> nan_w = wstest::gaussian(64 * 32, 1);
  nan_w[100] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> inf_w = wstest::gaussian(64 * 32, 2);
  inf_w[7] = std::numeric_limits<float>::infinity();
  const auto bytes = wstest::safetensors_bytes({
      {"good.weight", {64, 32}, wstest::gaussian(64 * 32, 3)},
      {"nan.weight", {64, 32}, nan_w},
      {"inf.weight", {64, 32}, inf_w},
      {"zero.weight", {64, 32}, std::vector<float>(64 * 32, 0.0f)},
      {"const.weight", {64, 32}, std::vector<float>(64 * 32, 0.5f)},
      {"row.weight", {1, 64}, wstest::gaussian(64, 4)},
      {"good.bias", {64}, wstest::gaussian(64, 5)},
  });
  const nlohmann::json report = run(bytes);
  REQUIRE(report["layers"].size() == 1);
  CHECK(report["layers"][0]["name"] == "good");
  CHECK(report["layers"][0]["status"] == "success");
  CHECK(reason_of(report, "nan").find("NaN or Inf (first at element 100)") != std::string::npos);
  CHECK(reason_of(report, "inf").find("first at element 7") != std::string::npos);
  CHECK(reason_of(report, "zero") == "all weights are zero");
  CHECK(reason_of(report, "const").find("all weights are equal") != std::string::npos);
  CHECK(reason_of(report, "row").find("min_evals") != std::string::npos);
  CHECK(report["summary"]["num_ignored"] == 1);  // the bias is not a layer candidate
  CHECK(report["format"] == "weightscope-report");
  CHECK(report["version"] == 1);
}

TEST_CASE("a Gaussian layer follows Marchenko-Pastur with no spikes", "[analysis]") {
  // W: 1000 x 250 entries N(0,1). Eigenvalues of W^T W fill N (1 -/+ sqrt(M/N))^2.
  const uint64_t N = 1000, M = 250;
  const auto bytes = wstest::safetensors_bytes({{"w.weight", {N, M}, wstest::gaussian(N * M, 9)}});
  const nlohmann::json report = run(bytes);
  REQUIRE(report["layers"].size() == 1);
  const auto& l = report["layers"][0];
  const double edge_hi = N * std::pow(1 + std::sqrt(double(M) / N), 2);
  const double edge_lo = N * std::pow(1 - std::sqrt(double(M) / N), 2);
  const auto& evals = l["spectra"]["evals"];
  CHECK(evals.back().get<double>() == Approx(edge_hi).epsilon(0.02));
  CHECK(evals.front().get<double>() == Approx(edge_lo).epsilon(0.05));
  CHECK(l["num_spikes"] == 0);
  CHECK(l["bulk_max"].get<double>() == Approx(edge_hi).epsilon(0.05));
}

TEST_CASE("randomize is reproducible from its seed", "[analysis]") {
  const auto bytes = wstest::safetensors_bytes({{"w.weight", {200, 100}, wstest::gaussian(200 * 100, 11)}});
  ws::AnalyzeOptions opt;
  opt.randomize = true;
  opt.spectra = false;
  const auto a = run(bytes, opt), b = run(bytes, opt);
  const double d = a["layers"][0]["rand_distance"];
  CHECK(d == b["layers"][0]["rand_distance"].get<double>());
  CHECK(d >= 0.0);
  CHECK(d < 0.2);  // a Gaussian matrix is already random: its shuffle has nearly the same spectrum
}
