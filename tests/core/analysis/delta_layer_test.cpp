// Fine-tuning deltas (the base option) and distances: the shared fine-tune of the demo model against
// its float64 reference (tests/data/reference/ppocrv4_rec_finetune.json) and weightwatcher's
// distances(); a rank-r update in closed form; mismatched models; one tensor pair resident.
#include <catch2/catch.hpp>

#include <malloc.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/analysis.h"
#include "analysis/distances.h"
#include "io/input_error.h"
#include "support/metrics_reference.h"
#include "support/run_report.h"
#include "support/test_data.h"
#include "support/test_model_builder.h"

namespace {

const std::string kBase = "fixtures/ppocrv4_rec.safetensors";
const std::string kFt = "fixtures/finetune/ppocrv4_rec_ft.safetensors";

ws::ModelInput open_path(const std::string& p) { return ws::open_model_paths({ws_test::test_data(p)}); }

ws::ModelInput open_bytes(std::vector<uint8_t> bytes, const std::string& name) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(std::move(bytes), name));
  return ws::open_model(std::move(sources));
}

nlohmann::json run(ws::ModelInput model, std::optional<ws::ModelInput> base, int threads = 2) {
  ws::AnalyzeOptions opt;
  opt.threads = threads;
  return ws_test::run_report(std::move(model), opt, std::move(base));
}

const nlohmann::json& ft_report() {
  static const nlohmann::json r = run(open_path(kFt), open_path(kBase));
  return r;
}

const nlohmann::json& reference() {
  static const nlohmann::json r = wsmetrics::load_json(ws_test::test_data("reference/ppocrv4_rec_finetune.json"));
  return r;
}

double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

std::map<std::string, nlohmann::json> by_name(const nlohmann::json& rows, const char* key = "name") {
  std::map<std::string, nlohmann::json> m;
  for (const auto& r : rows) m[r[key].get<std::string>()] = r;
  return m;
}

}  // namespace

TEST_CASE("fine-tune fixture: dW's eigenvalues and fits match the float64 reference", "[delta]") {
  const auto layers = by_name(ft_report()["layers"]);
  const auto& targets = reference()["finetune"]["target_layers"];
  REQUIRE(layers.size() == targets.size());  // the 9 changed dense layers, nothing else
  for (const auto& t : targets) {
    const std::string name = t["name"];
    INFO(name);
    REQUIRE(layers.count(name));
    const nlohmann::json& l = layers.at(name);
    const std::vector<double> ev = l["spectra"]["evals"], ref = t["evals"];
    REQUIRE(ev.size() == ref.size());
    const double lambda_max = ref.back();
    CHECK(rel(l["lambda_max"], t["lambda_max"]) < 1e-12);
    // 1e-9 relative for eigenvalues >= 1e-8 lambda_max. Below that the error of any float64 route
    // is absolute, ~ n eps lambda_max (the Gram route's bound; spectrum/README.md): the smallest
    // eigenvalue of linear_78, 1.4e-9 lambda_max, agrees to 8.5e-9; measured 1.1e-10 worst above
    // the floor, and every eigenvalue within 1.6e-15 lambda_max.
    for (size_t i = 0; i < ev.size(); ++i) {
      CHECK(std::fabs(ev[i] - ref[i]) <= 1e-14 * lambda_max);
      if (ref[i] >= 1e-8 * lambda_max) CHECK(rel(ev[i], ref[i]) < 1e-9);
    }
    const auto& fit = t["fit"];
    REQUIRE(l["status"] == "success");
    CHECK(std::fabs(l["alpha"].get<double>() - fit["alpha"].get<double>()) < 1e-3);
    CHECK(std::fabs(l["xmin"].get<double>() - fit["xmin"].get<double>()) < 1e-3 * fit["xmin"].get<double>());
    CHECK(std::fabs(l["D"].get<double>() - fit["D"].get<double>()) < 1e-3);
    CHECK(l["num_pl_spikes"] == fit["num_pl_spikes"]);
    CHECK(rel(l["alpha"], fit["alpha"]) < 1e-9);  // measured 1e-13: the same eigenvalues, the same scan
    CHECK(l["dtype"] == "F64");                    // dW is analyzed in float64
  }
}

