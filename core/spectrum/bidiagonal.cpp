#include "spectrum/bidiagonal.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "spectrum/band_reduction.h"
#include "spectrum/dqds.h"
#include "spectrum/packed_gemm.h"
#include "spectrum/tridiagonal_eigenvalues.h"

#include "spectrum/fma_contract.h"

#include "spectrum/compact_wy.h"
#include "spectrum/vector_ops.h"

namespace ws::spectrum {

namespace {

using simd::vd;
constexpr int L = simd::kLanes;
// Columns per panel: half the reduction's flops are the matrix-vector products inside a panel,
// the other half go through the micro-kernel as one rank-2nb update per panel (dgebrd's scheme).
// The fused matrix-vector pass dominates; measured native, one thread, 480 x 480: 14.3 ms at 8 to
// 16, 15.8 ms at 32, 19.1 ms at 64 (the panel's own products grow with nb).
constexpr int64_t kPanel = 16;
// Columns per panel of the QR: the depth of its compact WY products. Measured native, one thread,
// 4096 x 1024 whole SVD: 0.63 s at 16, 0.59 s at 32, 0.53 s at 64; 480 x 120 and 5000 x 64 alike.
constexpr int64_t kQrPanel = 64;
// Tall matrices are QR-factorized first from this aspect ratio on (LAPACK dgesvd's 1.6): the QR
// plus the reduction of R (2 n m^2 + 2 m^3 flops) then costs less than reducing A (4 n m^2 - 4/3 m^3).
constexpr double kQrFirstRatio = 1.6;
// Matrix-vector products over at least this many entries are split over the pool.
constexpr int64_t kParallelEntries = 1 << 16;

// The matrix-vector kernels work on four columns at a time, so that the vector is loaded (and for
// axpys stored) once per four columns.
// out[q] = col[q](0:n)^T x for q < 4.
void dot4(const double* const col[4], const double* x, int64_t n, double out[4]) {
  vd s[4] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const vd xi = simd::load(x + i);
    for (int q = 0; q < 4; ++q) s[q] = simd::madd(simd::load(col[q] + i), xi, s[q]);
  }
  for (int q = 0; q < 4; ++q) {
    out[q] = simd::hsum(s[q]);
    for (int64_t j = i; j < n; ++j) out[q] += col[q][j] * x[j];
  }
}

// y(r0:r1) += sum_q coef[q] * col[q](r0:r1).
void axpy4(const double* const col[4], const double coef[4], double* y, int64_t r0, int64_t r1) {
  vd cq[4];
  for (int q = 0; q < 4; ++q) cq[q] = simd::splat(coef[q]);
  int64_t i = r0;
  for (; i + L <= r1; i += L) {
    vd yi = simd::load(y + i);
    for (int q = 0; q < 4; ++q) yi = simd::madd(simd::load(col[q] + i), cq[q], yi);
    simd::store(y + i, yi);
  }
  for (; i < r1; ++i)
    for (int q = 0; q < 4; ++q) y[i] += col[q][i] * coef[q];
}

// y(c0:c1) = alpha * A(:, c0:c1)^T x + beta * y(c0:c1) for A rows x cols (leading dim lda).
void gemv_t_cols(const double* a, int64_t lda, int64_t rows, int64_t c0, int64_t c1, const double* x, double* y,
                 double alpha, double beta) {
  auto put = [&](int64_t c, double t) { y[c] = alpha * t + (beta == 0.0 ? 0.0 : beta * y[c]); };
  int64_t c = c0;
  for (; c + 4 <= c1; c += 4) {
    const double* col[4] = {a + c * lda, a + (c + 1) * lda, a + (c + 2) * lda, a + (c + 3) * lda};
    double t[4];
    dot4(col, x, rows, t);
    for (int q = 0; q < 4; ++q) put(c + q, t[q]);
  }
  for (; c < c1; ++c) put(c, dot(a + c * lda, x, rows));
}

void gemv_t(const double* a, int64_t lda, int64_t rows, int64_t cols, const double* x, double* y, ThreadPool& pool,
            double alpha = 1.0, double beta = 0.0) {
  if (rows * cols < kParallelEntries) return gemv_t_cols(a, lda, rows, 0, cols, x, y, alpha, beta);
  pool.parallel_for(cols, [&](int64_t c0, int64_t c1) { gemv_t_cols(a, lda, rows, c0, c1, x, y, alpha, beta); }, 16);
}

// y(r0:r1) += alpha * A(r0:r1, :) x.
void gemv_n_rows(const double* a, int64_t lda, int64_t r0, int64_t r1, int64_t cols, const double* x, double* y,
                 double alpha) {
  int64_t c = 0;
  for (; c + 4 <= cols; c += 4) {
    const double* col[4] = {a + c * lda, a + (c + 1) * lda, a + (c + 2) * lda, a + (c + 3) * lda};
    const double coef[4] = {alpha * x[c], alpha * x[c + 1], alpha * x[c + 2], alpha * x[c + 3]};
    axpy4(col, coef, y, r0, r1);
  }
  for (; c < cols; ++c) axpy(alpha * x[c], a + c * lda + r0, y + r0, r1 - r0);
}

void gemv_n(const double* a, int64_t lda, int64_t rows, int64_t cols, const double* x, double* y, ThreadPool& pool,
            double alpha = 1.0) {
  if (rows * cols < kParallelEntries) return gemv_n_rows(a, lda, 0, rows, cols, x, y, alpha);
  pool.parallel_for(rows, [&](int64_t r0, int64_t r1) { gemv_n_rows(a, lda, r0, r1, cols, x, y, alpha); }, 64);
}

// The two products of a panel step with the trailing matrix in one pass over it (the "BLAS 2.5"
// fusion of Howell et al.): for each column c of A (len rows), g_c = A(:, c)^T v, then
// u_c = z_c - tau g_c, and w += A(1:, c) u_c (w has len - 1 entries); columns [c0, c1).
void fused_columns(const double* a, int64_t lda, int64_t len, int64_t c0, int64_t c1, const double* v,
                   const double* z, double tau, double* g, double* uraw, double* w) {
  int64_t c = c0;
  for (; c + 4 <= c1; c += 4) {
    const double* col[4] = {a + c * lda, a + (c + 1) * lda, a + (c + 2) * lda, a + (c + 3) * lda};
    dot4(col, v, len, g + c);
    for (int q = 0; q < 4; ++q) uraw[c + q] = z[c + q] - tau * g[c + q];
    const double* below[4] = {col[0] + 1, col[1] + 1, col[2] + 1, col[3] + 1};
    axpy4(below, uraw + c, w, 0, len - 1);
  }
  for (; c < c1; ++c) {
    g[c] = dot(a + c * lda, v, len);
    uraw[c] = z[c] - tau * g[c];
    axpy(uraw[c], a + c * lda + 1, w, len - 1);
  }
}

// fused_columns over all cols columns (w: len - 1 entries, overwritten), columns split over the
// pool for large products, each thread into its own w (in scratch), summed at the end.
void fused_gemv(const double* a, int64_t lda, int64_t len, int64_t cols, const double* v, const double* z, double tau,
                double* g, double* uraw, double* w, std::vector<double>& scratch, ThreadPool& pool) {
  const int threads = len * cols >= kParallelEntries ? pool.size() : 1;
  const int64_t wl = len - 1;
  scratch.assign(static_cast<size_t>(threads * wl), 0.0);
  pool.parallel_for(threads, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      fused_columns(a, lda, len, cols * t / threads, cols * (t + 1) / threads, v, z, tau, g, uraw,
                    scratch.data() + t * wl);
  });
  std::copy(scratch.begin(), scratch.begin() + wl, w);
  for (int t = 1; t < threads; ++t) axpy(1.0, scratch.data() + t * wl, w, wl);
}

