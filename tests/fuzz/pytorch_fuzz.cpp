// libFuzzer target over the PyTorch reader: arbitrary bytes as a torch.save file (zip or legacy),
// as a zip directory alone, and as a run of pickles for the restricted unpickler alone. Every
// input must end in a result or ws::InputError; anything else (a crash, a hang, a sanitizer report,
// another exception type, a tensor or entry outside the input) is a bug. Built with -DWS_FUZZ=ON by
// clang (tests/fuzz/CMakeLists.txt), run by tests/fuzz/run.sh on seeds from
// tests/data/fixtures/pytorch; scripts/test does both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/pickle.h"
#include "formats/pytorch.h"
#include "formats/zip_reader.h"
#include "io/byte_cursor.h"
#include "io/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto src = ws::memory_source(std::vector<uint8_t>(data, data + size), "fuzz.pt");
  try {
    const ws::PytorchFile f = ws::parse_pytorch(*src);
    for (const ws::TensorInfo& t : f.tensors)
      if (t.unsupported.empty() && (t.offset > size || t.nbytes > size - t.offset)) __builtin_trap();
  } catch (const ws::InputError&) {
  }
  try {
    for (const ws::ZipEntry& e : ws::read_zip_directory(*src))
      if (e.data_offset > size || e.size > size - e.data_offset) __builtin_trap();
  } catch (const ws::InputError&) {
  }
  // One pickle after another, as the legacy format lays them out; each consumes at least a byte.
  try {
    ws::ByteCursor c(*src, 0, size);
    while (c.remaining() > 0) ws::pickle::unpickle(c, "fuzz.pt", "the input");
  } catch (const ws::InputError&) {
  }
  return 0;
}