TEST_CASE("fine-tune fixture: alpha of the base and of the fine-tuned layer beside dW's", "[delta]") {
  const auto layers = by_name(ft_report()["layers"]);
  // The base's own fit is in the reference (lora.modules[].base); the fine-tuned one is the alpha a
  // plain analysis of the fine-tuned file gives (its pipeline is checked against the reference elsewhere).
  for (const auto& m : reference()["lora"]["modules"]) {
    const std::string name = m["module"];
    INFO(name);
    CHECK(rel(layers.at(name)["alpha_base"], m["base"]["fit"]["alpha"]) < 1e-9);
  }
  const auto plain = by_name(run(open_path(kFt), std::nullopt)["layers"]);
  for (const auto& [name, l] : layers) CHECK(l["alpha_ft"].get<double>() == plain.at(name)["alpha"].get<double>());
}

TEST_CASE("fine-tune fixture: distances as weightwatcher's distances() computes them", "[delta]") {
  const nlohmann::json& report = ft_report();
  const auto& ww = reference()["weightwatcher"]["distances"];
  const auto ww_rows = by_name(ww["rows"]);
  const auto targets = by_name(reference()["finetune"]["target_layers"]);
  // weightwatcher subtracts in float32: its delta_W and means differ from the float64 values by
  // float32 rounding, <= 4e-7 relative (tests/data/reference: the README's fair comparison);
  // against numpy's float64 ||dW||_F the same sums agree to rounding order (1e-12).
  for (const auto& l : report["layers"]) {
    const std::string name = l["name"];
    INFO(name);
    CHECK(rel(l["delta_W"], targets.at(name)["dW_fro"]) < 1e-12);
    CHECK(rel(l["delta_W"], ww_rows.at(name)["delta_W"]) < 4e-7);
    CHECK(l["delta_b"] == 0.0);  // the biases are unchanged
    CHECK(l["delta_rel"].get<double>() > 0);
  }
  // The unchanged layers: skipped with the reason, delta_W = 0, exactly weightwatcher's other rows.
  std::set<std::string> unchanged;
  for (const auto& s : report["skipped"])
    if (s.contains("delta_W")) {
      CHECK(s["reason"].get<std::string>().rfind("unchanged:", 0) == 0);
      CHECK(s["delta_W"] == 0.0);
      unchanged.insert(s["name"].get<std::string>());
    }
  std::set<std::string> ww_unchanged;
  for (const auto& [name, r] : ww_rows)
    if (r["delta_W"] == 0.0) ww_unchanged.insert(name);
  CHECK(unchanged == ww_unchanged);
  CHECK(unchanged.size() == 32);
  CHECK(report["layers"].size() + unchanged.size() == ww["rows"].size());
  const auto& summary = report["summary"];
  CHECK(rel(summary["avg_delta_W"], ww["avg_delta_W"]) < 4e-7);
  CHECK(summary["avg_delta_b"] == 0.0);
  CHECK(report["base"]["only_in_base"].empty());
  CHECK(report["options"]["base"] == "ppocrv4_rec.safetensors");

  // `weightscope distances` gives the same numbers without any eigenvalue.
  ws::BaseModel base(open_path(kBase));
  ws::ModelInput ft = open_path(kFt);
  const nlohmann::json d = ws::model_distances(base, ft, ws::LayerOptions{});
  CHECK(d["avg_delta_W"] == summary["avg_delta_W"]);
  const auto layers = by_name(report["layers"]);
  size_t compared = 0;
  for (const auto& r : d["layers"]) {
    const std::string name = r["name"];
    if (layers.count(name)) CHECK(r["delta_W"] == layers.at(name)["delta_W"]);
    else CHECK(r["delta_W"] == 0.0);
    compared += ww_rows.count(name);
  }
  CHECK(compared == ww["rows"].size());
  CHECK(d["layers"].size() == ww["rows"].size());
}

