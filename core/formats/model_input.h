#pragma once
// A model = one or more files (safetensors shards, optional model.safetensors.index.json, or one .npy).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

struct ModelInput {
  std::string format;  // "safetensors" or "npy"
  std::vector<std::unique_ptr<ByteSource>> sources;
  std::vector<TensorInfo> tensors;  // analysis order
  std::map<std::string, std::string> metadata;  // merged __metadata__ of the shards
  uint64_t total_bytes = 0;                    // sum of source sizes
};

// Sources already opened (native files or browser Files). index_json, if given, is the
// content of model.safetensors.index.json: its weight_map orders tensors and must name
// only given shards. Without it, shards are taken in name order, tensors in file order.
ModelInput open_model(std::vector<std::unique_ptr<ByteSource>> sources,
                      const std::optional<std::string>& index_json = std::nullopt);

// Native: paths may be files or folders (a folder contributes its *.safetensors and index).
ModelInput open_model_paths(const std::vector<std::string>& paths);

// Reads one tensor's bytes.
std::vector<uint8_t> read_tensor(ModelInput& model, const TensorInfo& t);

}  // namespace ws
