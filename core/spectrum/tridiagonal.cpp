#include "spectrum/tridiagonal.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "spectrum/band_reduction.h"
#include "spectrum/bulge_chasing.h"
#include "spectrum/lower_update.h"

#include "spectrum/fma_contract.h"

#include "spectrum/vector_ops.h"
#include "util/progress.h"

namespace ws::spectrum {

namespace {

using simd::vd;
constexpr int L = simd::kLanes;
constexpr int64_t kPanel = 32;
// From this size on the two-stage reduction is faster; below it the one-stage reduction's matrix
// largely stays in cache. Measured per matrix, native, 1 / 2 threads: m = 768 one stage 26 / 18 ms,
// two stages 34 / 22 ms; m = 1024 58 / 39 vs 74 / 51 ms; m = 1536 about equal; m = 2048 two
// stages 3-7% faster.
constexpr int64_t kTwoStageMin = 1536;

// y += A v over columns [c0, c1) of the lower-stored symmetric k x k matrix A: each stored
// column feeds both y(c) (a dot) and y(c+1:) (an axpy), so A is read once; four columns per
// pass so y is loaded and stored once per four.
void symv_columns(const double* a, int64_t lda, int64_t k, const double* v, double* y, int64_t c0, int64_t c1) {
  int64_t c = c0;
  for (; c + 4 <= c1; c += 4) {
    const double* col[4] = {a + c * lda, a + (c + 1) * lda, a + (c + 2) * lda, a + (c + 3) * lda};
    // The 4x4 diagonal block first (scalar), then rows c+4.. together.
    for (int q = 0; q < 4; ++q) {
      y[c + q] += col[q][c + q] * v[c + q];
      for (int r = q + 1; r < 4; ++r) {
        y[c + r] += col[q][c + r] * v[c + q];
        y[c + q] += col[q][c + r] * v[c + r];
      }
    }
    const int64_t r0 = c + 4, len = k - r0;
    vd vc[4], s[4] = {};
    for (int q = 0; q < 4; ++q) vc[q] = simd::splat(v[c + q]);
    int64_t i = 0;
    for (; i + L <= len; i += L) {
      const vd vi = simd::load(v + r0 + i);
      vd yi = simd::load(y + r0 + i);
      for (int q = 0; q < 4; ++q) {
        const vd ac = simd::load(col[q] + r0 + i);
        yi = simd::madd(ac, vc[q], yi);
        s[q] = simd::madd(ac, vi, s[q]);
      }
      simd::store(y + r0 + i, yi);
    }
    for (int q = 0; q < 4; ++q) {
      double t = simd::hsum(s[q]);
      for (int64_t j = i; j < len; ++j) {
        y[r0 + j] += col[q][r0 + j] * v[c + q];
        t += col[q][r0 + j] * v[r0 + j];
      }
      y[c + q] += t;
    }
  }
  for (; c < c1; ++c) {
    const double* col = a + c * lda;
    double s = col[c] * v[c];
    for (int64_t r = c + 1; r < k; ++r) {
      y[r] += col[r] * v[c];
      s += col[r] * v[r];
    }
    y[c] += s;
  }
}

// y = A v for the lower-stored symmetric k x k matrix A, columns split over the pool in slices of
// equal triangle area, each thread into its own y, summed at the end. `scratch` holds them.
void symv(const double* a, int64_t lda, int64_t k, const double* v, double* y, std::vector<double>& scratch,
          ThreadPool& pool) {
  const int threads = k >= 256 ? pool.size() : 1;  // small products: not worth waking threads
  scratch.assign(static_cast<size_t>(threads) * k, 0.0);
  pool.parallel_for(threads, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      // Column c starts where the remaining area (k - c)^2 / 2 equals (1 - t/T) of the whole.
      auto start = [&](int64_t tt) { return int64_t(k - k * std::sqrt(1.0 - double(tt) / threads)); };
      symv_columns(a, lda, k, v, scratch.data() + t * k, start(t), t + 1 == threads ? k : start(t + 1));
    }
  });
  std::copy(scratch.begin(), scratch.begin() + k, y);
  for (int t = 1; t < threads; ++t) axpy(1.0, scratch.data() + t * k, y, k);
}