// LAPACK dlabrd (rows >= cols) on the trailing k x c block a: reduces its first nb rows and columns
// to bidiagonal form (d, e) and returns X (k x nb, leading dim k) and Y (c x nb, leading dim c) such
// that A(nb:, nb:) - V Y^T - X U^T is the updated trailing block, V = the left reflectors
// (a(nb:, 0:nb)), U = the right ones (a(0:nb, nb:), unit entries stored).
void panel(double* a, int64_t lda, int64_t k, int64_t c, int64_t nb, double* d, double* e, double* x, double* y,
           ThreadPool& pool) {
  std::vector<double> t(static_cast<size_t>(nb)), u(static_cast<size_t>(c)), z(static_cast<size_t>(c)),
      cy(static_cast<size_t>(c)), row(static_cast<size_t>(nb)), scratch;
  for (int64_t j = 0; j < nb; ++j) {
    double* col = a + j * lda;
    // Column j up to date with the panel's earlier reflectors: -= A(j:, 0:j) Y(j, 0:j)^T + X(j:, 0:j) A(0:j, j).
    for (int64_t q = 0; q < j; ++q) row[q] = y[j + q * c];
    gemv_n(a + j, lda, k - j, j, row.data(), col + j, pool, -1.0);
    gemv_n(x + j, k, k - j, j, col, col + j, pool, -1.0);
    double beta;
    const double tauq = householder(col[j], col + j + 1, k - j - 1, beta);
    d[j] = beta;
    if (j + 1 >= c) continue;  // the last column has no right reflector
    col[j] = 1.0;
    const double* v = col + j;
    const int64_t len = k - j, rest = c - j - 1, below = k - j - 1;
    // Y(j+1:, j) = tauq (g + cy), g = A^T v, cy = -Y A(j:, 0:j)^T v - A(0:j, j+1:)^T X(j:, 0:j)^T v.
    double* yj = y + j * c + j + 1;
    std::fill(cy.begin(), cy.begin() + rest, 0.0);
    gemv_t(a + j, lda, len, j, v, t.data(), pool);
    gemv_n(y + j + 1, c, rest, j, t.data(), cy.data(), pool, -1.0);
    gemv_t(x + j, k, len, j, v, t.data(), pool);
    gemv_t(a + (j + 1) * lda, lda, j, rest, t.data(), cy.data(), pool, -1.0, 1.0);
    // Row j up to date, u = z - Y(j+1:, j) with z = A(j, j+1:) - Y(j+1:, 0:j) A(j, 0:j)^T -
    // A(0:j, j+1:)^T X(j, 0:j)^T: z - tauq cy first, g's part in the fused pass.
    for (int64_t i = 0; i < rest; ++i) z[i] = a[(j + 1 + i) * lda + j];
    for (int64_t q = 0; q < j; ++q) row[q] = a[q * lda + j];
    gemv_n(y + j + 1, c, rest, j, row.data(), z.data(), pool, -1.0);
    for (int64_t q = 0; q < j; ++q) row[q] = x[j + q * k];
    gemv_t(a + (j + 1) * lda, lda, j, rest, row.data(), z.data(), pool, -1.0, 1.0);
    axpy(-tauq, cy.data(), z.data(), rest);
    // One pass over A(j:, j+1:): g, u before the reflector, and w = A(j+1:, j+1:) u.
    double* xj = x + j * k + j + 1;
    fused_gemv(a + (j + 1) * lda + j, lda, len, rest, v, z.data(), tauq, yj, u.data(), xj, scratch, pool);
    for (int64_t i = 0; i < rest; ++i) yj[i] = tauq * (yj[i] + cy[i]);
    const double alpha = u[0];
    const double taup = householder(alpha, u.data() + 1, rest - 1, beta);
    e[j] = beta;
    u[0] = 1.0;
    for (int64_t i = 0; i < rest; ++i) a[(j + 1 + i) * lda + j] = u[i];
    // A(j+1:, j+1:) u from w: u = (alpha, tail) / (alpha - beta) with its head replaced by 1
    // (householder's own scale; u = e_1 when the tail is 0, taup = 0).
    const double* a1 = a + (j + 1) * lda + j + 1;
    if (taup == 0.0) {
      std::copy(a1, a1 + below, xj);
    } else {
      const double inv = 1.0 / (alpha - beta);
      for (int64_t i = 0; i < below; ++i) xj[i] = inv * xj[i] + (1.0 - inv * alpha) * a1[i];
    }
    // X(j+1:, j) = taup (A u - A(j+1:, 0:j+1) Y(j+1:, 0:j+1)^T u - X(j+1:, 0:j) A(0:j, j+1:) u).
    gemv_t(y + j + 1, c, rest, j + 1, u.data(), t.data(), pool);
    gemv_n(a + j + 1, lda, below, j + 1, t.data(), xj, pool, -1.0);
    std::fill(t.begin(), t.begin() + j, 0.0);
    gemv_n(a + (j + 1) * lda, lda, j, rest, u.data(), t.data(), pool);
    gemv_n(x + j + 1, k, below, j, t.data(), xj, pool, -1.0);
    for (int64_t i = 0; i < below; ++i) xj[i] *= taup;
  }
}

