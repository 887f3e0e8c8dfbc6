#pragma once
// Singular values of a dense matrix the way LAPACK's dgesvd gets them without vectors: Householder
// reduction to upper bidiagonal form (dgebrd, blocked like dlabrd, a QR first when the matrix is
// tall), then the singular values of the bidiagonal. Double precision; the route of the exact SVD
// that resolves numerical zeros (README.md, "Numerical zeros").
#include <cstdint>
#include <vector>

#include "util/thread_pool.h"

namespace ws::spectrum {

// a: rows x cols column-major (leading dim lda), rows >= cols, destroyed. d (cols entries) and e
// (cols - 1) receive an upper bidiagonal B = Q^T A P with the singular values of A (orthogonal
// transforms only: backward stable, ||A - Q B P^T|| ~ eps ||A||). Matrices with rows >= 1.6 cols
// are QR-factorized first and R is reduced (half the flops at rows >> cols, as dgesvd does).
void bidiagonalize(double* a, int64_t rows, int64_t cols, int64_t lda, double* d, double* e, ThreadPool& pool);

// Squared singular values of the n x n upper bidiagonal (d, e), ascending. Absolute error of each
// singular value a small multiple of eps * sv_max.
std::vector<double> bidiagonal_squared_singular_values(const double* d, const double* e, int64_t n);

// Squared singular values of a (rows x cols column-major, leading dim rows; taken as workspace),
// ascending: min(rows, cols) values. A wide a is transposed first.
std::vector<double> squared_singular_values(std::vector<double> a, int64_t rows, int64_t cols, ThreadPool& pool);

}  // namespace ws::spectrum
