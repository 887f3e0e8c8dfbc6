// libFuzzer target over the GGUF reader: arbitrary bytes as a .gguf file, parsed and, when accepted,
// every decodable tensor read and dequantized. Every input must end in a result or ws::InputError;
// anything else (a crash, a sanitizer report, another exception type, a violated invariant) is a
// bug. Built with -DWS_FUZZ=ON by clang (tests/fuzz/CMakeLists.txt), run by tests/fuzz/run.sh on
// seeds from tests/data/fixtures/gguf; scripts/test does both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/gguf.h"
#include "io/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto src = ws::memory_source(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
    const ws::GgufFile f = ws::parse_gguf(*src);
    // What was accepted lies inside the file, aligned and in order, and decodes to its stated size.
    uint64_t end = f.data_offset;
    for (const ws::TensorInfo& t : f.tensors) {
      if (t.offset < end || (t.offset - f.data_offset) % f.alignment != 0) __builtin_trap();
      if (t.file_nbytes() > src->size() - t.offset) __builtin_trap();
      end = t.offset + t.file_nbytes();
      if (!t.stored_nbytes || !t.unsupported.empty()) continue;
      std::vector<uint8_t> out(static_cast<size_t>(t.nbytes));
      ws::read_ggml_blocks(*src, t, out.data());
    }
  } catch (const ws::InputError&) {
  }
  return 0;
}
