#pragma once
// All eigenvalues of X = W^T W (or W W^T, whichever is smaller) for each matrix, pooled.
// Precision policy: see spectrum/README.md.
#include <functional>
#include <vector>

#include "layers/matrix_view.h"
#include "util/phase_times.h"
#include "util/thread_pool.h"

namespace ws {

// Sorted ascending; min(rows, cols) values per matrix, all matrices concatenated before sorting.
// Per matrix, eigenvalues within the Gram route's error bound of 0 (below m * eps * lambda_max) are
// either resolved by an SVD of W (smaller side <= 1024) or returned as exactly 0; never negative.
// times, when given: the matrices' gram, reduction, tridiagonal and svd phases are added to it.
std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool,
                                       PhaseTimes* times = nullptr);

namespace spectrum {

// The steps of pooled_eigenvalues that the eigenvector path (eigenvectors.h) shares with it.
// One matrix's eigenvalues (ascending, from its Gram route) after the zero policy above.
std::vector<double> apply_zero_policy(const MatrixView& w, std::vector<double> ascending);
// fn(i) for every matrix: large ones one after another with the whole pool, small ones side by
// side, one per thread (fn must then be safe to run concurrently for distinct i).
void for_each_matrix(const std::vector<MatrixView>& mats, ThreadPool& pool, const std::function<void(size_t)>& fn);
// The eigenvalues (ascending, zero policy applied) of the Gram matrix fill(x) writes, lower triangle
// of the m x m column-major x (m = min(rows, cols)), as gram_lower does for a rows x cols W: for a
// matrix the caller streams (analysis/streamed_layer.h). m must exceed 1024, where the zero policy
// never needs W itself. times: as pooled_eigenvalues'.
std::vector<double> gram_eigenvalues(int64_t rows, int64_t cols, const std::function<void(double*)>& fill,
                                     ThreadPool& pool, PhaseTimes* times = nullptr);
// All matrices' eigenvalues concatenated and sorted ascending.
std::vector<double> pool_sorted(const std::vector<std::vector<double>>& per_matrix);

}  // namespace spectrum

}  // namespace ws