TEST_CASE("a rank-r update has exactly r nonzero eigenvalues of dW", "[delta]") {
  // Small integers: W and W + U V^T are exact in float32, so dW = U V^T exactly (rank 3), and its
  // nonzero eigenvalues are those of (V^T V)(U^T U), i.e. of the symmetric L^T (V^T V) L with
  // U^T U = L L^T.
  const int N = 64, M = 48, r = 3;
  const std::vector<float> g = wstest::gaussian(N * M + (N + M) * r, 7);
  const auto small_int = [&](size_t i, float scale) { return std::round(g[i] * scale); };
  Eigen::MatrixXd U(N, r), V(M, r);
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < r; ++k) U(i, k) = small_int(N * M + i * r + k, 2.0f);
  for (int j = 0; j < M; ++j)
    for (int k = 0; k < r; ++k) V(j, k) = small_int(N * M + N * r + j * r + k, 2.0f);
  std::vector<float> w(N * M), wft(N * M);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < M; ++j) {
      w[i * M + j] = small_int(i * M + j, 4.0f);
      wft[i * M + j] = w[i * M + j] + static_cast<float>(U.row(i).dot(V.row(j)));
    }
  const nlohmann::json report = run(open_bytes(wstest::safetensors_bytes({{"fc.weight", {N, M}, wft}}), "ft.safetensors"),
                                    open_bytes(wstest::safetensors_bytes({{"fc.weight", {N, M}, w}}), "base.safetensors"));
  REQUIRE(report["layers"].size() == 1);
  const auto& l = report["layers"][0];
  const std::vector<double> ev = l["spectra"]["evals"];
  const Eigen::MatrixXd L = Eigen::LLT<Eigen::MatrixXd>(U.transpose() * U).matrixL();
  const Eigen::VectorXd core = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(L.transpose() * (V.transpose() * V) * L).eigenvalues();
  const double lambda_max = core(r - 1);
  size_t nonzero = 0;
  for (double e : ev) nonzero += e > 1e-12 * lambda_max;
  CHECK(nonzero == r);
  CHECK(l["matrix_rank"] == r);
  for (int k = 0; k < r; ++k) CHECK(rel(ev[M - r + k], core(k)) < 1e-12);
  // ||dW||_F^2 is the sum of the eigenvalues.
  CHECK(rel(l["delta_W"].get<double>() * l["delta_W"].get<double>(), core.sum()) < 1e-12);
}

TEST_CASE("a fine-tune against a base that does not match lists every mismatch with its reason", "[delta]") {
  const auto g = [](size_t n, uint64_t seed) { return wstest::gaussian(n, seed); };
  std::vector<float> changed = g(64 * 32, 1);
  changed[5] += 0.25f;
  const auto base = wstest::safetensors_bytes({
      {"same.weight", {64, 32}, g(64 * 32, 1)},
      {"kept.weight", {64, 32}, g(64 * 32, 2)},
      {"old_name.weight", {64, 32}, g(64 * 32, 3)},
      {"reshaped.weight", {64, 32}, g(64 * 32, 4)},
      {"same.bias", {64}, g(64, 5)},
  });
  std::vector<float> bias = g(64, 5);
  bias[0] += 3.0f;
  const auto ft = wstest::safetensors_bytes({
      {"same.weight", {64, 32}, changed},
      {"kept.weight", {64, 32}, g(64 * 32, 2)},
      {"new_name.weight", {64, 32}, g(64 * 32, 3)},
      {"reshaped.weight", {32, 64}, g(64 * 32, 4)},
      {"same.bias", {64}, bias},
  });
  const nlohmann::json report = run(open_bytes(ft, "ft.safetensors"), open_bytes(base, "base.safetensors"));
  REQUIRE(report["layers"].size() == 1);
  const auto& l = report["layers"][0];
  CHECK(l["name"] == "same");
  // One element changed: ||dW||_F is its float64 difference, and the bias's likewise.
  const double dw = std::fabs(double(changed[5]) - double(g(64 * 32, 1)[5])), db = std::fabs(double(bias[0]) - double(g(64, 5)[0]));
  CHECK(l["delta_W"] == dw);
  CHECK(l["delta_b"] == db);
  const auto skipped = by_name(report["skipped"]);
  CHECK(skipped.at("kept")["reason"] ==
        "unchanged: the fine-tuned tensor equals the base tensor element for element (dW = 0)");
  CHECK(skipped.at("kept")["delta_W"] == 0.0);
  CHECK(skipped.at("new_name")["reason"] == "no tensor named 'new_name.weight' in the base model");
  CHECK(skipped.at("reshaped")["reason"] == "shape [32, 64] differs from the base model's [64, 32]");
  CHECK(report["base"]["only_in_base"] == nlohmann::json{"old_name.weight"});
  CHECK(report["summary"]["avg_delta_W"] == dw / 2);  // over "same" and the unchanged "kept"
  CHECK(report["summary"]["avg_delta_b"] == db / 2);  // "kept" has no bias: 0, as in distances()

  ws::BaseModel b(open_bytes(base, "base.safetensors"));
  ws::ModelInput f = open_bytes(ft, "ft.safetensors");
  const nlohmann::json d = ws::model_distances(b, f, ws::LayerOptions{});
  CHECK(d["layers"].size() == 2);
  CHECK(by_name(d["skipped"]).at("reshaped")["reason"] == skipped.at("reshaped")["reason"]);

  // An option naming a base without one, and NaN in dW.
  ws::AnalyzeOptions opt;
  opt.base = "base.safetensors";
  const auto without_base = [&] { ws::Analysis a(open_bytes(ft, "ft.safetensors"), opt); };
  CHECK_THROWS_AS(without_base(), ws::InputError);
  std::vector<float> nan_w = g(64 * 32, 1);
  nan_w[3] = std::nanf("");
  const nlohmann::json nan_report =
      run(open_bytes(wstest::safetensors_bytes({{"same.weight", {64, 32}, nan_w}}), "ft.safetensors"),
          open_bytes(base, "base.safetensors"));
  CHECK(nan_report["skipped"][0]["reason"] == "dW = W_ft - W_base: 1 of 2048 weights are NaN or Inf (first at element 3)");
}

