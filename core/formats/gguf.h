#pragma once
// GGUF v2/v3 (ggml/docs/gguf.md), validated by the rules of ggml's own reader (ggml/src/gguf.cpp):
// magic, version, unique keys (non-empty) and tensor names, known value and tensor types,
// general.alignment a uint32 power of 2, at most 4 dims, rows of whole blocks, tensors packed in
// info order at aligned offsets inside the file. Beyond it: every count and length is bounded by
// the bytes left in the file first, so a hostile header can neither allocate nor loop beyond its
// own size; keys and tensor names must be UTF-8 (they go into JSON); empty tensors are refused.
// Unlike it: nested arrays (the spec allows them) and names longer than 63 bytes are read. Reads
// the header only; tensor bytes are read one tensor at a time (read_tensor, read_ggml_blocks).
//
// Shapes: GGUF stores ne[] with ne[0] the fastest-varying dimension; TensorInfo::shape is ne
// reversed, the row-major shape, so a PyTorch [out, in] weight (ne = [in, out]) comes back as
// [out, in] and analyzes as its safetensors original does.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

struct GgufFile {
  uint32_t version = 0;
  uint32_t alignment = 32;   // general.alignment, or ggml's default (GGUF_DEFAULT_ALIGNMENT)
  uint64_t data_offset = 0;  // absolute byte where the tensor data section starts
  std::vector<TensorInfo> tensors;  // in tensor-info order, which ggml requires to be data order
  // Every key/value as text: numbers in their shortest exact form, strings as they are (up to 64 KiB),
  // short arrays as a list, longer ones as "(N <type> values)".
  std::map<std::string, std::string> metadata;
};

// The file starts with the magic bytes "GGUF".
bool has_gguf_magic(ByteSource& src);

// Throws InputError("<file>: byte <offset>: <what>" or "<file>: tensor '<name>': <what>").
GgufFile parse_gguf(ByteSource& src, size_t source_index = 0);

// A GGUF model: one file, or all parts of a split model (llama.cpp's gguf-split writes
// name-00001-of-0000N.gguf, each with split.no / split.count), given in name order. The first
// file's key/values win (gguf-split keeps them all in part 1).
struct GgufModel {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};
GgufModel open_gguf(const std::vector<std::unique_ptr<ByteSource>>& sources);

// Reads a tensor stored as ggml blocks (t.stored_nbytes at t.offset) and dequantizes it into
// `out`, t.nbytes bytes of float32 (aligned for float), a bounded chunk of blocks at a time.
void read_ggml_blocks(ByteSource& src, const TensorInfo& t, uint8_t* out);

}  // namespace ws
