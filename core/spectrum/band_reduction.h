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

// The band stage's share of the two-stage reduction's time (measured at 4096: 1.4 s of 1.7 s).
inline constexpr double kBandShare = 0.8;

}  // namespace ws::spectrum
