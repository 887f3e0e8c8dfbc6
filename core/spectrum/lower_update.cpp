#include "spectrum/lower_update.h"

#include <algorithm>
#include <vector>

#include "spectrum/fma_contract.h"

namespace ws::spectrum {

namespace {

using simd::vd;
constexpr int kVecs = kRowTile / simd::kLanes;  // accumulator vectors per column of the tile

// One kRowTile x kGroup tile: acc = A_tile B_group^T over the whole depth, then added to C.
// a: the tile's first row group (groups gstride apart); b: the column group. Partial tiles (matrix
// edge) only add their valid part.
void micro_kernel(const double* a, int64_t gstride, const double* b, int64_t depth, double* c, int64_t ldc,
                  int64_t nrows, int64_t ncols) {
  vd acc[kGroup][kVecs] = {};
  for (int64_t p = 0; p < depth; ++p) {
    vd av[kVecs];
    for (int v = 0; v < kVecs; ++v) {
      const int row = v * simd::kLanes;
      av[v] = simd::load(a + (row / kGroup) * gstride + p * kGroup + row % kGroup);
    }
    const double* bp = b + p * kGroup;
#pragma GCC unroll 8
    for (int j = 0; j < kGroup; ++j) {
      const vd bj = simd::splat(bp[j]);
      for (int v = 0; v < kVecs; ++v) acc[j][v] = simd::madd(av[v], bj, acc[j][v]);
    }
  }
  if (nrows == kRowTile && ncols == kGroup) {
    for (int j = 0; j < kGroup; ++j)
      for (int v = 0; v < kVecs; ++v) {
        double* cp = c + j * ldc + v * simd::kLanes;
        simd::store(cp, simd::load(cp) + acc[j][v]);
      }
    return;
  }
  for (int j = 0; j < ncols; ++j)
    for (int64_t r = 0; r < nrows; ++r) c[j * ldc + r] += acc[j][r / simd::kLanes][r % simd::kLanes];
}

}  // namespace

void lower_update(const double* a, const double* b, int64_t rows, int64_t depth, double* c, int64_t ldc,
                  ThreadPool& pool) {
  if (rows <= 0 || depth <= 0) return;
  // Row blocks of a few tiles keep the A block in L2 while column groups stream through L1.
  constexpr int64_t kBlock = 4 * kRowTile;
  const int64_t nblocks = (rows + kBlock - 1) / kBlock;
  // Bottom blocks have the most columns: hand them out first.
  dynamic_for(pool, nblocks, [&](int64_t t) {
    const int64_t r0 = (nblocks - 1 - t) * kBlock, r1 = std::min(rows, r0 + kBlock);
    for (int64_t c0 = 0; c0 < r1; c0 += kGroup) {
      const double* bg = b + (c0 / kGroup) * depth * kGroup;
      const int64_t ncols = std::min<int64_t>(kGroup, rows - c0);
      for (int64_t rt = std::max(r0, c0 / kRowTile * kRowTile); rt < r1; rt += kRowTile)
        micro_kernel(a + (rt / kGroup) * depth * kGroup, depth * kGroup, bg, depth, c + c0 * ldc + rt, ldc,
                     std::min<int64_t>(kRowTile, r1 - rt), ncols);
    }
  });
}

void rank2k_update(const double* v, int64_t ldv, const double* w, int64_t ldw, int64_t rows, int64_t nb, double* c,
                   int64_t ldc, ThreadPool& pool) {
  if (rows <= 0 || nb <= 0) return;
  const int64_t depth = 2 * nb, groups = padded_rows(rows) / kGroup;
  std::vector<double> p(static_cast<size_t>(groups * kGroup * depth)), q(p.size());
  dynamic_for(pool, groups, [&](int64_t g) {  // one row group: depth x kGroup of each operand
    for (int64_t k = 0; k < nb; ++k)
      for (int64_t i = 0; i < kGroup; ++i) {
        const int64_t r = g * kGroup + i;
        const double vr = r < rows ? v[k * ldv + r] : 0.0, wr = r < rows ? w[k * ldw + r] : 0.0;
        p[packed_index(r, k, depth)] = vr;
        p[packed_index(r, nb + k, depth)] = wr;
        q[packed_index(r, k, depth)] = -wr;
        q[packed_index(r, nb + k, depth)] = -vr;
      }
  });
  lower_update(p.data(), q.data(), rows, depth, c, ldc, pool);
}

void gemm_update(const double* a, int64_t a_gstride, const double* b, int64_t b_gstride, int64_t rows,
                 int64_t cols, int64_t depth, double* c, int64_t ldc) {
  if (depth <= 0) return;
  for (int64_t c0 = 0; c0 < cols; c0 += kGroup) {
    const double* bg = b + (c0 / kGroup) * b_gstride;
    const int64_t ncols = std::min<int64_t>(kGroup, cols - c0);
    for (int64_t rt = 0; rt < rows; rt += kRowTile)
      micro_kernel(a + (rt / kGroup) * a_gstride, a_gstride, bg, depth, c + c0 * ldc + rt, ldc,
                   std::min<int64_t>(kRowTile, rows - rt), ncols);
  }
}

}  // namespace ws::spectrum
