#pragma once
// NumPy .npy (v1-v3): one 2-D float matrix (little-endian f2/f4/f8, C or Fortran order).
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

// Fortran order is returned as the C-order transpose (shape reversed): same singular values.
// Big-endian data is rejected with a clear message. Throws InputError.
TensorInfo parse_npy(ByteSource& src, size_t source_index = 0);

// A .npy file (format 1.0, 2.0 for huge headers) holding a rows x cols float64 matrix in C order;
// values row-major. What numpy.save writes for such an array.
std::string npy_float64(const std::vector<double>& values, uint64_t rows, uint64_t cols);

}  // namespace ws
