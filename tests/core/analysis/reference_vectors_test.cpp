// Eigenvector metrics (the vectors option) on every real fixture against the reference tool's
// analyze(vectors=True) (tests/data/reference/<model>_vectors.json and the per-vector files
// <model>_<layer>_vectors.json), with the tolerances tests/data/reference's README argues for.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>

#include "analysis/analysis.h"
#include "support/run_report.h"
#include "support/test_data.h"

namespace {

// Python's json writes an infinite min_rel_gap (layers of 1 x 1 slices) as the bare word Infinity,
// which is not JSON; no value the tests read is infinite.
nlohmann::json load_json(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (size_t at; (at = text.find(": Infinity")) != std::string::npos;) text.replace(at, 10, ": null");
  return nlohmann::json::parse(text);
}

nlohmann::json analyze_with_vectors(const std::string& model) {
  ws::AnalyzeOptions opt;
  opt.vectors = true;
  return ws_test::run_report(ws::open_model_paths({ws_test::test_data("fixtures/" + model + ".safetensors")}), opt);
}

using ws_test::layer_named;

bool close(double ours, double theirs) { return std::abs(ours - theirs) <= 1e-8 * std::abs(theirs) + 1e-12; }

}  // namespace

TEST_CASE("vector columns match the reference's split at the top num_pl_spikes eigenvectors", "[reference][vectors]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2",
                                     "nsfwjs_mobilenet_v2_bf16", "nsfwjs_mobilenet_v2_f16");
  INFO("model " << model);
  const nlohmann::json ref = load_json(ws_test::test_data("reference/" + model + "_vectors.json"));
  const nlohmann::json report = analyze_with_vectors(model);
  REQUIRE(report["layers"].size() == ref["layers"].size());
  size_t checked = 0, coin_flips = 0;
  for (const auto& r : ref["layers"]) {
    const std::string name = r["name"];
    INFO("layer " << name);
    const auto& l = layer_named(report, name);
    REQUIRE(l["num_pl_spikes"] == r["num_pl_spikes"]);
    // Our tail is the top num_pl_spikes vectors: the reference's esd_split. Its own split differs
    // only when its xmin vector fell to the bulk (a rounding coin flip): then either is accepted.
    const bool flipped = r["diagnostics"]["xmin_vector_in_bulk"];
    coin_flips += flipped;
    const bool bulk_ambiguous = r["diagnostics"]["num_basis_ambiguous_in_bulk"].get<int>() > 0;
    for (const auto& key : ref["vector_columns"]) {
      const std::string k = key;
      INFO("column " << k);
      REQUIRE(l.contains(k));
      if (r[k].is_null()) {
        CHECK(l[k].is_null());
        continue;
      }
      if (bulk_ambiguous && k.rfind("bulk_", 0) == 0) continue;  // its basis is arbitrary
      const double ours = l[k].get<double>();
      CHECK((close(ours, r["esd_split"][k].get<double>()) || (flipped && close(ours, r[k].get<double>()))));
      ++checked;
    }
  }
  INFO(checked << " values checked, " << coin_flips << " layers where the reference's xmin vector fell in the bulk");
  CHECK(checked >= 12 * 30);
}

TEST_CASE("per-eigenvector arrays match the reference where the eigenvalue gap fixes the vector",
          "[reference][vectors]") {
  const auto [model, layer] = GENERATE(table<std::string, std::string>({{"ppocrv4_rec", "linear_77"},
                                                                         {"ppocrv4_rec", "conv2d_145"},
                                                                         {"nsfwjs_mobilenet_v2", "dense_1"}}));
  INFO(model << " " << layer);
  const nlohmann::json ref = load_json(ws_test::test_data("reference/" + model + "_" + layer + "_vectors.json"));
  const nlohmann::json report = analyze_with_vectors(model);
  const auto& spectra = layer_named(report, layer)["spectra"];
  const size_t n = ref["num_vectors"];
  REQUIRE(spectra["evals"].size() == n);
  for (const char* key : {"loc_ratio", "part_ratio", "vec_entropy"}) REQUIRE(spectra[key].size() == n);
  size_t compared = 0;
  for (size_t i = 0; i < n; ++i) {
    const double gap = ref["rel_gap"][i];
    if (gap < 1e-9) continue;  // (near-)degenerate: the eigenvector itself is arbitrary
    INFO("vector " << i << ", relative gap " << gap);
    // Both lists ascend, so a vector with a clear gap has the same index in both.
    REQUIRE(spectra["evals"][i].get<double>() ==
            Approx(ref["eigenvalue"][i].get<double>()).epsilon(1e-9).margin(1e-12 * spectra["evals"][n - 1].get<double>()));
    const double rtol = gap >= 1e-6 ? 1e-9 : 1e-6;
    CHECK(spectra["loc_ratio"][i].get<double>() == Approx(ref["loc_ratio"][i].get<double>()).epsilon(rtol));
    CHECK(spectra["part_ratio"][i].get<double>() == Approx(ref["part_ratio"][i].get<double>()).epsilon(rtol));
    CHECK(std::abs(spectra["vec_entropy"][i].get<double>() - ref["vec_entropy"][i].get<double>()) <= 1e-9);
    ++compared;
  }
  INFO(compared << " of " << n << " vectors compared");
  CHECK(compared >= n * 9 / 10);
}
