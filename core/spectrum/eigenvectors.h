#pragma once
// Eigenvalues and eigenvectors of each matrix's Gram X, for the eigenvector metrics and the latent
// space. The Gram matrix is weightwatcher's (docs/methods.md, "Eigenvector metrics"): X = W W^T
// when W has no more rows than columns (square W included), else W^T W. Route: Gram (double),
// one-stage Householder reduction keeping its reflectors, divide and conquer on the tridiagonal
// matrix (tridiagonal_eigenvectors.h), back-transformation by the reflectors (back_transform.h).
// The eigenvalue-only route (eigenvalues.h) is not touched by any of this.
#include <cstdint>
#include <functional>
#include <vector>

#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws {

struct Eigenpairs {
  int64_t m = 0;                // size of X: the smaller side of W
  std::vector<double> values;   // ascending; the root-free QL of the same tridiagonal matrix and
                                // the zero policy of eigenvalues.h, so they equal pooled_eigenvalues'
                                // to rounding (to the bit where that route reduces the same X)
  std::vector<double> vectors;  // m x m column-major: column j the unit eigenvector of values[j]
};

// Whether X = W W^T (the left singular vectors of W) rather than W^T W.
inline bool gram_of_rows(const MatrixView& w) { return w.rows <= w.cols; }

Eigenpairs matrix_eigenpairs(const MatrixView& w, ThreadPool& pool);

// Every matrix's eigenpairs passed to fn(i, pairs) (small matrices side by side: fn must be safe
// to run concurrently for distinct i); returns the pooled eigenvalues sorted ascending, as
// pooled_eigenvalues does. Only one or two matrices' eigenvectors are held at a time per thread.
std::vector<double> pooled_eigenpairs(const std::vector<MatrixView>& mats, ThreadPool& pool,
                                      const std::function<void(size_t, const Eigenpairs&)>& fn);

}  // namespace ws
