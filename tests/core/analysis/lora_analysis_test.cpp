// A PEFT LoRA adapter through the whole pipeline: the shared fixture against its reference
// (tests/data/reference/ppocrv4_rec_finetune.json, lora.modules[]), with and without the base
// model, and adapters that are broken in one way each.
#include <catch2/catch.hpp>

#include <Eigen/SVD>

#include <cmath>
#include <fstream>
#include <map>

#include "analysis/analysis.h"
#include "io/input_error.h"
#include "support/load_json.h"
#include "support/run_report.h"
#include "support/test_data.h"
#include "support/test_model_builder.h"

namespace {

const std::string kAdapterDir = "fixtures/finetune/ppocrv4_rec_lora";

using ws_test::load_json;

nlohmann::json run(ws::ModelInput model, std::optional<ws::ModelInput> base = std::nullopt) {
  return ws_test::run_report(std::move(model), {}, std::move(base));
}

std::map<std::string, nlohmann::json> by_name(const nlohmann::json& entries) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& e : entries) m[e["name"].get<std::string>()] = e;
  return m;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// Eigenvalues to 1e-9 relative each, returning the largest difference seen.
double check_evals(const nlohmann::json& ours, const nlohmann::json& ref) {
  REQUIRE(ours.size() == ref.size());
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, rel(ours[i].get<double>(), ref[i].get<double>()));
  CHECK(worst < 1e-9);
  return worst;
}

double check_fit(const nlohmann::json& layer, const nlohmann::json& fit) {
  REQUIRE(layer["status"] == "success");
  CHECK(layer["num_pl_spikes"] == fit["num_pl_spikes"]);
  double worst = 0;
  for (const char* key : {"alpha", "xmin", "D", "sigma"}) {
    const double d = rel(layer[key].get<double>(), fit[key].get<double>());
    INFO(key << ": " << layer[key] << " vs " << fit[key]);
    CHECK(d < 1e-3);
    worst = std::max(worst, d);
  }
  return worst;
}

ws::ModelInput memory_adapter(const std::vector<wstest::F32Tensor>& tensors, const std::string& config) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(wstest::safetensors_bytes(tensors), "adapter_model.safetensors"));
  ws::ModelInput m = ws::open_model(std::move(sources));
  m.adapter_config = config;
  return m;
}

}  // namespace

TEST_CASE("the fixture adapter: dW = 2 B A per module matches the reference's nonzero eigenvalues and fits", "[lora]") {
  const nlohmann::json ref = load_json(ws_test::test_data("reference/ppocrv4_rec_finetune.json"));
  ws::ModelInput model = ws::open_model_paths({ws_test::test_data(kAdapterDir)});
  REQUIRE(model.adapter_config);
  const nlohmann::json report = run(std::move(model));
  const auto layers = by_name(report["layers"]);
  CHECK(layers.size() == 9);
  CHECK(report["skipped"].empty());
  CHECK(report["summary"]["num_ignored"] == 0);  // the lora_B steps belong to their modules
  double worst_eval = 0, worst_fit = 0;
  for (const auto& m : ref["lora"]["modules"]) {
    const std::string name = "base_model.model." + m["module"].get<std::string>() + ".lora_BA";
    INFO(name);
    REQUIRE(layers.count(name));
    const nlohmann::json& l = layers.at(name);
    CHECK(l["lora_update"] == "BA");
    CHECK(l["lora_r"] == 16);
    CHECK(l["lora_alpha"] == 32.0);
    CHECK(l["lora_scaling"] == m["scaling"]);
    CHECK(l["num_evals"] == m["dW_num_nonzero_evals"]);
    CHECK(l["shape"] == m["base_shape"]);
    CHECK(l["N"] == std::max(m["base_shape"][0].get<int>(), m["base_shape"][1].get<int>()));
    CHECK(l["tensor"] == "base_model.model." + m["module"].get<std::string>() + ".lora_A.weight");
    worst_eval = std::max(worst_eval, check_evals(l["spectra"]["evals"], m["dW_nonzero_evals"]));
    CHECK(rel(l["lambda_max"], m["dW_lambda_max"]) < 1e-9);
    CHECK(rel(std::sqrt(l["norm"].get<double>()), m["dW_fro"]) < 1e-9);
    worst_fit = std::max(worst_fit, check_fit(l, m["dW_fit"]));
  }
  WARN("LoRA dW: max relative eigenvalue difference " << worst_eval << ", fit " << worst_fit);

  // The per-layer eigenvector action has no single tensor to read for a LoRA row: refused clearly.
  ws::Analysis again(ws::open_model_paths({ws_test::test_data(kAdapterDir)}), ws::AnalyzeOptions{});
  CHECK_THROWS_WITH(again.entry_vectors(report["layers"][0]), Catch::Contains("is a LoRA module"));
}

