#pragma once
// Eigenvalues of the element-shuffled matrices of a layer: the reference's randomize=True baseline,
// but seeded (splitmix64 Fisher-Yates, identical natively and in wasm) so reports are reproducible.
#include <cstdint>
#include <vector>

#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws {

std::vector<double> shuffled_eigenvalues(const std::vector<MatrixView>& mats, uint64_t seed, ThreadPool& pool);

}  // namespace ws
