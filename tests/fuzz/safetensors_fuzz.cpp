// libFuzzer target over the input-format parsers: arbitrary bytes as a safetensors file, a .npy file
// and a shard index. Every input must end in a result or ws::InputError; anything else (a crash,
// a sanitizer report, another exception type) is a bug. Not part of the CMake build. From the repo root:
//   clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Icore \
//     tests/fuzz/safetensors_fuzz.cpp core/formats/{dtype,safetensors,npy,utf8,strict_json}.cpp \
//     core/io/memory_source.cpp -o /tmp/safetensors_fuzz
//   /tmp/safetensors_fuzz -max_total_time=60 -max_len=4096 -rss_limit_mb=2048 /tmp/fuzz_corpus
// (seed the corpus folder with small safetensors files, e.g. headers cut from the fixtures).
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
