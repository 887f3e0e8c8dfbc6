#pragma once
// Test-only access to the reference tool's outputs (tests/data/reference) and to the eigenvalues of
// every fixture layer, for the [metrics] tests (layer planning, spectral metrics, MP fit).
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "formats/model_input.h"
#include "layers/layer_plan.h"
#include "layers/matrix_view.h"
#include "spectrum/eigenvalues.h"
#include "support/load_json.h"
#include "support/test_data.h"

namespace wsmetrics {

inline const std::vector<std::string>& fixture_models() {
  static const std::vector<std::string> m = {"nsfwjs_mobilenet_v2", "nsfwjs_mobilenet_v2_bf16",
                                             "nsfwjs_mobilenet_v2_f16", "ppocrv4_rec"};
  return m;
}

using ws_test::load_json;

inline nlohmann::json reference(const std::string& model) {
  return load_json(ws_test::test_data("reference/" + model + ".json"));
}

inline std::string fixture_path(const std::string& model) {
  return ws_test::test_data("fixtures/" + model + ".safetensors");
}

// results.<run>.layers keyed by layer name.
inline std::map<std::string, nlohmann::json> reference_layers(const nlohmann::json& ref, const std::string& run) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& l : ref["results"][run]["layers"]) m[l["name"].get<std::string>()] = l;
  return m;
}

// The reference's full eigenvalue lists (<model>_<layer>_evals.json).
inline std::vector<std::string> evals_files() {
  return {"nsfwjs_mobilenet_v2_bf16_dense_1", "nsfwjs_mobilenet_v2_block_16_project", "nsfwjs_mobilenet_v2_dense_1",
          "nsfwjs_mobilenet_v2_f16_dense_1",  "ppocrv4_rec_conv2d_180",                "ppocrv4_rec_linear_77",
          "ppocrv4_rec_linear_85"};
}

struct LayerSpectrum {
  std::string name;
  ws::LayerPlan plan;
  std::vector<double> evals;  // pooled, ascending
};

// Eigenvalues of every analyzed layer of a fixture, computed once per model per test run.
inline const std::vector<LayerSpectrum>& fixture_spectra(const std::string& model) {
  static std::map<std::string, std::vector<LayerSpectrum>> cache;
  auto it = cache.find(model);
  if (it != cache.end()) return it->second;
  ws::ModelInput input = ws::open_model_paths({fixture_path(model)});
  ws::ThreadPool pool(2);
  const ws::LayerOptions opt;
  std::vector<LayerSpectrum> out;
  for (const auto& t : input.tensors) {
    const ws::LayerPlan plan = ws::plan_layer(t, opt);
    if (!plan.analyze) continue;
    const std::vector<uint8_t> bytes = ws::read_tensor(input, t);
    out.push_back({plan.name, plan, ws::pooled_eigenvalues(ws::layer_matrices(bytes.data(), t, plan, opt), pool)});
  }
  return cache[model] = std::move(out);
}

}  // namespace wsmetrics
