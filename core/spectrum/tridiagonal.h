#pragma once
// Householder reduction of a symmetric matrix to tridiagonal form. Large matrices: two stages
// (dense -> band in BLAS3 products, band_reduction.h; band -> tridiagonal by bulge chasing,
// bulge_chasing.h). Small ones (in cache): one stage blocked like LAPACK dsytrd (lower), per panel
// of kPanel columns a dlatrd-style panel reduction (matrix-vector products) followed by one rank-2k
// update of the trailing matrix (lower_update). Backward stable in double precision like dsytrd.
#include <cstdint>

#include "util/thread_pool.h"

namespace ws::spectrum {

// a: n x n column-major (leading dim lda), lower triangle referenced; destroyed.
// d: n diagonal entries, e: n-1 subdiagonal entries of T = Q^T A Q.
// With tau (n - 1 entries) the reduction is one stage at every size and keeps Q for the
// eigenvectors (back_transform.h): Q = H_0 ... H_{n-2}, H_i = I - tau_i v_i v_i^T with v_i(i+1) = 1
// and v_i(i+2:) left in a(i+2:, i); the two-stage reduction keeps no Q.
void tridiagonalize(double* a, int64_t n, int64_t lda, double* d, double* e, ThreadPool& pool,
                    double* tau = nullptr);

}  // namespace ws::spectrum
