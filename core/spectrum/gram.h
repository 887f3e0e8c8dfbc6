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

// Rows of A are summed in slices of this many, in order (long enough to amortize the C tile loads,
// short enough that a row block of a slice stays in L2): a sum over row panels whose boundaries are
// multiples of it (gram_lower_add per panel) is gram_lower's to the bit.
inline constexpr int64_t kGramDepth = 256;

// The view with rows and columns swapped when it is wide: A, whose Gram A^T A gram_lower computes.
MatrixView tall_side(const MatrixView& w);

// x += A^T A, lower triangle, for A = the view as it is (a.rows x a.cols, not reoriented): one row
// panel of a matrix too large to hold whole (analysis/streamed_layer.h). Progress (util/progress.h)
// counts the panel as rows [rows_before, rows_before + a.rows) of rows_total (0: a.rows).
void gram_lower_add(const MatrixView& a, double* x, int64_t ldx, ThreadPool& pool, int64_t rows_before = 0,
                    int64_t rows_total = 0);

}  // namespace ws::spectrum
