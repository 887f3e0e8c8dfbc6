#pragma once
// Sequential reads over a range of a ByteSource, through a small buffer: parsers that walk a
// structure byte by byte (a pickle, a zip central directory) read it in 64 KiB pieces instead of
// one ByteSource call per field (each is a File.slice read in the browser), and never hold more
// than the buffer. Callers check `remaining()` before reading; reading past the range is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/byte_source.h"

namespace ws {

class ByteCursor {
 public:
  // Reads [begin, end) of src; end is clamped to src.size().
  ByteCursor(ByteSource& src, uint64_t begin, uint64_t end);

  uint64_t pos() const { return pos_; }  // absolute offset in the source
  uint64_t begin() const { return begin_; }
  uint64_t remaining() const { return end_ - pos_; }

  uint8_t byte() {
    if (pos_ >= buf_end_) fill(1);
    return buf_[static_cast<size_t>(pos_++ - buf_start_)];
  }
  void read(void* dst, size_t n);
  std::string string(size_t n);
  void skip(uint64_t n);
  // Little-endian unsigned integer of `bytes` bytes (1..8).
  uint64_t le(int bytes);

 private:
  void fill(size_t need);

  ByteSource& src_;
  uint64_t begin_, end_, pos_;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0, buf_end_ = 0;  // absolute range held in buf_
};

}  // namespace ws