TEST_CASE("the fixture adapter with its base model: W_base + dW matches the reference's with_base", "[lora]") {
  const nlohmann::json ref = load_json(ws_test::test_data("reference/ppocrv4_rec_finetune.json"));
  const nlohmann::json report = run(ws::open_model_paths({ws_test::test_data(kAdapterDir)}),
                                    ws::open_model_paths({ws_test::test_data("fixtures/ppocrv4_rec.safetensors")}));
  const auto layers = by_name(report["layers"]);
  CHECK(layers.size() == 18);
  double worst_eval = 0, worst_fit = 0;
  for (const auto& m : ref["lora"]["modules"]) {
    const std::string module = m["module"];
    INFO(module);
    REQUIRE(layers.count("base_model.model." + module + ".lora_BA"));
    const std::string name = "base_model.model." + module + ".lora_W_plus_AB";
    REQUIRE(layers.count(name));
    const nlohmann::json& l = layers.at(name);
    CHECK(l["lora_update"] == "W_plus_BA");
    CHECK(l["base_tensor"] == module + ".weight");
    CHECK(l["tensor"] == "base_model.model." + module + ".lora_B.weight");
    CHECK(l["num_evals"] == m["with_base"]["num_evals"]);
    worst_eval = std::max(worst_eval, check_evals(l["spectra"]["evals"], m["with_base"]["evals"]));
    CHECK(rel(l["lambda_max"], m["with_base"]["lambda_max"]) < 1e-9);
    worst_fit = std::max(worst_fit, check_fit(l, m["with_base"]["fit"]));
    CHECK(rel(l["alpha_base"], m["base"]["fit"]["alpha"]) < 1e-9);  // W_base's own fit
  }
  WARN("LoRA W + dW: max relative eigenvalue difference " << worst_eval << ", fit " << worst_fit);
}

TEST_CASE("use_rslora and alpha_pattern rescale the eigenvalues by the squared scaling", "[lora]") {
  const nlohmann::json ref = load_json(ws_test::test_data("reference/ppocrv4_rec_finetune.json"));
  const std::string file = ws_test::test_data(kAdapterDir + "/adapter_model.safetensors");
  ws::ModelInput model = ws::open_model_paths({file});
  CHECK_FALSE(model.adapter_config);  // the file alone is an ordinary model
  // rslora: 32 / sqrt(16) = 8 = 4 x the reference's 2; linear_78's alpha 8 -> 8 / 4 = 2 = 1 x.
  model.adapter_config = R"({"r": 16, "lora_alpha": 32, "use_rslora": true, "alpha_pattern": {"linear_78": 8}})";
  const auto layers = by_name(run(std::move(model))["layers"]);
  for (const auto& m : ref["lora"]["modules"]) {
    const std::string module = m["module"];
    const double factor = module == "linear_78" ? 1.0 : 16.0;
    const nlohmann::json& l = layers.at("base_model.model." + module + ".lora_BA");
    CHECK(l["lora_scaling"] == (module == "linear_78" ? 2.0 : 8.0));
    const auto& evals = l["spectra"]["evals"];
    for (size_t i = 0; i < evals.size(); ++i)
      CHECK(rel(evals[i].get<double>(), factor * m["dW_nonzero_evals"][i].get<double>()) < 1e-9);
  }
}

