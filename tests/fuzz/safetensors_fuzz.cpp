// libFuzzer target over the input-format parsers: arbitrary bytes as a safetensors file, a .npy file
// and a shard index. Every input must end in a result or ws::InputError; anything else (a crash,
// a sanitizer report, another exception type) is a bug. Built with -DWS_FUZZ=ON by clang (see
// tests/fuzz/CMakeLists.txt) and run on a seed corpus from tests/data by tests/fuzz/run.sh;
// scripts/test does both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/npy.h"
#include "formats/safetensors.h"
#include "formats/strict_json.h"
#include "io/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  try {
    auto src = ws::memory_source(bytes, "fuzz.safetensors");
    const ws::SafetensorsFile f = ws::parse_safetensors(*src);
    // Whatever was accepted must lie inside the file, contiguously.
    uint64_t pos = 8 + f.header_size;
    for (const ws::TensorInfo& t : f.tensors) {
      if (t.offset != pos || t.nbytes > src->size() - pos) __builtin_trap();
      pos += t.nbytes;
    }
    if (pos != src->size()) __builtin_trap();
  } catch (const ws::InputError&) {
  }
  try {
    auto src = ws::memory_source(bytes, "fuzz.npy");
    const ws::TensorInfo t = ws::parse_npy(*src);
    if (t.offset + t.nbytes != src->size()) __builtin_trap();
  } catch (const ws::InputError&) {
  }
  try {
    ws::parse_json_strict(std::string(bytes.begin(), bytes.end()), "fuzz.index.json");
  } catch (const ws::InputError&) {
  }
  return 0;
}
