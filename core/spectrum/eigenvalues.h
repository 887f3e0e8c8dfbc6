#pragma once
// All eigenvalues of X = W^T W (or W W^T, whichever is smaller) for each matrix, pooled.
// Precision policy: see spectrum/README.md.
#include <vector>

#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws {

// Sorted ascending; min(rows, cols) values per matrix, all matrices concatenated before sorting.
// Per matrix, eigenvalues within the Gram route's error bound of 0 (below m * eps * lambda_max) are
// either resolved by an SVD of W (smaller side <= 1024) or returned as exactly 0; never negative.
std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool);

}  // namespace ws
