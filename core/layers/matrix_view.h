#pragma once
// A strided 2-D view into a tensor's raw bytes, converted element by element: the spectrum engine
// reads F32/BF16/F16/F8/F64 tiles straight from the stored dtype without a full decoded copy.
#include <cstdint>
#include <vector>

#include "formats/dtype.h"
#include "formats/tensor_info.h"
#include "layers/layer_plan.h"

namespace ws {

struct MatrixView {
  const uint8_t* data = nullptr;
  Dtype dtype = Dtype::F32;
  int64_t rows = 0, cols = 0;
  int64_t row_stride = 0, col_stride = 1;  // in elements
  // Conv scaling, applied in float32 to the float32 value (w32 * float32(s)) exactly as the
  // reference does before its float64 SVD; 1 means none. For F64 data it is applied in double.
  float scale = 1.0f;

  double at(int64_t r, int64_t c) const {
    const size_t i = static_cast<size_t>(r * row_stride + c * col_stride);
    if (dtype == Dtype::F64) return decode_element(data, dtype, i) * static_cast<double>(scale);
    if (scale == 1.0f) return decode_element(data, dtype, i);
    return static_cast<double>(decode_element_f32(data, dtype, i) * scale);
  }
};

// The matrices of one planned layer over its raw bytes: one for dense, kh*kw slices
// W[:, :, i, j] (OIHW) for conv2d, scaled by sqrt(1/2) when conv2d_norm is on.
std::vector<MatrixView> layer_matrices(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                                       const LayerOptions& opt);

}  // namespace ws
