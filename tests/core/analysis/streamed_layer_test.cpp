// A layer read in row panels gives the whole-tensor path's eigenvalues and entry, to the bit.
#include <catch2/catch.hpp>

#include <limits>

#include "analysis/layer_analysis.h"
#include "analysis/streamed_layer.h"
#include "analysis/weight_check.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/gram.h"
#include "support/test_model_builder.h"

namespace {

ws::ModelInput model_of(const std::vector<wstest::F32Tensor>& tensors) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(wstest::safetensors_bytes(tensors), "model.safetensors"));
  return ws::open_model(std::move(sources));
}

}  // namespace

TEST_CASE("streamed eigenvalues equal the whole tensor's, tall and wide", "[analysis][streamed]") {
  // Sides not multiples of the panel: the last panel is short. Smaller sides above 1024.
  for (auto [rows, cols] : {std::pair<uint64_t, uint64_t>{2900, 1100}, {1100, 2900}}) {
    ws::ModelInput model = model_of({{"w.weight", {rows, cols}, wstest::gaussian(rows * cols, rows)}});
    const ws::TensorInfo& t = model.tensors[0];
    const ws::LayerPlan plan = ws::plan_layer(t, ws::LayerOptions{});
    REQUIRE(plan.analyze);
    ws::ThreadPool pool(2);
    const std::vector<uint8_t> data = ws::read_tensor(model, t);
    const std::vector<double> want = ws::pooled_eigenvalues(ws::layer_matrices(data.data(), t, plan, {}), pool);
    for (int64_t panel : {256, 768, 4096}) {
      INFO(rows << " x " << cols << ", panels of " << panel);
      const ws::StreamedEigenvalues got = ws::streamed_eigenvalues(model, t, plan, panel, pool);
      CHECK_FALSE(got.skip_reason);
      CHECK(got.evals == want);  // bit for bit
    }
    // The entry: analyze_layer's but for its time.
    ws::AnalyzeOptions opt;
    ws::StreamedLayer streamed = ws::analyze_streamed_layer(model, t, plan, opt, pool, 512);
    nlohmann::json whole = ws::analyze_layer(data.data(), t, plan, opt, pool);
    streamed.layer.erase("seconds"), whole.erase("seconds");
    CHECK(streamed.layer == whole);
  }
}

TEST_CASE("a streamed layer with NaN is skipped with check_weights' reason", "[analysis][streamed]") {
  for (auto [rows, cols] : {std::pair<uint64_t, uint64_t>{1300, 1030}, {1030, 1300}}) {
    std::vector<float> w = wstest::gaussian(rows * cols, 7);
    w[5] = w[rows * cols - 3] = std::numeric_limits<float>::quiet_NaN();  // in the first and the last panel
    w[700 * cols + 1029] = std::numeric_limits<float>::infinity();
    ws::ModelInput model = model_of({{"w.weight", {rows, cols}, w}});
    const ws::TensorInfo& t = model.tensors[0];
    ws::ThreadPool pool(2);
    const ws::StreamedEigenvalues got = ws::streamed_eigenvalues(model, t, ws::plan_layer(t, {}), 256, pool);
    const std::vector<uint8_t> data = ws::read_tensor(model, t);
    REQUIRE(got.skip_reason);
    CHECK(*got.skip_reason == *ws::check_weights(data.data(), t));
    CHECK(got.skip_reason->find("3 of ") == 0);
    CHECK(got.skip_reason->find("(first at element 5)") != std::string::npos);
  }
}

TEST_CASE("only big dense layers without matrix options are streamed", "[analysis][streamed]") {
  ws::TensorInfo t;
  t.name = "w.weight", t.dtype = ws::Dtype::F32, t.shape = {20000, 4000}, t.nbytes = 20000ull * 4000 * 4;
  const ws::LayerPlan plan = ws::plan_layer(t, {});
  ws::AnalyzeOptions opt;
  CHECK(ws::streams_by_panels(t, plan, opt));
  CHECK(ws::default_panel_rows(t, plan) == 4096);  // 64 MB of 16 kB rows
  opt.randomize = true;
  CHECK_FALSE(ws::streams_by_panels(t, plan, opt));
  opt = {}, opt.vectors = true;
  CHECK_FALSE(ws::streams_by_panels(t, plan, opt));
  t.shape = {2000, 4000}, t.nbytes = 2000ull * 4000 * 4;  // 32 MB: read whole
  CHECK_FALSE(ws::streams_by_panels(t, ws::plan_layer(t, {}), {}));
}

TEST_CASE("the Gram matrix summed over row panels is gram_lower's to the bit", "[analysis][streamed]") {
  // Tested on the Gram matrix itself: the two-stage reduction (m >= 1536) sums per-thread partial
  // products in the order threads finish, so eigenvalues there vary in the last bits run to run.
  const int64_t rows = 700, cols = 1800;  // wide: A = W^T, panels are column ranges of W
  const std::vector<float> w = wstest::gaussian(rows * cols, 11);
  ws::MatrixView v;
  v.data = reinterpret_cast<const uint8_t*>(w.data()), v.rows = rows, v.cols = cols, v.row_stride = cols;
  ws::ThreadPool pool(2);
  std::vector<double> want(rows * rows), got(rows * rows, 0.0);
  ws::spectrum::gram_lower(v, want.data(), rows, pool);
  const ws::MatrixView a = ws::spectrum::tall_side(v);
  for (int64_t i0 = 0; i0 < a.rows; i0 += 512) {
    ws::MatrixView panel = a;
    panel.data += i0 * a.row_stride * 4, panel.rows = std::min<int64_t>(512, a.rows - i0);
    ws::spectrum::gram_lower_add(panel, got.data(), rows, pool);
  }
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t i = j; i < rows; ++i) REQUIRE(got[j * rows + i] == want[j * rows + i]);
}
