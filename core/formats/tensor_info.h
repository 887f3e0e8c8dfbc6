#pragma once
#include <cstdint>
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
  uint64_t nbytes = 0;
  size_t source_index = 0;
};

}  // namespace ws
