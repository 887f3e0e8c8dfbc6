// Layer planning and matrix views: which tensors are layers (against the reference tool's
// candidate/skipped lists for every fixture), and which elements each view reads.
#include "layers/layer_plan.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <set>

#include "io/input_error.h"
#include "layers/matrix_view.h"
#include "support/metrics_reference.h"

using ws::Dtype;
using ws::LayerOptions;
using ws::TensorInfo;

namespace {

TensorInfo tensor(const std::string& name, std::vector<uint64_t> shape, Dtype dtype = Dtype::F32) {
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  uint64_t n = 1;
  for (uint64_t d : t.shape) n *= d;
  t.nbytes = n * static_cast<uint64_t>(ws::dtype_bits(dtype)) / 8;
  return t;
}

}  // namespace

TEST_CASE("every fixture plans the same layers and skips as the reference tool", "[metrics]") {
  for (const std::string& model : wsmetrics::fixture_models()) {
    INFO("model " << model);
    const nlohmann::json ref = wsmetrics::reference(model);
    const ws::ModelInput input = ws::open_model_paths({wsmetrics::fixture_path(model)});

    std::set<std::string> analyzed, skipped, candidates;
    std::map<std::string, ws::LayerPlan> plans;
    for (const auto& t : input.tensors) {
      const ws::LayerPlan p = ws::plan_layer(t, LayerOptions{});
      if (!p.candidate) continue;
      candidates.insert(p.name);
      plans[p.name] = p;
      (p.analyze ? analyzed : skipped).insert(p.name);
      if (!p.analyze) CHECK(!p.skip_reason.empty());
    }
    std::set<std::string> ref_analyzed, ref_skipped, ref_candidates;
    for (const auto& l : ref["results"]["default"]["layers"]) ref_analyzed.insert(l["name"].get<std::string>());
    for (const auto& l : ref["skipped_layers"]) ref_skipped.insert(l["name"].get<std::string>());
    for (const auto& l : ref["candidate_layers"]) ref_candidates.insert(l["name"].get<std::string>());
    CHECK(analyzed == ref_analyzed);
    CHECK(skipped == ref_skipped);
    CHECK(candidates == ref_candidates);

    // N, M, rf as the reference reports them, for every analyzed layer.
    for (const auto& l : ref["results"]["default"]["layers"]) {
      const std::string name = l["name"];
      INFO("layer " << name);
      REQUIRE(plans.count(name));
      const ws::LayerPlan& p = plans[name];
      CHECK(p.N == l["N"].get<int64_t>());
      CHECK(p.M == l["M"].get<int64_t>());
      CHECK(p.rf == l["rf"].get<int64_t>());
      CHECK(p.num_evals == l["num_evals"].get<int64_t>());
      CHECK(p.type == l["layer_type"].get<std::string>());
    }
  }
}