// Householder QR of a (rows x cols, rows >= cols) in place: R in the upper triangle. Panels of
// kQrPanel columns by panel_qr, the trailing columns updated by the compact WY form through the
// micro-kernel: C -= V (T^T (V^T C)) (LAPACK dgeqrf).
void qr_in_place(double* a, int64_t rows, int64_t cols, int64_t lda, ThreadPool& pool) {
  std::vector<double> tau(static_cast<size_t>(kQrPanel)), v, vtv, t, w, tw;
  GemmBuffers buf;
  for (int64_t j0 = 0; j0 < cols; j0 += kQrPanel) {
    const int64_t k = rows - j0, nb = std::min(kQrPanel, cols - j0), rest = cols - j0 - nb;
    double* p = a + j0 * lda + j0;
    panel_qr(p, lda, k, nb, nb, tau.data(), pool);
    if (rest == 0) break;
    v.assign(static_cast<size_t>(k * nb), 0.0);  // V explicitly: unit diagonal, zeros above
    for (int64_t q = 0; q < nb; ++q) {
      v[q * k + q] = 1.0;
      std::copy(p + q * lda + q + 1, p + q * lda + k, v.begin() + q * k + q + 1);
    }
    vtv.assign(static_cast<size_t>(nb * nb), 0.0);
    gemm_tn(v.data(), k, v.data(), k, nb, nb, k, vtv.data(), nb, buf, pool);
    t.resize(static_cast<size_t>(nb * nb));
    compact_wy_t(tau.data(), vtv.data(), nb, t.data());
    // Q^T C = C - V T^T V^T C for H_0 ... H_{nb-1} = I - V T V^T.
    double* c = p + nb * lda;
    w.assign(static_cast<size_t>(nb * rest), 0.0);
    gemm_tn(v.data(), k, c, lda, nb, rest, k, w.data(), nb, buf, pool);
    tw.assign(static_cast<size_t>(nb * rest), 0.0);
    gemm_tn(t.data(), nb, w.data(), nb, nb, rest, nb, tw.data(), nb, buf, pool);
    gemm_nn(v.data(), k, tw.data(), nb, k, rest, nb, c, lda, buf, pool, -1.0);
  }
}

