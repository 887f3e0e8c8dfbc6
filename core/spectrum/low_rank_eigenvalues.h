#pragma once
// The nonzero eigenvalues of dW^T dW for a low-rank update dW = s B A (a LoRA module: B [out, r],
// A [r, in]) from r x r matrices, never forming the out x in product (docs/methods.md, "LoRA adapters").
#include <vector>

#include "layers/matrix_view.h"

namespace ws {

// With G = A A^T = L L^T (Cholesky) and H = B^T B, the nonzero eigenvalues of (s B A)^T (s B A)
// are those of the symmetric r x r matrix s^2 L^T H L (same nonzero eigenvalues as
// s^2 H G = s^2 (B^T B)(A A^T)). When A has dependent rows G has no Cholesky factor; then
// G = V D V^T and the core is s^2 D^1/2 V^T H V D^1/2. All in float64, elements converted as
// MatrixView::at does. Returns the min(r, in, out) largest, ascending; rounding's tiny negatives
// become 0. Precondition: a.rows == b.cols (= r).
std::vector<double> low_rank_eigenvalues(const MatrixView& b, const MatrixView& a, double scaling);

}  // namespace ws
