#include "analysis/streamed_layer.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/layer_analysis.h"
#include "analysis/weight_check.h"
#include "layers/matrix_view.h"
#include "report/fields.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/gram.h"
#include "util/progress.h"

namespace ws {
namespace {

constexpr uint64_t kStreamMinBytes = 256ull << 20;
constexpr uint64_t kPanelBytes = 64ull << 20;
constexpr int64_t kExactMax = 1024;  // spectrum/eigenvalues.cpp: up to this the zero policy may need W

}  // namespace

bool streams_by_panels(const TensorInfo& t, const LayerPlan& plan, const AnalyzeOptions& opt) {
  return plan.kind == LayerKind::Dense && t.shape.size() == 2 && !t.onnx_encoding && !t.stored_nbytes &&
         dtype_bits(t.dtype) % 8 == 0 && t.nbytes > kStreamMinBytes && plan.M > kExactMax && !opt.vectors &&
         !opt.randomize;
}

int64_t default_panel_rows(const TensorInfo& t, const LayerPlan& plan) {
  const uint64_t row_bytes = static_cast<uint64_t>(plan.M) * static_cast<uint64_t>(dtype_bits(t.dtype) / 8);
  const int64_t rows = static_cast<int64_t>(kPanelBytes / std::max<uint64_t>(row_bytes, 1));
  return std::max<int64_t>(1, rows / spectrum::kGramDepth) * spectrum::kGramDepth;
}

StreamedEigenvalues streamed_eigenvalues(ModelInput& model, const TensorInfo& t, const LayerPlan& plan,
                                         int64_t panel_rows, ThreadPool& pool, PhaseTimes* times) {
  if (panel_rows <= 0 || panel_rows % spectrum::kGramDepth != 0)
    throw std::logic_error("streamed_eigenvalues: panel rows must be a positive multiple of kGramDepth");
  const std::vector<MatrixView> whole = layer_matrices(nullptr, t, plan, LayerOptions{});  // shape checks only
  const int64_t rows = whole[0].rows, cols = whole[0].cols;
  const bool tall = rows >= cols;
  const int64_t n = tall ? rows : cols, m = tall ? cols : rows;  // A is n x m
  const size_t elem = static_cast<size_t>(dtype_bits(t.dtype) / 8);
  std::vector<uint8_t> panel(static_cast<size_t>(std::min(panel_rows, n) * m) * elem);
  WeightScan scan(t.dtype);
  PhaseClock clock(times);
  // Reads and checks the panel of rows [i0, i0 + p) of A; returns it as a view of A's rows.
  const auto read_panel = [&](int64_t i0, int64_t p) {
    MatrixView a;
    a.data = panel.data(), a.dtype = t.dtype, a.rows = p, a.cols = m;
    if (tall) {  // rows [i0, i0 + p) of W: contiguous
      read_tensor_bytes(model, t, static_cast<uint64_t>(i0 * m) * elem, panel.data(), static_cast<size_t>(p * m) * elem);
      clock.lap(&PhaseTimes::read);
      scan.add(panel.data(), static_cast<uint64_t>(p * m), static_cast<uint64_t>(i0 * m));
      a.row_stride = m, a.col_stride = 1;
    } else {  // columns [i0, i0 + p) of W: one segment per row of W, kept as rows of the buffer
      for (int64_t r = 0; r < m; ++r)
        read_tensor_bytes(model, t, static_cast<uint64_t>(r * n + i0) * elem,
                          panel.data() + static_cast<size_t>(r * p) * elem, static_cast<size_t>(p) * elem);
      clock.lap(&PhaseTimes::read);
      for (int64_t r = 0; r < m; ++r)
        scan.add(panel.data() + static_cast<size_t>(r * p) * elem, static_cast<uint64_t>(p),
                 static_cast<uint64_t>(r * n + i0));
      a.row_stride = 1, a.col_stride = p;
    }
    clock.lap(&PhaseTimes::decode);
    return a;
  };
  // A NaN or Inf ends the Gram matrix (the layer is skipped); the rest is still read and checked,
  // so that the reason counts them all as check_weights does.
  struct NotFinite {
    int64_t next;
  };
  const auto fill = [&](double* x) {
    for (int64_t j = 0; j < m; ++j) std::fill(x + j * m + j, x + j * m + m, 0.0);
    for (int64_t i0 = 0; i0 < n; i0 += panel_rows) {
      const MatrixView a = read_panel(i0, std::min(panel_rows, n - i0));
      if (!scan.finite()) throw NotFinite{i0 + panel_rows};
      spectrum::gram_lower_add(a, x, m, pool, i0, n);
      clock.lap(&PhaseTimes::gram);
    }
  };
  // gram_eigenvalues times the fill as gram: the laps above split it, so it gets a throwaway record.
  PhaseTimes after_gram;
  StreamedEigenvalues out;
  try {
    out.evals = spectrum::gram_eigenvalues(rows, cols, fill, pool, times ? &after_gram : nullptr);
    if (times) times->reduction += after_gram.reduction, times->tridiagonal += after_gram.tridiagonal;
  } catch (const NotFinite& stop) {
    for (int64_t i0 = stop.next; i0 < n; i0 += panel_rows) read_panel(i0, std::min(panel_rows, n - i0));
  }
  out.skip_reason = scan.reason();
  if (out.skip_reason) out.evals.clear();
  return out;
}

StreamedLayer analyze_streamed_layer(ModelInput& model, const TensorInfo& t, const LayerPlan& plan,
                                     const AnalyzeOptions& opt, ThreadPool& pool, int64_t panel_rows) {
  const auto start = std::chrono::steady_clock::now();
  PhaseTimes times;
  StreamedEigenvalues ev = streamed_eigenvalues(model, t, plan, panel_rows ? panel_rows : default_panel_rows(t, plan),
                                                pool, opt.timings ? &times : nullptr);
  StreamedLayer out;
  if (ev.skip_reason) {
    out.skip_reason = ev.skip_reason;
    return out;
  }
  PhaseClock clock(opt.timings ? &times : nullptr);
  report_progress("fit", 0.0);
  FieldWriter j(layer_fields(), analyze_eigenvalues(ev.evals, t, plan, opt, pool));
  clock.lap(&PhaseTimes::fit);  // the fit and the entry's JSON together
  if (opt.timings) j.set("timings", timings_json(times));
  j.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  out.layer = j.take();
  return out;
}

}  // namespace ws
