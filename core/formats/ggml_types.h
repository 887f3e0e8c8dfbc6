#pragma once
// ggml's tensor types as GGUF files name them by id (ggml/include/ggml.h `enum ggml_type`), with
// their block sizes (gguf-py's GGML_QUANT_SIZES) and how this reader turns them into numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/dtype.h"
#include "formats/ggml_dequant.h"

namespace ws {

struct GgmlType {
  uint32_t id;
  const char* name;      // gguf-py's spelling: "F16", "Q4_K", "IQ2_XXS"
  uint32_t block_elems;  // elements per block (1 for the element types)
  uint32_t block_bytes;
  std::optional<Dtype> plain;      // stored element by element as this dtype (F32, F16, BF16, F64, I8..I64)
  DequantizeFn dequantize = nullptr;  // a block type dequantized to F32 here
};

// The type with this id, or nullptr for an id ggml does not define.
const GgmlType* find_ggml_type(uint32_t id);
// The type named so (a TensorInfo::storage), or nullptr.
const GgmlType* find_ggml_type(std::string_view name);
// For an id ggml used once and removed (Q4_2, Q4_0_4_4, ...): its old name; else nullptr.
const char* removed_ggml_type(uint32_t id);
// "F32, F16, ..., Q6_K": the types this reader decodes, for messages about the others.
std::string decoded_ggml_types();

}  // namespace ws
