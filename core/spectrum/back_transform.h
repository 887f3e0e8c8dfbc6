#pragma once
// Back-transformation of eigenvectors: Z <- Q Z for the orthogonal Q of the one-stage tridiagonal
// reduction (tridiagonalize with tau), as LAPACK dormtr: reflectors in blocks of a compact WY form
// I - V T V^T, each applied to Z by two products on the packed micro-kernel.
#include <cstdint>

#include "util/thread_pool.h"

namespace ws::spectrum {

// a, lda, tau: the reflectors as tridiagonalize(..., tau) leaves them (n x n, n - 1 reflectors).
// z: n x cols column-major (leading dim ldz), overwritten by Q z.
void apply_reduction_q(const double* a, int64_t n, int64_t lda, const double* tau, double* z, int64_t ldz,
                       int64_t cols, ThreadPool& pool);

}  // namespace ws::spectrum