TEST_CASE("broken adapters: each module skipped with its reason, a bad config refused", "[lora]") {
  const std::string cfg = R"({"r": 16, "lora_alpha": 16})";
  const auto g = [](size_t n, uint64_t seed) { return wstest::gaussian(n, seed); };
  const std::vector<wstest::F32Tensor> tensors = {
      {"base_model.model.ok.lora_A.weight", {16, 40}, g(16 * 40, 1)},
      {"base_model.model.ok.lora_B.weight", {30, 16}, g(30 * 16, 2)},
      {"base_model.model.lone.lora_A.weight", {16, 40}, g(16 * 40, 3)},
      {"base_model.model.narrow.lora_A.weight", {16, 40}, g(16 * 40, 4)},
      {"base_model.model.narrow.lora_B.weight", {30, 8}, g(30 * 8, 5)},
      {"base_model.model.zero.lora_A.weight", {16, 40}, g(16 * 40, 6)},
      {"base_model.model.zero.lora_B.weight", {30, 16}, std::vector<float>(30 * 16, 0.0f)},
      {"base_model.model.conv.lora_A.weight", {16, 3, 3, 3}, g(16 * 27, 7)},
      {"base_model.model.conv.lora_B.weight", {8, 16, 1, 1}, g(8 * 16, 8)},
      {"base_model.model.nan.lora_A.weight", {16, 40}, std::vector<float>(16 * 40, NAN)},
      {"base_model.model.nan.lora_B.weight", {30, 16}, g(30 * 16, 9)},
  };
  const nlohmann::json report = run(memory_adapter(tensors, cfg));
  REQUIRE(report["layers"].size() == 1);
  CHECK(report["layers"][0]["name"] == "base_model.model.ok.lora_BA");
  CHECK(report["layers"][0]["num_evals"] == 16);
  const auto skipped = by_name(report["skipped"]);
  CHECK_THAT(skipped.at("base_model.model.lone.lora_BA")["reason"].get<std::string>(),
             Catch::Contains("has no lora_B partner"));
  CHECK_THAT(skipped.at("base_model.model.narrow.lora_BA")["reason"].get<std::string>(),
             Catch::Contains("has 8 columns"));
  CHECK_THAT(skipped.at("base_model.model.zero.lora_BA")["reason"].get<std::string>(),
             Catch::Contains("lora_B: all weights are zero (an untrained adapter"));
  CHECK_THAT(skipped.at("base_model.model.conv.lora_BA")["reason"].get<std::string>(),
             Catch::Contains("a Conv2d LoRA factor (4-D)"));
  CHECK_THAT(skipped.at("base_model.model.nan.lora_BA")["reason"].get<std::string>(), Catch::StartsWith("lora_A: "));

  // The config's r disagrees with the tensors (a huge claimed r included), r below min_evals.
  const std::vector<wstest::F32Tensor> ok(tensors.begin(), tensors.begin() + 2);
  for (const char* wrong : {R"({"r": 8, "lora_alpha": 16})", R"({"r": 65536, "lora_alpha": 16})"}) {
    const nlohmann::json r = run(memory_adapter(ok, wrong));
    REQUIRE(r["skipped"].size() == 1);
    CHECK_THAT(r["skipped"][0]["reason"].get<std::string>(), Catch::Contains("has rank 16 but adapter_config.json gives r = "));
  }
  const std::vector<wstest::F32Tensor> rank4 = {{"base_model.model.fc.lora_A.weight", {4, 40}, g(160, 1)},
                                                {"base_model.model.fc.lora_B.weight", {30, 4}, g(120, 2)}};
  const nlohmann::json r4 = run(memory_adapter(rank4, R"({"r": 4, "lora_alpha": 8})"));
  REQUIRE(r4["skipped"].size() == 1);
  CHECK(r4["skipped"][0]["reason"] == "num_evals = min(r, in, out) = 4 < min_evals = 10 (dW = scaling * B A has at most r nonzero eigenvalues)");

  for (const char* bad : {R"({"lora_alpha": 16})", R"({"r": 0, "lora_alpha": 16})", R"({"r": -1, "lora_alpha": 16})", "{"}) {
    INFO(bad);
    CHECK_THROWS_AS(run(memory_adapter(ok, bad)), ws::InputError);
  }
}

