#pragma once
// Eigenvalues of a symmetric tridiagonal matrix by the square-root-free QL iteration of Pal,
// Walker and Kahan (as in LAPACK dsterf): O(n^2), a few times faster than the implicit QR with
// Givens rotations because one step needs no square roots and works on squared off-diagonals.
#include <cstdint>

namespace ws::spectrum {

// d: n diagonal entries, replaced by the eigenvalues in ascending order; e: n - 1 off-diagonal
// entries (signs irrelevant), destroyed. Absolute error a small multiple of eps * ||T||.
// Falls back to Eigen's implicit QR if the iteration does not converge (30 n steps).
void tridiagonal_eigenvalues(double* d, double* e, int64_t n);

}  // namespace ws::spectrum
