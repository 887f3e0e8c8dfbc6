#pragma once
// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by divide and conquer (Cuppen's
// rank-one tearing, as in LAPACK dstedc): the matrix is torn into halves down to leaves of a few
// dozen rows (implicit QR), and each merge solves the secular equation of D + rho z z^T. Two
// devices keep it accurate: deflation (tiny z entries and near-equal poles are split off by a
// rotation, so the secular equation never sees close poles) and Gu and Eisenstat's recomputed z,
// which makes the computed eigenvectors numerically orthogonal however close the eigenvalues. The
// merges' products run on the packed micro-kernel (packed_gemm.h), in double.
#include <cstdint>

#include "util/thread_pool.h"

namespace ws::spectrum {

// d: n diagonal entries, replaced by the eigenvalues in ascending order; e: n - 1 off-diagonal
// entries (not modified). z: n x n column-major (leading dim ldz), set to the orthonormal
// eigenvectors, column j for eigenvalue d[j]. Residual and loss of orthogonality are a small
// multiple of n * eps (relative to ||T||). A non-finite entry gives NaN eigenvalues and vectors.
// Throws InputError if a leaf's QR does not converge (not seen on finite input).
void tridiagonal_eigenvectors(double* d, const double* e, int64_t n, double* z, int64_t ldz, ThreadPool& pool);

}  // namespace ws::spectrum