TEST_CASE("plan_layer: kinds, gates and skip reasons", "[metrics]") {
  const LayerOptions opt;
  SECTION("dense and conv2d shapes") {
    const auto d = ws::plan_layer(tensor("fc.weight", {10, 300}), opt);
    CHECK(d.analyze);
    CHECK(d.name == "fc");
    CHECK(d.type == "dense");
    CHECK((d.N == 300 && d.M == 10 && d.rf == 1 && d.num_evals == 10));
    const auto c = ws::plan_layer(tensor("conv.weight", {64, 32, 3, 3}), opt);
    CHECK(c.analyze);
    CHECK(c.kind == ws::LayerKind::Conv2d);
    CHECK((c.N == 64 && c.M == 32 && c.rf == 9 && c.num_evals == 288));
    // The reference reads a 4-D tensor as Keras [kh, kw, in, out] when out + in < kh + kw.
    const auto k = ws::plan_layer(tensor("tiny.weight", {2, 2, 8, 16}), opt);
    CHECK((k.N == 16 && k.M == 8 && k.rf == 4 && k.num_evals == 32));
  }
  SECTION("non-candidates") {
    CHECK_FALSE(ws::plan_layer(tensor("fc.bias", {10}), opt).candidate);
    CHECK_FALSE(ws::plan_layer(tensor("fc.weight_scale", {10, 10}), opt).candidate);
    LayerOptions any = opt;
    any.require_weight_suffix = false;
    const auto p = ws::plan_layer(tensor("embeddings", {100, 20}), any);
    CHECK(p.analyze);
    CHECK(p.name == "embeddings");
  }
  SECTION("skips with reasons") {
    const auto one = ws::plan_layer(tensor("bn.weight", {64}), opt);
    CHECK(one.candidate);
    CHECK_FALSE(one.analyze);
    CHECK(one.type == "unknown");
    CHECK(one.skip_reason.find("1-D tensor") == 0);
    CHECK(ws::plan_layer(tensor("x.weight", {4, 5, 6}), opt).skip_reason.find("3-D tensor") == 0);
    CHECK(ws::plan_layer(tensor("s.weight", {}), opt).skip_reason.find("0-D tensor") == 0);
    CHECK(ws::plan_layer(tensor("q.weight", {64, 64}, Dtype::I64), opt).skip_reason == "dtype I64 is not a float type");
    CHECK(ws::plan_layer(tensor("b.weight", {64, 64}, Dtype::BOOL), opt).skip_reason == "dtype BOOL is not a float type");
    CHECK(ws::plan_layer(tensor("c.weight", {64, 64}, Dtype::C64), opt).skip_reason == "dtype C64 is not supported");
    CHECK(ws::plan_layer(tensor("e.weight", {0, 64}), opt).skip_reason == "empty tensor [0, 64]");
    CHECK(ws::plan_layer(tensor("dw.weight", {384, 1, 3, 3}), opt).skip_reason ==
          "num_evals M*rf = 1*9 = 9 < min_evals = 10");
    CHECK(ws::plan_layer(tensor("big.weight", {20000, 16000}), opt).skip_reason ==
          "num_evals M*rf = 16000*1 = 16000 > max_evals = 15000");
    CHECK(ws::plan_layer(tensor("emb.weight", {50257, 768}), opt).skip_reason == "N = 50257 > max_N = 50000");
    // Absurd header shapes saturate instead of overflowing.
    const auto huge = ws::plan_layer(tensor("h.weight", {1ull << 40, 1ull << 40, 1ull << 40, 1ull << 40}), opt);
    CHECK_FALSE(huge.analyze);
    CHECK(huge.num_evals > 0);
  }
}

TEST_CASE("layer_matrices: dense as stored, conv2d slices scaled by float32(sqrt(1/2))", "[metrics]") {
  const LayerOptions opt;
  std::vector<float> w(4 * 3 * 2 * 5);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) * 0.37f - 7.0f;
  const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
  const float s = static_cast<float>(std::sqrt(0.5));

  SECTION("dense") {
    const TensorInfo t = tensor("fc.weight", {12, 10});
    const auto mats = ws::layer_matrices(bytes, t, ws::plan_layer(t, opt), opt);
    REQUIRE(mats.size() == 1);
    CHECK((mats[0].rows == 12 && mats[0].cols == 10));
    CHECK(mats[0].at(7, 3) == static_cast<double>(w[7 * 10 + 3]));
  }
  SECTION("conv2d OIHW [4, 3, 2, 5]") {
    const TensorInfo t = tensor("conv.weight", {4, 3, 2, 5});
    const auto mats = ws::layer_matrices(bytes, t, ws::plan_layer(t, opt), opt);
    REQUIRE(mats.size() == 10);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 5; ++j) {
        const auto& m = mats[static_cast<size_t>(i * 5 + j)];
        CHECK((m.rows == 4 && m.cols == 3));
        for (int o = 0; o < 4; ++o)
          for (int c = 0; c < 3; ++c)
            CHECK(m.at(o, c) == static_cast<double>(w[((o * 3 + c) * 2 + i) * 5 + j] * s));
      }
    LayerOptions raw = opt;
    raw.conv2d_norm = false;
    CHECK(ws::layer_matrices(bytes, t, ws::plan_layer(t, raw), raw)[3].at(1, 2) == w[((1 * 3 + 2) * 2 + 0) * 5 + 3]);
  }
  SECTION("conv2d read as Keras HWIO [2, 1, 4, 15]") {
    const TensorInfo t = tensor("k.weight", {2, 1, 4, 15});
    const auto mats = ws::layer_matrices(bytes, t, ws::plan_layer(t, opt), opt);
    REQUIRE(mats.size() == 2);
    CHECK((mats[1].rows == 4 && mats[1].cols == 15));
    CHECK(mats[1].at(2, 9) == static_cast<double>(w[60 + 2 * 15 + 9] * s));
  }
  SECTION("a buffer too small for the shape is an InputError") {
    TensorInfo t = tensor("fc.weight", {12, 10});
    t.nbytes -= 4;
    CHECK_THROWS_AS(ws::layer_matrices(bytes, t, ws::plan_layer(t, opt), opt), ws::InputError);
  }
}
