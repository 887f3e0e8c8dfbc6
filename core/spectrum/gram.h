#pragma once
// Gram matrix of the smaller side of a weight matrix, in double.
#include <cstdint>

#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws::spectrum {

inline int64_t gram_size(const MatrixView& w) { return w.rows < w.cols ? w.rows : w.cols; }

// x (gram_size x gram_size, column-major, leading dim ldx) = W^T W if W is tall, else W W^T;
// lower triangle only (the upper is left partly written). Elements are converted exactly like
// MatrixView::at; a float32 product is exact in double, so only the sums round (in double).
void gram_lower(const MatrixView& w, double* x, int64_t ldx, ThreadPool& pool);

}  // namespace ws::spectrum
