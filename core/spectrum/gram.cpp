#include "spectrum/gram.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "spectrum/lower_update.h"
#include "util/progress.h"

namespace ws::spectrum {

namespace {

// A(i, j) is element i * step_i + j * step_j of the view, A being n x m.
struct Side {
  int64_t n, m, step_i, step_j;
};

// Element conversion with the dtype fixed at compile time; same rounding as MatrixView::at.
template <Dtype D>
double element(const uint8_t* data, size_t i, float scale) {
  if constexpr (D == Dtype::F64) return decode<D>(data, i) * static_cast<double>(scale);
  else return static_cast<double>(decode_f32<D>(data, i) * scale);
}

// Packs A(i0 : i0+depth, group columns) for the column groups [g0, g1) into micro-kernel order.
template <Dtype D>
void pack_groups(const MatrixView& w, const Side& s, int64_t i0, int64_t depth, int64_t g0, int64_t g1,
                 double* buf) {
  for (int64_t g = g0; g < g1; ++g) {
    double* out = buf + g * depth * kGroup;
    const int64_t j0 = g * kGroup, nj = std::min<int64_t>(kGroup, s.m - j0);
    for (int64_t p = 0; p < depth; ++p) {
      const int64_t base = (i0 + p) * s.step_i + j0 * s.step_j;
      for (int64_t c = 0; c < nj; ++c) out[p * kGroup + c] = element<D>(w.data, base + c * s.step_j, w.scale);
      for (int64_t c = nj; c < kGroup; ++c) out[p * kGroup + c] = 0.0;
    }
  }
}

void pack(const MatrixView& w, const Side& s, int64_t i0, int64_t depth, int64_t g0, int64_t g1, double* buf) {
  visit_analyzable(w.dtype, [&](auto D) { pack_groups<D.value>(w, s, i0, depth, g0, g1, buf); });
}

}  // namespace

MatrixView tall_side(const MatrixView& w) {
  if (w.rows >= w.cols) return w;
  MatrixView t = w;
  t.rows = w.cols, t.cols = w.rows, t.row_stride = w.col_stride, t.col_stride = w.row_stride;
  return t;
}

void gram_lower(const MatrixView& w, double* x, int64_t ldx, ThreadPool& pool) {
  const MatrixView a = tall_side(w);
  for (int64_t j = 0; j < a.cols; ++j) std::fill(x + j * ldx + j, x + j * ldx + a.cols, 0.0);
  gram_lower_add(a, x, ldx, pool);
}

void gram_lower_add(const MatrixView& a, double* x, int64_t ldx, ThreadPool& pool, int64_t rows_before,
                    int64_t rows_total) {
  const Side s{a.rows, a.cols, a.row_stride, a.col_stride};
  if (s.m == 0) return;
  const int64_t groups = padded_rows(s.m) / kGroup;
  std::vector<double> buf(static_cast<size_t>(padded_rows(s.m) * kGramDepth));
  for (int64_t i0 = 0; i0 < s.n; i0 += kGramDepth) {
    const int64_t depth = std::min(kGramDepth, s.n - i0);
    constexpr int64_t kGroupsPerTask = 16;
    dynamic_for(pool, (groups + kGroupsPerTask - 1) / kGroupsPerTask, [&](int64_t t) {
      pack(a, s, i0, depth, t * kGroupsPerTask, std::min(groups, (t + 1) * kGroupsPerTask), buf.data());
    });
    lower_update(buf.data(), buf.data(), s.m, depth, x, ldx, pool);
    report_progress("gram", double(rows_before + i0 + depth) / double(rows_total ? rows_total : s.n));
  }
}

}  // namespace ws::spectrum
