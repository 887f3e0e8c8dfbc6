#pragma once
// safetensors header parsing with the reference reader's validation (docs/methods.md, "safetensors validation")
// plus duplicate names, JSON depth, and non-string metadata. Reads only the header bytes.
#include <map>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;  // reference MAX_HEADER_SIZE

struct SafetensorsFile {
  std::vector<TensorInfo> tensors;  // in data-offset order (= the writer's order)
  std::map<std::string, std::string> metadata;
  uint64_t header_size = 0;
};

// Throws InputError("<file>: byte <offset>: <what>") on any malformed input.
SafetensorsFile parse_safetensors(ByteSource& src, size_t source_index = 0);

}  // namespace ws
