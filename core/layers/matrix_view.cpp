#include "layers/matrix_view.h"

#include <cmath>
#include <stdexcept>

#include "io/input_error.h"
#include "layers/conv_layout.h"

namespace ws {
namespace {

// Views index raw bytes, so the buffer must hold every element the shape promises.
void check_size(const TensorInfo& t, const LayerPlan& plan) {
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  if (bits % 8 != 0) throw std::logic_error("layer_matrices: dtype " + std::string(dtype_name(t.dtype)) +
                                            " is not byte-aligned; plan_layer should have skipped it");
  uint64_t count = 1;
  for (uint64_t d : t.shape)
    if (__builtin_mul_overflow(count, d, &count)) throw InputError(t.name + ": shape overflows");
  uint64_t need = 0;
  if (__builtin_mul_overflow(count, bits / 8, &need) || need > t.nbytes)
    throw InputError(t.name + ": " + std::to_string(t.nbytes) + " bytes cannot hold its shape (" +
                     std::to_string(count) + " elements of " + dtype_name(t.dtype) + ")");
  const size_t want = plan.kind == LayerKind::Dense ? 2 : 4;
  if (t.shape.size() != want)
    throw std::logic_error("layer_matrices: " + t.name + " has " + std::to_string(t.shape.size()) +
                           " dims, its plan says " + plan.type);
}

}  // namespace

std::vector<MatrixView> layer_matrices(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                                       const LayerOptions& opt) {
  check_size(t, plan);
  const int64_t elem_bytes = dtype_bits(t.dtype) / 8;
  MatrixView base;
  base.dtype = t.dtype;
  std::vector<MatrixView> mats;

  if (plan.kind == LayerKind::Dense) {
    base.data = data;
    base.rows = static_cast<int64_t>(t.shape[0]);
    base.cols = static_cast<int64_t>(t.shape[1]);
    base.row_stride = base.cols;
    mats.push_back(base);
    return mats;
  }

  // Conv2d: one view per kernel position. The reference scales each slice by
  // sqrt(conv2d_count / 2) with conv2d_count = 1 when pooling: float32(sqrt(0.5)) applied to the
  // float32 weights (numpy keeps float32 for array * Python float), i.e. evals x ~1/2.
  if (opt.conv2d_norm) base.scale = static_cast<float>(std::sqrt(0.5));
  const ConvLayout c = conv_layout(t.shape);
  base.rows = static_cast<int64_t>(c.rows);
  base.cols = static_cast<int64_t>(c.cols);
  const int64_t ni = static_cast<int64_t>(c.slices_i), nj = static_cast<int64_t>(c.slices_j);
  if (c.channels_last_dims) {  // OIHW: W[:, :, i, j]
    base.row_stride = base.cols * ni * nj;
    base.col_stride = ni * nj;
  } else {  // HWIO: W[i, j, :, :], contiguous
    base.row_stride = base.cols;
    base.col_stride = 1;
  }
  for (int64_t i = 0; i < ni; ++i) {
    for (int64_t j = 0; j < nj; ++j) {
      const int64_t first = c.channels_last_dims ? i * nj + j : (i * nj + j) * base.rows * base.cols;
      MatrixView v = base;
      v.data = data + first * elem_bytes;
      mats.push_back(v);
    }
  }
  return mats;
}

}  // namespace ws
