// The whole pipeline on every real fixture against the reference tool's outputs
// (weightwatcher 0.7.5.5 on the same files, tests/data/reference/<model>.json).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "analysis/analysis.h"
#include "support/load_json.h"
#include "support/reference_layers.h"
#include "support/run_report.h"
#include "support/test_data.h"

namespace {

using ws_test::load_json;

std::map<std::string, nlohmann::json> by_name(const nlohmann::json& layers) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& l : layers) m[l["name"].get<std::string>()] = l;
  return m;
}

nlohmann::json analyze_fixture(const std::string& model) {
  ws::AnalyzeOptions opt;
  opt.spectra = false;
  return ws_test::run_report(ws::open_model_paths({ws_test::test_data("fixtures/" + model + ".safetensors")}), opt);
}

}  // namespace

TEST_CASE("every fixture reproduces the reference tool layer by layer", "[reference]") {
  const std::string model = GENERATE(as<std::string>{}, "ppocrv4_rec", "nsfwjs_mobilenet_v2",
                                     "nsfwjs_mobilenet_v2_bf16", "nsfwjs_mobilenet_v2_f16");
  INFO("model " << model);
  const nlohmann::json ref = load_json(ws_test::test_data("reference/" + model + ".json"));
  const nlohmann::json report = analyze_fixture(model);

  // Same analyzed layers, in the same order, and the same skipped tensors.
  std::vector<std::string> ours, theirs;
  for (const auto& l : report["layers"]) ours.push_back(l["name"]);
  for (const auto& l : ref["results"]["default"]["layers"]) theirs.push_back(l["name"]);
  CHECK(ours == theirs);
  std::set<std::string> our_skips, their_skips;
  for (const auto& s : report["skipped"]) our_skips.insert(s["name"].get<std::string>());
  for (const auto& s : ref["skipped_layers"]) their_skips.insert(s["name"].get<std::string>());
  CHECK(our_skips == their_skips);

  const auto def = by_name(ref["results"]["default"]["layers"]);
  const auto detx = by_name(ref["results"]["detX"]["layers"]);
  const auto mp = by_name(ref["results"]["mp_fit"]["layers"]);
  size_t mp_close = 0, mp_total = 0;
  for (const auto& l : report["layers"]) {
    const std::string name = l["name"];
    INFO("layer " << name);
    REQUIRE(def.count(name));
    const auto& r = def.at(name);
    ws_test::check_layer_matches_reference(l, r);
    CHECK(l["log_norm"].get<double>() == Approx(r["log_norm"].get<double>()).epsilon(1e-6).margin(1e-9));
    CHECK(l["alpha_weighted"].get<double>() ==
          Approx(r["alpha_weighted"].get<double>()).epsilon(1e-3).margin(1e-3));
    CHECK(l["stable_rank"].get<double>() == Approx(r["stable_rank"].get<double>()).epsilon(1e-6));
    CHECK(l["detX_num"] == detx.at(name)["detX_num"]);
    CHECK(l["detX_val"].get<double>() == Approx(detx.at(name)["detX_val"].get<double>()).epsilon(1e-6));
    ++mp_total;
    if (l.contains("num_spikes") && std::llabs(l["num_spikes"].get<long long>() -
                                               mp.at(name)["num_spikes"].get<long long>()) <= 1)
      ++mp_close;
  }
  INFO("MP num_spikes within 1 of the reference: " << mp_close << " / " << mp_total);
  CHECK(mp_close >= 0.9 * mp_total);

  // The model means: ours skip failed fits, and no fixture layer fails, so they equal the reference's.
  const auto& rs = ref["results"]["default"]["summary"];
  CHECK(report["summary"]["alpha"].get<double>() == Approx(rs["alpha"].get<double>()).epsilon(1e-4));
  CHECK(report["summary"]["log_norm"].get<double>() == Approx(rs["log_norm"].get<double>()).epsilon(1e-6));
}
