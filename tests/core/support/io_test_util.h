#pragma once
// Shared by the byte-source tests: a recognizable byte pattern and a read into a fresh buffer.
#include <cstdint>
#include <vector>

#include "io/byte_source.h"

namespace wstest {

// Byte i is i * 7 + 3 (mod 256): offsets show in the values.
inline std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

// n bytes at offset; the buffer starts as 0xEE so bytes a read leaves untouched show.
inline std::vector<uint8_t> read(ws::ByteSource& src, uint64_t offset, size_t n) {
  std::vector<uint8_t> out(n, 0xEE);
  src.read(offset, out.data(), n);
  return out;
}

}  // namespace wstest
