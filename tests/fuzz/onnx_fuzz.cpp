// libFuzzer target over the ONNX reader: arbitrary bytes as an .onnx file, whose external data
// files (any location it names) are the same bytes again, opened and, when accepted, every tensor
// read (typed fields decoded, [in, out] weights transposed). Every input must end in a result or
// ws::InputError; anything else (a crash, a sanitizer report, another exception type, a violated
// invariant) is a bug. Built with -DWS_FUZZ=ON by clang (tests/fuzz/CMakeLists.txt), run by
// tests/fuzz/run.sh on the kept seeds of tests/data/fuzz/onnx; scripts/test does both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/onnx.h"
#include "io/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    ws::OnnxModel m = ws::open_onnx(ws::memory_source(bytes, "fuzz.onnx"),
                                    [&](const std::string&) { return ws::memory_source(bytes, "fuzz.onnx.data"); });
    for (const ws::TensorInfo& t : m.tensors) {
      // What was accepted lies inside its file; a tensor's bytes are bounded by the file's.
      if (t.source_index >= m.sources.size()) __builtin_trap();
      ws::ByteSource& src = *m.sources[t.source_index];
      if (!t.unsupported.empty()) continue;
      if (t.offset > src.size() || t.file_nbytes() > src.size() - t.offset) __builtin_trap();
      if (t.nbytes > 8 * size) __builtin_trap();
      if ((t.onnx_encoding & ws::kOnnxTransposed) && t.shape.size() != 2) __builtin_trap();
      std::vector<uint8_t> out(static_cast<size_t>(t.nbytes));
      if (t.onnx_encoding) ws::read_onnx_tensor(src, t, out.data());
      else src.read(t.offset, out.data(), out.size());
    }
  } catch (const ws::InputError&) {
  }
  return 0;
}