// Upper bidiagonalization of a (rows >= cols) in panels: dlabrd, then one product per panel
// A22 -= [V X] [Y U^T]^T through the micro-kernel.
void reduce(double* a, int64_t rows, int64_t cols, int64_t lda, double* d, double* e, ThreadPool& pool) {
  std::vector<double> x, y, vx, yu;
  GemmBuffers buf;
  for (int64_t i0 = 0; i0 < cols; i0 += kPanel) {
    const int64_t k = rows - i0, c = cols - i0, nb = std::min(kPanel, c);
    double* at = a + i0 * lda + i0;
    x.assign(static_cast<size_t>(k * nb), 0.0);
    y.assign(static_cast<size_t>(c * nb), 0.0);
    panel(at, lda, k, c, nb, d + i0, e + i0, x.data(), y.data(), pool);
    const int64_t kr = k - nb, cr = c - nb;
    if (cr == 0) break;
    vx.resize(static_cast<size_t>(kr * 2 * nb));  // [V X], kr x 2nb
    yu.resize(static_cast<size_t>(2 * nb * cr));  // [Y U^T]^T, 2nb x cr
    for (int64_t q = 0; q < nb; ++q) {
      std::copy(at + q * lda + nb, at + q * lda + k, vx.begin() + q * kr);
      std::copy(x.begin() + q * k + nb, x.begin() + (q + 1) * k, vx.begin() + (nb + q) * kr);
    }
    for (int64_t j = 0; j < cr; ++j)
      for (int64_t q = 0; q < nb; ++q) {
        yu[j * 2 * nb + q] = y[q * c + nb + j];
        yu[j * 2 * nb + nb + q] = at[(nb + j) * lda + q];
      }
    gemm_nn(vx.data(), kr, yu.data(), 2 * nb, kr, cr, 2 * nb, at + nb * lda + nb, lda, buf, pool, -1.0);
  }
}

}  // namespace

