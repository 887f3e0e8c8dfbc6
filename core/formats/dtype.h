#pragma once
// Element types of safetensors / npy tensors and their conversion to float.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ws {

enum class Dtype {
  BOOL, U8, I8, I16, U16, I32, U32, I64, U64,
  F16, BF16, F32, F64, F8_E4M3, F8_E5M2,
  F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2, C64
};

std::optional<Dtype> parse_dtype(std::string_view name);  // safetensors spelling
const char* dtype_name(Dtype d);
int dtype_bits(Dtype d);
// F64, F32, F16, BF16, F8_E4M3, F8_E5M2: the types the analyzer decodes.
bool dtype_is_analyzable(Dtype d);

// Element i of a little-endian buffer as double. For F16/BF16/F8 the value is exact
// (they widen to float32 without rounding, as the reference tool's torch .float() does).
double decode_element(const uint8_t* data, Dtype d, size_t i);
// Element i as float32: exact for F32/F16/BF16/F8; F64 is rounded.
float decode_element_f32(const uint8_t* data, Dtype d, size_t i);

}  // namespace ws
