#pragma once
// First stage of the two-stage tridiagonal reduction (LAPACK dsytrd_sy2sb, lower): a symmetric
// matrix to a band of width b by Householder similarity transforms, all in BLAS3 products.
#include <cstdint>

#include "util/thread_pool.h"

namespace ws::spectrum {

// a: n x n column-major (leading dim lda), lower triangle referenced, reduced in place to
// B = Q^T A Q with B(i, j) = 0 for i - j > b. On return a(i, j) for j <= i <= j + b holds B;
// entries further below the band are overwritten with workspace. Double precision, backward
// stable (orthogonal transforms only).
// Progress ("reduction", util/progress.h) goes from 0 to kBandShare, the rest is the bulge chasing's.
void reduce_to_band(double* a, int64_t n, int64_t lda, int64_t b, ThreadPool& pool);

// Householder QR of the k x nb panel p (LAPACK dgeqr2, leading dim ldp) with nr reflectors: R in the
// upper triangle, v_j below the diagonal (unit leading entry implicit), tau_j in tau. The nb - j - 1
// columns right of reflector j are updated in parallel when the panel is tall. Also the panel step of
// the QR that precedes the bidiagonalization of tall matrices (bidiagonal.cpp).
void panel_qr(double* p, int64_t ldp, int64_t k, int64_t nb, int64_t nr, double* tau, ThreadPool& pool);

// The band stage's share of the two-stage reduction's time (measured at 4096: 1.4 s of 1.7 s).
inline constexpr double kBandShare = 0.8;

}  // namespace ws::spectrum