namespace {

// Heap bytes in use at each read of either model: what is resident while the next tensor comes in.
struct HeapAtReads {
  std::vector<size_t> in_use;
};

class MeteredSource : public ws::ByteSource {
 public:
  MeteredSource(std::vector<uint8_t> bytes, std::string name, HeapAtReads& log)
      : inner_(ws::memory_source(std::move(bytes), std::move(name))), log_(log) {}
  uint64_t size() const override { return inner_->size(); }
  std::string name() const override { return inner_->name(); }
  void read(uint64_t offset, void* dst, size_t n) override {
    const struct mallinfo2 m = mallinfo2();
    if (n > 4096) log_.in_use.push_back(m.uordblks + m.hblkhd);  // tensor reads, not headers
    inner_->read(offset, dst, n);
  }

 private:
  std::unique_ptr<ws::ByteSource> inner_;
  HeapAtReads& log_;
};

}  // namespace

TEST_CASE("only one tensor pair is resident: base and fine-tuned tensors are read one after the other", "[delta][memory]") {
  // 6 layers of 512 x 256 F32 (512 KB each): both models whole would be 6 MB of tensors. At any read,
  // what is resident beyond the start is the buffer being filled (512 KB) and at most one dW (1 MB of
  // float64), plus the previous layer's report entry.
  const int layers = 6, N = 512, M = 256;
  std::vector<wstest::F32Tensor> base_t, ft_t;
  for (int k = 0; k < layers; ++k) {
    std::vector<float> w = wstest::gaussian(N * M, 100 + k), u = wstest::gaussian(N * M, 200 + k);
    std::vector<float> f(w);
    for (size_t i = 0; i < f.size(); ++i) f[i] += 0.01f * u[i];
    base_t.push_back({"l" + std::to_string(k) + ".weight", {uint64_t(N), uint64_t(M)}, w});
    ft_t.push_back({"l" + std::to_string(k) + ".weight", {uint64_t(N), uint64_t(M)}, f});
  }
  HeapAtReads log;
  std::vector<std::unique_ptr<ws::ByteSource>> bs, fs;
  bs.push_back(std::make_unique<MeteredSource>(wstest::safetensors_bytes(base_t), "base.safetensors", log));
  fs.push_back(std::make_unique<MeteredSource>(wstest::safetensors_bytes(ft_t), "ft.safetensors", log));
  ws::ModelInput base = ws::open_model(std::move(bs)), ft = ws::open_model(std::move(fs));
  ws::AnalyzeOptions opt;
  opt.threads = 1;   // one layer at a time (small layers are batched one per thread)
  opt.spectra = false;
  ws::Analysis a(std::move(ft), opt, std::move(base));
  const struct mallinfo2 m0 = mallinfo2();
  const size_t start = m0.uordblks + m0.hblkhd;
  while (!a.done()) a.step();
  REQUIRE(a.report()["layers"].size() == layers);
  REQUIRE(log.in_use.size() == 2 * layers);  // each tensor read once, base then fine-tuned
  const size_t tensor = size_t(N) * M * 4;
  for (size_t in_use : log.in_use) CHECK(in_use < start + tensor + 2 * tensor + tensor / 2);
}
