#include "spectrum/band_reduction.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "spectrum/lower_update.h"
#include "spectrum/packed_gemm.h"

#include "spectrum/fma_contract.h"

#include "spectrum/compact_wy.h"
#include "spectrum/vector_ops.h"
#include "util/progress.h"

namespace ws::spectrum {

namespace {

// Columns of the trailing matrix per task of the symmetric product (a multiple of every kRowTile):
// the depth of its products with the diagonal side.
constexpr int64_t kSymmCols = 96;

// C (rows x cols, leading dim rows) = A B^T for a and b packed by columns (depth = k, group stride
// k * kGroup): the depth is split over the pool, partial products summed.
void gemm_over_depth(const double* a, const double* b, int64_t rows, int64_t cols, int64_t k, double* c,
                     std::vector<std::vector<double>>& partial, ThreadPool& pool) {
  const int slots = pool.size();
  const int64_t chunk = (k + slots - 1) / slots;
  partial.resize(slots);
  pool.parallel_for(slots, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      partial[s].assign(static_cast<size_t>(rows * cols), 0.0);
      const int64_t p0 = s * chunk, depth = std::min(k, p0 + chunk) - p0;
      if (depth > 0)
        gemm_update(a + p0 * kGroup, k * kGroup, b + p0 * kGroup, k * kGroup, rows, cols, depth, partial[s].data(), rows);
    }
  });
  std::copy(partial[0].begin(), partial[0].end(), c);
  for (int s = 1; s < slots; ++s) axpy(1.0, partial[s].data(), c, rows * cols);
}

struct Workspace {
  std::vector<double> v, vrows, vcols, t, u, ucols, y, ycols, z, m, s, small_pack;
  std::vector<std::vector<double>> slot_y, slot_pack, partial;
};

}  // namespace

void panel_qr(double* p, int64_t ldp, int64_t k, int64_t nb, int64_t nr, double* tau, ThreadPool& pool) {
  for (int64_t j = 0; j < nr; ++j) {
    double* col = p + j * ldp;
    double beta;
    tau[j] = householder(col[j], col + j + 1, k - j - 1, beta);
    col[j] = beta;
    if (tau[j] == 0.0 || j + 1 >= nb) continue;
    auto apply = [&](int64_t c) {
      double* pc = p + c * ldp;
      const double w = tau[j] * (pc[j] + dot(col + j + 1, pc + j + 1, k - j - 1));
      pc[j] -= w;
      axpy(-w, col + j + 1, pc + j + 1, k - j - 1);
    };
    if (k - j < 1024) {
      for (int64_t c = j + 1; c < nb; ++c) apply(c);
    } else {
      dynamic_for(pool, nb - j - 1, [&](int64_t t) { apply(j + 1 + t); });
    }
  }
}

namespace {

// y = A u for the lower-stored symmetric k x k matrix A and the k x nr block u (packed as ucols:
// depth k, one group per kGroup columns). Each column block J of A is packed once and used twice:
// y(J:, :) += A(J:, J) u(J, :) (the diagonal block mirrored) and y(J, :) += A(below J, J)^T u(below, :).
// Threads accumulate into their own y and are summed at the end.
void symmetric_product(const double* a, int64_t lda, int64_t k, const double* ucols, int64_t nr, double* y,
                       Workspace& ws, ThreadPool& pool) {
  const int slots = pool.size();
  ws.slot_y.resize(slots);
  ws.slot_pack.resize(slots);
  const int64_t blocks = (k + kSymmCols - 1) / kSymmCols, ugs = k * kGroup;
  std::atomic<int64_t> next{0};
  pool.parallel_for(slots, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      std::vector<double>& ys = ws.slot_y[s];
      std::vector<double>& pk = ws.slot_pack[s];
      ys.assign(static_cast<size_t>(k * nr), 0.0);
      pk.resize(static_cast<size_t>((padded_rows(k) + kRowTile) * kSymmCols));
      for (int64_t t; (t = next.fetch_add(1)) < blocks;) {
        const int64_t c0 = t * kSymmCols, c1 = std::min(k, c0 + kSymmCols), w = c1 - c0, rows = k - c0;
        // A(c0:, J) as row groups of depth w, the diagonal block completed from its lower half.
        // Every entry is written, the padding rows with zeros: no fill of the whole block first
        // (in wasm that memset cost 12% of a 2048 x 2048 layer's time).
        for (int64_t c = 0; c < w; ++c) {
          const double* col = a + (c0 + c) * lda + c0;
          for (int64_t r = 0; r < c; ++r) pk[packed_index(r, c, w)] = a[(c0 + r) * lda + c0 + c];
          for (int64_t r = c; r < rows; ++r) pk[packed_index(r, c, w)] = col[r];
          for (int64_t r = rows; r < padded_rows(rows); ++r) pk[packed_index(r, c, w)] = 0.0;
        }
        gemm_update(pk.data(), w * kGroup, ucols + c0 * kGroup, ugs, rows, nr, w, ys.data() + c0, k);
        const int64_t below = k - c1;
        if (below == 0) continue;
        // A(c1:, J)^T as groups of columns, depth = rows below the block.
        pack_cols(a + c0 * lda + c1, lda, below, w, pk.data(), pool);  // runs inline here
        gemm_update(pk.data(), below * kGroup, ucols + c1 * kGroup, ugs, w, nr, below, ys.data() + c0, k);
      }
    }
  });
  std::copy(ws.slot_y[0].begin(), ws.slot_y[0].end(), y);
  for (int s = 1; s < slots; ++s) axpy(1.0, ws.slot_y[s].data(), y, k * nr);
}

