#pragma once
// Where the kh*kw slices of a 4-D conv weight are. The reference tool (WWLayer.conv2D_Wmats)
// guesses the layout from the shape alone: PyTorch OIHW [O, I, kh, kw] when O + I >= kh + kw,
// otherwise Keras HWIO [kh, kw, I, O]. We follow the same rule so tiny convs slice identically.
#include <cstdint>
#include <vector>

namespace ws {

struct ConvLayout {
  bool channels_last_dims = true;  // true: OIHW, slices W[:, :, i, j]; false: HWIO, slices W[i, j, :, :]
  uint64_t rows = 0, cols = 0;     // shape of one slice, as stored
  uint64_t slices_i = 0, slices_j = 0;
};

// shape must have 4 dims.
inline ConvLayout conv_layout(const std::vector<uint64_t>& shape) {
  ConvLayout c;
  c.channels_last_dims = shape[0] + shape[1] >= shape[2] + shape[3];
  if (c.channels_last_dims) {
    c.rows = shape[0], c.cols = shape[1], c.slices_i = shape[2], c.slices_j = shape[3];
  } else {
    c.rows = shape[2], c.cols = shape[3], c.slices_i = shape[0], c.slices_j = shape[1];
  }
  return c;
}

}  // namespace ws