TEST_CASE("with a base model: a missing base tensor and a fan_in_fan_out shape are skip reasons", "[lora]") {
  const auto g = [](size_t n, uint64_t seed) { return wstest::gaussian(n, seed); };
  const std::vector<wstest::F32Tensor> adapter = {
      {"base_model.model.fc.lora_A.weight", {16, 40}, g(16 * 40, 1)},
      {"base_model.model.fc.lora_B.weight", {30, 16}, g(30 * 16, 2)},
      {"base_model.model.gone.lora_A.weight", {16, 40}, g(16 * 40, 3)},
      {"base_model.model.gone.lora_B.weight", {30, 16}, g(30 * 16, 4)}};
  const auto base = [&] {
    std::vector<std::unique_ptr<ws::ByteSource>> sources;
    sources.push_back(ws::memory_source(wstest::safetensors_bytes({{"fc.weight", {30, 40}, g(30 * 40, 5)}}), "base.safetensors"));
    return ws::open_model(std::move(sources));
  };
  const nlohmann::json report = run(memory_adapter(adapter, R"({"r": 16, "lora_alpha": 16})"), base());
  const auto layers = by_name(report["layers"]);
  CHECK(layers.count("base_model.model.fc.lora_BA"));
  CHECK(layers.count("base_model.model.fc.lora_W_plus_AB"));
  CHECK(layers.count("base_model.model.gone.lora_BA"));
  const auto skipped = by_name(report["skipped"]);
  CHECK(skipped.at("base_model.model.gone.lora_W_plus_AB")["reason"] ==
        "the base model has no tensor 'gone.weight' for module 'gone'");
  const nlohmann::json t = run(memory_adapter(adapter, R"({"r": 16, "lora_alpha": 16, "fan_in_fan_out": true})"), base());
  CHECK_THAT(by_name(t["skipped"]).at("base_model.model.fc.lora_W_plus_AB")["reason"].get<std::string>(),
             Catch::Contains("is not the update's [40, 30] (fan_in_fan_out: stored [in, out])"));
}

TEST_CASE("fan_in_fan_out and Embedding: the base stored [in, out] gets (s B A)^T added", "[lora]") {
  // GPT-2's Conv1D (fan_in_fan_out) and an Embedding (lora_embedding_A [r, num_embeddings], _B [dim, r]).
  const bool embedding = GENERATE(false, true);
  INFO((embedding ? "embedding" : "fan_in_fan_out"));
  const std::string a_key = embedding ? "base_model.model.fc.lora_embedding_A" : "base_model.model.fc.lora_A.weight";
  const std::string b_key = embedding ? "base_model.model.fc.lora_embedding_B" : "base_model.model.fc.lora_B.weight";
  const std::string config = embedding ? R"({"r": 12, "lora_alpha": 6})" : R"({"r": 12, "lora_alpha": 6, "fan_in_fan_out": true})";
  const int64_t r = 12, in = 40, out = 30;
  const std::vector<float> a = wstest::gaussian(r * in, 1), b = wstest::gaussian(out * r, 2), w = wstest::gaussian(in * out, 3);
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(wstest::safetensors_bytes({{"fc.weight", {40, 30}, w}}), "base.safetensors"));
  const nlohmann::json report =
      run(memory_adapter({{a_key, {12, 40}, a}, {b_key, {30, 12}, b}}, config),
          ws::open_model(std::move(sources)));
  const auto layers = by_name(report["layers"]);
  REQUIRE(layers.count("base_model.model.fc.lora_W_plus_AB"));
  // The merged weight formed here, in the test only: W [in, out] + 0.5 (B A)^T.
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXd am = Eigen::Map<const RowMajor>(a.data(), r, in).cast<double>();
  const Eigen::MatrixXd bm = Eigen::Map<const RowMajor>(b.data(), out, r).cast<double>();
  const Eigen::MatrixXd wm = Eigen::Map<const RowMajor>(w.data(), in, out).cast<double>();
  const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(wm + 0.5 * (bm * am).transpose()).singularValues();
  const nlohmann::json& evals = layers.at("base_model.model.fc.lora_W_plus_AB")["spectra"]["evals"];
  REQUIRE(evals.size() == static_cast<size_t>(sv.size()));
  for (Eigen::Index i = 0; i < sv.size(); ++i)
    CHECK(rel(evals[static_cast<size_t>(sv.size() - 1 - i)].get<double>(), sv[i] * sv[i]) < 1e-9);
  // And the update alone, transposed or not, has the same 12 nonzero eigenvalues.
  const Eigen::VectorXd du = Eigen::JacobiSVD<Eigen::MatrixXd>(0.5 * bm * am).singularValues();
  const nlohmann::json& ue = layers.at("base_model.model.fc.lora_BA")["spectra"]["evals"];
  REQUIRE(ue.size() == 12);
  for (Eigen::Index i = 0; i < 12; ++i) CHECK(rel(ue[static_cast<size_t>(11 - i)].get<double>(), du[i] * du[i]) < 1e-9);
}
