#include "spectrum/packed_gemm.h"

#include <algorithm>

namespace ws::spectrum {

namespace {

// Rows per task of the products; columns per task when C is wide (the back-transformation's
// nb x m products), so that short, wide products still spread over the pool.
constexpr int64_t kRowChunk = 8 * kRowTile;
constexpr int64_t kColChunk = 64 * kGroup;

}  // namespace

void pack_rows(const double* x, int64_t ldx, int64_t rows, int64_t cols, double* out, ThreadPool& pool,
               double scale) {
  const int64_t groups = padded_rows(rows) / kGroup;
  dynamic_for(pool, (groups + 15) / 16, [&](int64_t t) {
    for (int64_t g = t * 16; g < std::min(groups, t * 16 + 16); ++g) {
      double* o = out + g * cols * kGroup;
      const int64_t r0 = g * kGroup, nr = std::min<int64_t>(kGroup, rows - r0);
      for (int64_t c = 0; c < cols; ++c, o += kGroup) {
        for (int64_t i = 0; i < nr; ++i) o[i] = scale * x[c * ldx + r0 + i];
        for (int64_t i = nr; i < kGroup; ++i) o[i] = 0.0;
      }
    }
  });
}

void pack_cols(const double* x, int64_t ldx, int64_t rows, int64_t cols, double* out, ThreadPool& pool) {
  dynamic_for(pool, padded_rows(cols) / kGroup, [&](int64_t g) {
    double* o = out + g * rows * kGroup;
    const int64_t c0 = g * kGroup, nc = std::max<int64_t>(0, std::min<int64_t>(kGroup, cols - c0));
    for (int64_t r = 0; r < rows; ++r, o += kGroup) {
      for (int64_t i = 0; i < nc; ++i) o[i] = x[(c0 + i) * ldx + r];
      for (int64_t i = nc; i < kGroup; ++i) o[i] = 0.0;
    }
  });
}

void parallel_gemm(const double* a, const double* b, int64_t rows, int64_t cols, int64_t depth, double* c,
                   int64_t ldc, ThreadPool& pool) {
  const int64_t row_tasks = (rows + kRowChunk - 1) / kRowChunk, col_tasks = (cols + kColChunk - 1) / kColChunk;
  dynamic_for(pool, row_tasks * col_tasks, [&](int64_t t) {
    const int64_t r0 = (t / col_tasks) * kRowChunk, c0 = (t % col_tasks) * kColChunk;
    gemm_update(a + (r0 / kGroup) * depth * kGroup, depth * kGroup, b + (c0 / kGroup) * depth * kGroup,
                depth * kGroup, std::min(kRowChunk, rows - r0), std::min(kColChunk, cols - c0), depth,
                c + c0 * ldc + r0, ldc);
  });
}

void gemm_nn(const double* a, int64_t lda, const double* b, int64_t ldb, int64_t rows, int64_t cols, int64_t depth,
             double* c, int64_t ldc, GemmBuffers& buf, ThreadPool& pool, double alpha) {
  if (rows <= 0 || cols <= 0 || depth <= 0) return;
  buf.a.resize(static_cast<size_t>(padded_rows(rows) * depth));
  buf.b.resize(static_cast<size_t>(padded_rows(cols) * depth));
  pack_rows(a, lda, rows, depth, buf.a.data(), pool, alpha);
  pack_cols(b, ldb, depth, cols, buf.b.data(), pool);
  parallel_gemm(buf.a.data(), buf.b.data(), rows, cols, depth, c, ldc, pool);
}

void gemm_tn(const double* a, int64_t lda, const double* b, int64_t ldb, int64_t rows, int64_t cols, int64_t depth,
             double* c, int64_t ldc, GemmBuffers& buf, ThreadPool& pool) {
  if (rows <= 0 || cols <= 0 || depth <= 0) return;
  buf.a.resize(static_cast<size_t>(padded_rows(rows) * depth));
  buf.b.resize(static_cast<size_t>(padded_rows(cols) * depth));
  pack_cols(a, lda, depth, rows, buf.a.data(), pool);
  pack_cols(b, ldb, depth, cols, buf.b.data(), pool);
  parallel_gemm(buf.a.data(), buf.b.data(), rows, cols, depth, c, ldc, pool);
}

}  // namespace ws::spectrum
