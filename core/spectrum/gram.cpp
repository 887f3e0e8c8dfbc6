#include "spectrum/gram.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "spectrum/lower_update.h"

namespace ws::spectrum {

namespace {

// Rows of W^T W come from the smaller side: with A = W (tall) or W^T (wide), X = A^T A and
// A(i, j) is element i * step_i + j * step_j of the view.
struct Side {
  int64_t n, m, step_i, step_j;
};

Side side_of(const MatrixView& w) {
  if (w.rows >= w.cols) return {w.rows, w.cols, w.row_stride, w.col_stride};
  return {w.cols, w.rows, w.col_stride, w.row_stride};
}

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

void gram_lower(const MatrixView& w, double* x, int64_t ldx, ThreadPool& pool) {
  const Side s = side_of(w);
  for (int64_t j = 0; j < s.m; ++j) std::fill(x + j * ldx + j, x + j * ldx + s.m, 0.0);
  if (s.m == 0) return;
  // Depth of one packed slice: long enough to amortize the C tile loads, short enough that a
  // row block of the slice stays in L2.
  constexpr int64_t kDepth = 256;
  const int64_t groups = padded_rows(s.m) / kGroup;
  std::vector<double> buf(static_cast<size_t>(padded_rows(s.m) * kDepth));
  for (int64_t i0 = 0; i0 < s.n; i0 += kDepth) {
    const int64_t depth = std::min(kDepth, s.n - i0);
    constexpr int64_t kGroupsPerTask = 16;
    dynamic_for(pool, (groups + kGroupsPerTask - 1) / kGroupsPerTask, [&](int64_t t) {
      pack(w, s, i0, depth, t * kGroupsPerTask, std::min(groups, (t + 1) * kGroupsPerTask), buf.data());
    });
    lower_update(buf.data(), buf.data(), s.m, depth, x, ldx, pool);
  }
}

}  // namespace ws::spectrum
