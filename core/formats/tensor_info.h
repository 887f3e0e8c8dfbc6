#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/dtype.h"

namespace ws {

// Where one tensor's bytes are: source_index names the ByteSource (shard) holding it.
struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<uint64_t> shape;
  uint64_t offset = 0;  // absolute byte offset in its source
  uint64_t nbytes = 0;  // bytes read_tensor returns: the dtype elements
  size_t source_index = 0;
  // Formats with their own type names (GGUF: the ggml type, "Q4_K", "F16", ...): the tensor's, shown
  // as the layer's quant_type and the skipped entry's dtype. "" for safetensors and .npy.
  std::string storage;
  // Stored as blocks that read_tensor decodes to `dtype` (GGUF's quantized types, to F32): their
  // bytes at offset. 0 when the bytes at offset are the dtype elements themselves.
  uint64_t stored_nbytes = 0;
  // Set when the reader cannot hand out the values (ggml's IQ2_XXS; a strided PyTorch view): why.
  // The tensor is skipped.
  std::string unsupported;
  // A .npy array in Fortran order: the bytes are the C-order transpose of the stored array, and
  // shape is that transpose's (same singular values; the latent export transposes back).
  bool transposed = false;
  // Set by formats whose graph says which tensors are layer weights (ONNX: the op that consumes the
  // tensor, formats/onnx.h); unset, the name decides (the state-dict "*.weight" rule, layers/).
  std::optional<bool> is_weight;
  // ONNX: how read_tensor decodes the stored bytes (OnnxEncoding bits, formats/onnx.h); 0: they are
  // the elements themselves.
  uint8_t onnx_encoding = 0;

  // Bytes the tensor takes in its file (what progress counts).
  uint64_t file_nbytes() const { return stored_nbytes ? stored_nbytes : nbytes; }
};

}  // namespace ws
