#pragma once
// Second stage of the two-stage tridiagonal reduction (LAPACK dsytrd_sb2st, lower, eigenvalues
// only): a symmetric band matrix to tridiagonal form by Householder bulge chasing.
#include <cstdint>

#include "util/thread_pool.h"

namespace ws::spectrum {

// a: column-major (leading dim lda) with the lower band a(i, j), j <= i <= j + b, of a symmetric
// n x n matrix (read only). d: n diagonal, e: n - 1 subdiagonal entries of an orthogonally similar
// tridiagonal matrix (signs of e arbitrary). Works on a private copy of the band (n x 2b doubles);
// with several threads, successive sweeps run pipelined a few blocks apart.
void band_to_tridiagonal(const double* a, int64_t n, int64_t lda, int64_t b, double* d, double* e, ThreadPool& pool);

}  // namespace ws::spectrum
