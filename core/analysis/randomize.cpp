#include "analysis/randomize.h"

#include <utility>

#include "spectrum/eigenvalues.h"

namespace ws {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<double> shuffled_eigenvalues(const std::vector<MatrixView>& mats, uint64_t seed, ThreadPool& pool) {
  // Each matrix is decoded (scaling included) into its own F64 buffer and shuffled in place.
  std::vector<std::vector<double>> buffers;
  std::vector<MatrixView> views;
  buffers.reserve(mats.size());
  uint64_t state = seed;
  for (const MatrixView& m : mats) {
    std::vector<double> b(static_cast<size_t>(m.rows * m.cols));
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c) b[static_cast<size_t>(r * m.cols + c)] = m.at(r, c);
    for (size_t i = b.size(); i > 1; --i) std::swap(b[i - 1], b[splitmix64(state) % i]);
    buffers.push_back(std::move(b));
    MatrixView v;
    v.data = reinterpret_cast<const uint8_t*>(buffers.back().data());
    v.dtype = Dtype::F64;
    v.rows = m.rows;
    v.cols = m.cols;
    v.row_stride = m.cols;
    v.col_stride = 1;
    views.push_back(v);
  }
  return pooled_eigenvalues(views, pool);
}

}  // namespace ws