void bidiagonalize(double* a, int64_t rows, int64_t cols, int64_t lda, double* d, double* e, ThreadPool& pool) {
  if (cols == 0) return;
  if (rows >= kQrFirstRatio * cols) {
    qr_in_place(a, rows, cols, lda, pool);
    for (int64_t c = 0; c < cols; ++c) std::fill(a + c * lda + c + 1, a + c * lda + cols, 0.0);
    rows = cols;  // R: the leading cols x cols block
  }
  reduce(a, rows, cols, lda, d, e, pool);
}

// dqds on the squared entries (scaled by a power of two near the largest, exact, so that squares
// neither overflow nor underflow): each singular value to high relative accuracy, so well within
// the eps * sv_max absolute that resolves numerical zeros (README.md). Measured ~4x faster than the
// alternative kept as its fallback (dqds not converged in 30 n steps, not seen in the tests): the
// eigenvalues of the 2n x 2n Golub-Kahan matrix T (zero diagonal, off-diagonals d0, e0, d1, e1, ...,
// d_{n-1}; T is [[0, B], [B^T, 0]] with rows and columns interleaved, eigenvalues +-sigma_i) by the
// root-free QL, backward stable for T: each sigma to a small multiple of eps * ||T|| = eps * sv_max
// absolute, as LAPACK's bidiagonal QR without vectors, at 4x the size of the problem.
std::vector<double> bidiagonal_squared_singular_values(const double* d, const double* e, int64_t n) {
  if (n == 0) return {};
  double norm = 0;
  for (int64_t i = 0; i < n; ++i) norm = std::max({norm, std::abs(d[i]), i + 1 < n ? std::abs(e[i]) : 0.0});
  if (norm == 0) return std::vector<double>(static_cast<size_t>(n), 0.0);
  const int shift = std::ilogb(norm);
  std::vector<double> q(static_cast<size_t>(n)), e2(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    q[i] = std::scalbn(d[i], -shift) * std::scalbn(d[i], -shift);
    if (i + 1 < n) e2[i] = std::scalbn(e[i], -shift) * std::scalbn(e[i], -shift);
  }
  if (dqds(q.data(), e2.data(), n)) {
    for (double& v : q) v = std::scalbn(v, 2 * shift);
    return q;
  }
  std::vector<double> diag(static_cast<size_t>(2 * n), 0.0), off(static_cast<size_t>(2 * n - 1));
  for (int64_t i = 0; i < n; ++i) {
    off[2 * i] = d[i];
    if (i + 1 < n) off[2 * i + 1] = e[i];
  }
  tridiagonal_eigenvalues(diag.data(), off.data(), 2 * n);
  // Ascending: the top n are the singular values (exact zeros come back as +-noise of ~eps sv_max,
  // in pairs; whichever sign lands in the top half, its square is as small).
  for (int64_t i = 0; i < n; ++i) q[i] = diag[n + i] * diag[n + i];
  std::sort(q.begin(), q.end());
  return q;
}

std::vector<double> squared_singular_values(std::vector<double> a, int64_t rows, int64_t cols, ThreadPool& pool) {
  if (rows < cols) {  // the same singular values as A^T, which is tall
    std::vector<double> at(a.size());
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t r = 0; r < rows; ++r) at[r * cols + c] = a[c * rows + r];
    a.swap(at);
    std::swap(rows, cols);
  }
  std::vector<double> d(static_cast<size_t>(cols)), e(static_cast<size_t>(std::max<int64_t>(cols - 1, 0)));
  bidiagonalize(a.data(), rows, cols, rows, d.data(), e.data(), pool);
  return bidiagonal_squared_singular_values(d.data(), e.data(), cols);
}

}  // namespace ws::spectrum
