#pragma once
// All eigenvalues of X = W^T W (or W W^T, whichever is smaller) for each matrix, pooled.
// Precision policy: see spectrum/README.md.
#include <vector>

#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws {

// Sorted ascending; min(rows, cols) values per matrix, all matrices concatenated before sorting.
// Eigenvalues that round below zero are clamped to 0 (X is positive semi-definite).
std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool);

}  // namespace ws