// LAPACK dlatrd (lower) on the trailing k x k matrix a: reduces its first nb columns and returns
// in w (k x nb, leading dim k) the matrix such that A - V W^T - W V^T is the updated trailing part.
// Householder vectors are left in a below the subdiagonal with a unit subdiagonal entry.
void panel(double* a, int64_t lda, int64_t k, int64_t nb, double* e, double* taus, double* w,
           std::vector<double>& scratch, ThreadPool& pool) {
  for (int64_t j = 0; j < nb; ++j) {
    double* col = a + j * lda;
    for (int64_t q = 0; q < j; ++q) {  // bring column j up to date with the panel's earlier reflectors
      axpy(-w[j + q * k], a + q * lda + j, col + j, k - j);
      axpy(-a[j + q * lda], w + q * k + j, col + j, k - j);
    }
    if (j + 1 >= k) continue;
    double beta;
    const double tau = householder(col[j + 1], col + j + 2, k - j - 2, beta);
    e[j] = beta;
    if (taus) taus[j] = tau;
    col[j + 1] = 1.0;
    const double* v = col + j + 1;
    const int64_t len = k - j - 1;
    double* wj = w + j * k;
    symv(a + (j + 1) * lda + j + 1, lda, len, v, wj + j + 1, scratch, pool);
    for (int64_t q = 0; q < j; ++q) wj[q] = dot(w + q * k + j + 1, v, len);
    for (int64_t q = 0; q < j; ++q) axpy(-wj[q], a + q * lda + j + 1, wj + j + 1, len);
    for (int64_t q = 0; q < j; ++q) wj[q] = dot(a + q * lda + j + 1, v, len);
    for (int64_t q = 0; q < j; ++q) axpy(-wj[q], w + q * k + j + 1, wj + j + 1, len);
    for (int64_t i = j + 1; i < k; ++i) wj[i] *= tau;
    axpy(-0.5 * tau * dot(wj + j + 1, v, len), v, wj + j + 1, len);
  }
}

}  // namespace

void tridiagonalize(double* a, int64_t n, int64_t lda, double* d, double* e, ThreadPool& pool, double* tau) {
  if (n >= kTwoStageMin && !tau) {
    // Bandwidth: wide enough for BLAS3 efficiency in stage 1, narrow enough that the bulge chasing
    // (~6 b n^2 flops in level-1 loops) stays a fraction of it. Measured on Zen4: 16 for n <= 1024,
    // 64 at 4096.
    const int64_t b = std::clamp<int64_t>(n / 64 / 8 * 8, 16, 64);
    reduce_to_band(a, n, lda, b, pool);
    band_to_tridiagonal(a, n, lda, b, d, e, pool);
    report_progress("reduction", 1.0);
    return;
  }
  std::vector<double> w, scratch;
  for (int64_t i0 = 0; i0 < n; i0 += kPanel) {
    const int64_t k = n - i0, nb = std::min(kPanel, k);
    double* at = a + i0 * lda + i0;
    w.assign(static_cast<size_t>(k * nb), 0.0);
    panel(at, lda, k, nb, e + i0, tau ? tau + i0 : nullptr, w.data(), scratch, pool);
    const int64_t rest = k - nb;
    // Trailing update A22 -= V W^T + W V^T.
    rank2k_update(at + nb, lda, w.data() + nb, k, rest, nb, at + nb * lda + nb, lda, pool);
    for (int64_t j = 0; j < nb; ++j) {
      d[i0 + j] = at[j * lda + j];
      if (i0 + j + 1 < n) at[j * lda + j + 1] = e[i0 + j];
    }
    report_progress("reduction", 1.0 - std::pow(double(rest) / double(n), 3));  // work ~ rest^3
  }
}

}  // namespace ws::spectrum
