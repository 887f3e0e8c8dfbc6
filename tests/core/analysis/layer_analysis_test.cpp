// The timings option: each layer's seconds per phase, present only when asked for.
#include <catch2/catch.hpp>

#include "analysis/analysis.h"
#include "analysis/options_json.h"
#include "support/run_report.h"
#include "support/test_model_builder.h"

namespace {

nlohmann::json run(const std::vector<wstest::F32Tensor>& tensors, ws::AnalyzeOptions opt) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(wstest::safetensors_bytes(tensors), "model.safetensors"));
  return ws_test::run_report(ws::open_model(std::move(sources)), opt);
}

// 64 x 32 of rank 16: the Gram route finds numerical zeros, so the exact SVD is redone.
std::vector<float> rank_deficient() {
  const std::vector<float> half = wstest::gaussian(32 * 32, 7);
  std::vector<float> w(half);
  w.insert(w.end(), half.begin(), half.end());  // rows 32..63 repeat rows 0..31 ...
  for (size_t r = 0; r < 64; ++r)
    for (size_t c = 16; c < 32; ++c) w[r * 32 + c] = w[r * 32 + c - 16];  // ... and columns 16..31 repeat 0..15
  return w;
}

const std::vector<wstest::F32Tensor> kModel = {
    {"dense.weight", {300, 280}, wstest::gaussian(300 * 280, 1)},
    {"conv.weight", {24, 16, 3, 3}, wstest::gaussian(24 * 16 * 9, 2)},
    {"flat.weight", {64, 32}, rank_deficient()},
};

const char* kPhases[] = {"read", "decode", "gram", "reduction", "tridiagonal", "svd", "fit", "randomize", "json"};

}  // namespace

TEST_CASE("timings: seconds per phase in each layer, only with the option", "[analysis][timings]") {
  ws::AnalyzeOptions opt;
  opt.threads = 1;  // one thread: the phases of one layer run one after another
  CHECK_FALSE(run(kModel, opt)["layers"][0].contains("timings"));

  opt.timings = true;
  opt.randomize = true;
  const nlohmann::json report = run(kModel, opt);
  CHECK_FALSE(report["options"].contains("timings"));  // it changes no result
  REQUIRE(report["layers"].size() == 3);
  for (const auto& l : report["layers"]) {
    INFO(l["name"]);
    REQUIRE(l["timings"].size() == std::size(kPhases));
    double inside = 0;  // the phases after the read and the check, within the layer's own seconds
    for (const char* p : kPhases) {
      CHECK(l["timings"][p].get<double>() >= 0);
      if (std::string(p) != "read" && std::string(p) != "decode") inside += l["timings"][p].get<double>();
    }
    CHECK(inside <= l["seconds"].get<double>());
    CHECK(l["timings"]["gram"].get<double>() > 0);
    CHECK(l["timings"]["reduction"].get<double>() > 0);
    CHECK(l["timings"]["randomize"].get<double>() > 0);
  }
  CHECK(ws_test::layer_named(report, "flat")["timings"]["svd"].get<double>() > 0);
}

TEST_CASE("timings: the option and its flag", "[analysis][timings]") {
  CHECK(ws::options_from_json({{"timings", true}}).timings);
  CHECK_FALSE(ws::options_from_json(nlohmann::json::object()).timings);
  CHECK_THROWS_AS(ws::options_from_json({{"timings", 1}}), ws::OptionError);
}
