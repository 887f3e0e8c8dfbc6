#pragma once
// ONNX models (onnx/onnx.proto, a protobuf ModelProto), read lazily: one forward walk of the
// message through the wire-format reader (protobuf_wire.h; why no protobuf runtime is said there)
// finds every tensor of graph.initializer and of the graph's Constant nodes (attribute "value" of
// type TENSOR, named by the node's output) and records where its bytes are, copying none of them:
// raw_data as an offset into the file; the typed fields (float_data, double_data, int32_data, ...)
// as offsets too, decoded when the tensor is read (FLOAT16/BFLOAT16 in int32_data take one varint
// per element); external data (data_location EXTERNAL) as an offset into another file, given with
// the model and found by the name its external_data "location" says.
//
// Which tensors are layers comes from the graph, not from the names (ONNX names are the exporter's:
// paddle2onnx writes "conv2d_0.w_0", torch.onnx "layer1.0.conv1.weight" or "onnx::MatMul_123"): a
// tensor is a layer weight when a Conv takes it as its W input (OIHW, a conv2d as in PyTorch) or a
// Gemm or MatMul as its B input (dense). TensorInfo::is_weight says so; the planner (layers/) then
// applies the usual shape rules and gates. A Gemm B with transB = 0 and a MatMul B are stored
// [in, out]; they are handed out transposed, as [out, in], so they analyze like the PyTorch
// original (same eigenvectors, same shape). Weights inside subgraphs (If / Loop bodies) and sparse
// initializers are not read.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

// Bits of TensorInfo::onnx_encoding: how read_onnx_tensor gets a tensor's elements.
enum OnnxEncoding : uint8_t {
  // The elements are in a typed field of the TensorProto at [offset, offset + stored_nbytes)
  // (int32_data, int64_data, uint64_data, or float_data / double_data not stored as one packed
  // run), decoded on read. Without this bit the bytes at offset are the elements.
  kOnnxTypedData = 1,
  // A MatMul / Gemm B weight stored [in, out]: read, then transposed to its shape [out, in].
  kOnnxTransposed = 2,
};

// Gives the file an external-data location names (a relative path without ".."), or nullptr.
using FindExternalFile = std::function<std::unique_ptr<ByteSource>(const std::string& location)>;

struct OnnxModel {
  std::vector<std::unique_ptr<ByteSource>> sources;  // the model, then the external data files it uses
  std::vector<TensorInfo> tensors;                    // in file order; source_index into sources
  // onnx.ir_version, onnx.producer, onnx.opset_import, onnx.initializers, onnx.constant_nodes, and the
  // model's metadata_props as they are.
  std::map<std::string, std::string> metadata;
};

// Throws InputError("<file>: byte <offset>: <what>" or "<file>: tensor '<name>': <what>") for a file
// that is not a ModelProto, is truncated or malformed, or uses an external file `find` does not have.
// A tensor of a data type that is not read (STRING, 4-bit, complex128, unknown) is listed with
// `unsupported` set, so a weight of that type is skipped with the reason.
OnnxModel open_onnx(std::unique_ptr<ByteSource> model, const FindExternalFile& find);

// Reads a tensor with t.onnx_encoding set into `out` (t.nbytes bytes); `src` is the file at
// t.source_index.
void read_onnx_tensor(ByteSource& src, const TensorInfo& t, uint8_t* out);

}  // namespace ws
