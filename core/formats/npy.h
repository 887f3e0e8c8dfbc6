#pragma once
// NumPy .npy (v1-v3): one 2-D float matrix (little-endian f2/f4/f8, C or Fortran order).
#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

// Fortran order is returned as the C-order transpose (shape reversed): same singular values.
// Big-endian data is rejected with a clear message. Throws InputError.
TensorInfo parse_npy(ByteSource& src, size_t source_index = 0);

}  // namespace ws
