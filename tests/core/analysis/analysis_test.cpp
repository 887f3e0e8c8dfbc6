// The pipeline driver: broken layers are skipped with a reason while the others are analyzed.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "analysis/analysis.h"
#include "io/input_error.h"
#include "latent/latent_space.h"
#include "support/run_report.h"
#include "support/test_model_builder.h"

namespace {

nlohmann::json run(std::vector<uint8_t> bytes, ws::AnalyzeOptions opt = {}) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(std::move(bytes), "model.safetensors"));
  return ws_test::run_report(ws::open_model(std::move(sources)), opt);
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

namespace {

// Serves the bytes but fails every read that reaches past `fail_from` (a file cut off or changed
// under the reader after its header was parsed).
class FailingSource final : public ws::ByteSource {
 public:
  FailingSource(std::vector<uint8_t> bytes, uint64_t fail_from) : bytes_(std::move(bytes)), fail_from_(fail_from) {}
  uint64_t size() const override { return bytes_.size(); }
  std::string name() const override { return "failing.safetensors"; }
  void read(uint64_t offset, void* dst, size_t n) override {
    if (offset + n > fail_from_) throw ws::InputError("failing.safetensors: read error at offset " + std::to_string(offset));
    std::memcpy(dst, bytes_.data() + offset, n);
  }

 private:
  std::vector<uint8_t> bytes_;
  uint64_t fail_from_;
};

}  // namespace

TEST_CASE("small layers analyzed side by side keep the model's order, results and errors", "[analysis]") {
  // Six small layers with 1-D tensors between them (GPT-2's layout), one NaN layer in the middle.
  std::vector<wstest::F32Tensor> tensors;
  for (int i = 0; i < 6; ++i) {
    std::vector<float> w = wstest::gaussian(96 * 48, 20 + i);
    for (size_t k = 0; k < w.size(); k += 7) w[k] *= 1.0f + static_cast<float>(k % 13);  // a heavier tail
    if (i == 3) w[5] = std::numeric_limits<float>::quiet_NaN();
    tensors.push_back({"l" + std::to_string(i) + ".weight", {96, 48}, w});
    tensors.push_back({"l" + std::to_string(i) + ".bias", {96}, wstest::gaussian(96, 40 + i)});
  }
  const auto bytes = wstest::safetensors_bytes(tensors);
  ws::AnalyzeOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const nlohmann::json a = run(bytes, one), b = run(bytes, two);
  REQUIRE(a["layers"].size() == 5);
  REQUIRE(b["layers"].size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(b["layers"][i]["name"] == a["layers"][i]["name"]);
    CHECK(b["layers"][i]["index"] == a["layers"][i]["index"]);
    CHECK(b["layers"][i]["alpha"].get<double>() == Approx(a["layers"][i]["alpha"].get<double>()).epsilon(1e-12));
    CHECK(b["layers"][i]["lambda_max"].get<double>() == Approx(a["layers"][i]["lambda_max"].get<double>()).epsilon(1e-12));
  }
  CHECK(b["skipped"].size() == 1);
  CHECK(b["skipped"][0]["name"] == "l3");

  // A read error in l3's bytes, which are read ahead with l2's: l0, l1 and l2 come out, then the
  // error, at l3's own step.
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  const uint64_t l3 = 8 + header_len + 3 * (96 * 48 + 96) * 4;  // l3.weight's first byte
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(std::make_unique<FailingSource>(bytes, l3 + 10));
  ws::Analysis run2(ws::open_model(std::move(sources)), two);
  std::vector<std::string> kinds;
  CHECK_THROWS_WITH(
      [&] {
        while (!run2.done()) kinds.push_back(run2.step()["kind"]);
      }(),
      Catch::Contains("read error"));
  CHECK(kinds == std::vector<std::string>{"layer", "ignored", "layer", "ignored", "layer", "ignored"});
  CHECK(run2.next_name() == "l3.bias");  // the failed step consumed l3.weight
}

TEST_CASE("a layer's eigenvector metrics on demand equal what the vectors option writes", "[analysis][vectors]") {
  const auto bytes = wstest::safetensors_bytes({{"dense.weight", {80, 40}, wstest::gaussian(80 * 40, 11)},
                                                {"conv.weight", {16, 8, 3, 3}, wstest::gaussian(16 * 8 * 9, 12)}});
  ws::AnalyzeOptions vectors;
  vectors.vectors = true;
  const nlohmann::json full = run(bytes, vectors);
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(bytes, "model.safetensors"));
  ws::Analysis plain(ws::open_model(std::move(sources)), ws::AnalyzeOptions{});
  while (!plain.done()) plain.step();
  REQUIRE(full["layers"].size() == 2);
  for (const auto& l : full["layers"]) {
    INFO(l["name"]);
    const nlohmann::json v = plain.layer_vectors(l["name"]);
    CHECK(v.size() == 14);  // name, 12 columns, spectra
    for (const auto& [key, value] : v.items())
      if (key != "spectra") CHECK(value == l[key]);
    for (const char* key : {"loc_ratio", "part_ratio", "vec_entropy"}) CHECK(v["spectra"][key] == l["spectra"][key]);
  }
  CHECK_THROWS_AS(plain.layer_vectors("bias"), ws::InputError);

  // From the report entries of another Analysis over the same files (the page opens them again
  // for each action): the same metrics; an entry naming another tensor is refused.
  std::vector<std::unique_ptr<ws::ByteSource>> again;
  again.push_back(ws::memory_source(bytes, "model.safetensors"));
  ws::Analysis fresh(ws::open_model(std::move(again)), ws::AnalyzeOptions{});
  for (const auto& l : full["layers"]) CHECK(fresh.entry_vectors(l) == plain.layer_vectors(l["name"]));
  const bool dense_first = full["layers"][0]["name"] == "dense";
  const nlohmann::json& dense = full["layers"][dense_first ? 0 : 1];
  const nlohmann::json& conv = full["layers"][dense_first ? 1 : 0];
  nlohmann::json renamed = dense;
  renamed["name"] = "conv";
  CHECK_THROWS_WITH(fresh.entry_vectors(renamed), Catch::Contains("other files"));
  REQUIRE(dense["status"] == "success");
  CHECK(fresh.latent_space(dense).k == dense["num_pl_spikes"].get<int64_t>());
  CHECK_THROWS_AS(fresh.latent_space(conv), ws::InputError);  // conv2d: no latent space
}