// One panel: QR of the k x nr block below the band, then A22 <- Q^T A22 Q for Q = I - V T V^T:
// Y = A22 V T, Z = Y - V (T^T V^T Y) / 2, A22 -= V Z^T + Z V^T (LAPACK dsytrd_sy2sb).
void reduce_panel(double* panel, double* a22, int64_t lda, int64_t k, int64_t b, Workspace& ws, ThreadPool& pool) {
  const int64_t nr = std::min(b, k - 1);
  std::vector<double> tau(static_cast<size_t>(nr));
  panel_qr(panel, lda, k, b, nr, tau.data(), pool);
  // V explicitly (unit diagonal, zeros above), column-major k x nr.
  ws.v.assign(static_cast<size_t>(k * nr), 0.0);
  for (int64_t j = 0; j < nr; ++j) {
    ws.v[j * k + j] = 1.0;
    std::copy(panel + j * lda + j + 1, panel + j * lda + k, ws.v.begin() + j * k + j + 1);
  }
  ws.vrows.resize(static_cast<size_t>(padded_rows(k) * nr));
  pack_rows(ws.v.data(), k, k, nr, ws.vrows.data(), pool);
  ws.vcols.resize(static_cast<size_t>(padded_rows(nr) * k));
  pack_cols(ws.v.data(), k, k, nr, ws.vcols.data(), pool);
  // T of the compact WY form (LAPACK dlarft, forward, columnwise) from the Gram matrix V^T V.
  ws.m.resize(static_cast<size_t>(nr * nr));
  gemm_over_depth(ws.vcols.data(), ws.vcols.data(), nr, nr, k, ws.m.data(), ws.partial, pool);
  ws.t.resize(static_cast<size_t>(nr * nr));
  compact_wy_t(tau.data(), ws.m.data(), nr, ws.t.data());
  // U = V T (k x nr), packed by columns for the symmetric product.
  auto pack_small = [&](const std::vector<double>& s, double scale) {  // s^T as the b operand, depth nr
    ws.small_pack.assign(static_cast<size_t>(padded_rows(nr) * nr), 0.0);
    for (int64_t j = 0; j < nr; ++j)
      for (int64_t q = 0; q < nr; ++q) ws.small_pack[packed_index(j, q, nr)] = scale * s[j * nr + q];
  };
  pack_small(ws.t, 1.0);
  ws.u.assign(static_cast<size_t>(k * nr), 0.0);
  parallel_gemm(ws.vrows.data(), ws.small_pack.data(), k, nr, nr, ws.u.data(), k, pool);
  ws.ucols.resize(static_cast<size_t>(padded_rows(nr) * k));
  pack_cols(ws.u.data(), k, k, nr, ws.ucols.data(), pool);
  ws.y.resize(static_cast<size_t>(k * nr));
  symmetric_product(a22, lda, k, ws.ucols.data(), nr, ws.y.data(), ws, pool);
  // M = V^T Y, S = T^T M, Z = Y - V S / 2.
  ws.ycols.resize(static_cast<size_t>(padded_rows(nr) * k));
  pack_cols(ws.y.data(), k, k, nr, ws.ycols.data(), pool);
  gemm_over_depth(ws.vcols.data(), ws.ycols.data(), nr, nr, k, ws.m.data(), ws.partial, pool);
  ws.s.assign(static_cast<size_t>(nr * nr), 0.0);
  for (int64_t j = 0; j < nr; ++j)
    for (int64_t i = 0; i < nr; ++i) {
      double s = 0;
      for (int64_t l = 0; l <= i; ++l) s += ws.t[i * nr + l] * ws.m[j * nr + l];  // T(l, i), upper
      ws.s[j * nr + i] = s;
    }
  pack_small(ws.s, -0.5);
  ws.z = ws.y;
  parallel_gemm(ws.vrows.data(), ws.small_pack.data(), k, nr, nr, ws.z.data(), k, pool);
  rank2k_update(ws.v.data(), k, ws.z.data(), k, k, nr, a22, lda, pool);
}

}  // namespace

void reduce_to_band(double* a, int64_t n, int64_t lda, int64_t b, ThreadPool& pool) {
  Workspace ws;
  // Panel j0: columns j0 .. j0+b-1; rows from j0+b down (k of them) are reduced to an upper
  // triangle R, which lies inside the band. Nothing to do once k < 2.
  for (int64_t j0 = 0; n - j0 - b >= 2; j0 += b) {
    const int64_t k = n - j0 - b;
    reduce_panel(a + j0 * lda + j0 + b, a + (j0 + b) * (lda + 1), lda, k, b, ws, pool);
    report_progress("reduction", kBandShare * (1.0 - std::pow(double(k - b) / double(n), 3)));  // work ~ k^3
  }
}

}  // namespace ws::spectrum
