#pragma once
// A model = one or more files (safetensors shards, optional model.safetensors.index.json; one GGUF
// file or the parts of a split one; PyTorch files (.pt, .pth, .bin: one, or pytorch_model-0000N-of-0000M.bin
// shards with pytorch_model.bin.index.json); one .onnx with its external data files; or one .npy).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

struct ModelInput {
  std::string format;  // "safetensors", "gguf", "pytorch", "onnx" or "npy"
  std::vector<std::unique_ptr<ByteSource>> sources;
  std::vector<TensorInfo> tensors;  // analysis order
  std::map<std::string, std::string> metadata;  // merged __metadata__ of the shards
  uint64_t total_bytes = 0;                    // sum of source sizes
  // A PEFT LoRA adapter: the text of its adapter_config.json, a source of that name given with the
  // weights (analysis/lora_analysis.h). Unset for other models.
  std::optional<std::string> adapter_config;
};

// Sources already opened (native files or browser Files). A source named adapter_config.json is not a
// model file: its text becomes adapter_config (the model is a PEFT LoRA adapter). index_json, if given, is the content
// of model.safetensors.index.json (or pytorch_model.bin.index.json): its weight_map orders tensors and must name
// only given shards. Without it, shards are taken in name order, tensors in file order.
// PyTorch files beside safetensors files, and PyTorch files beside pytorch_model* ones
// (training_args.bin, optimizer.pt), are left out: a Hugging Face folder holds them.
ModelInput open_model(std::vector<std::unique_ptr<ByteSource>> sources,
                      const std::optional<std::string>& index_json = std::nullopt);

// Native: paths may be files or folders (a folder holding adapter_config.json is a LoRA adapter: the
// config goes to adapter_config, and so does a path named adapter_config.json; a folder contributes its *.safetensors and index, else its
// *.gguf: one, or the parts of a split model, else its one .onnx, else its one .npy, else its PyTorch
// files and *.bin.index.json). An .onnx model's external
// data files are taken from the given files, else from the model's folder.
ModelInput open_model_paths(const std::vector<std::string>& paths);

// Reads one tensor's bytes. Throws std::bad_alloc when they do not fit in memory.
std::vector<uint8_t> read_tensor(ModelInput& model, const TensorInfo& t);

// Reads n of a tensor's bytes from byte `at` of its elements, for a tensor stored as its elements
// (not GGUF blocks or ONNX typed fields): a panel of a tensor too large to read whole.
void read_tensor_bytes(ModelInput& model, const TensorInfo& t, uint64_t at, void* dst, size_t n);

}  // namespace ws
