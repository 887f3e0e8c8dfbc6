#include "io/byte_cursor.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ws {

namespace {
constexpr size_t kChunk = 64 * 1024;
}

ByteCursor::ByteCursor(ByteSource& src, uint64_t begin, uint64_t end)
    : src_(src), begin_(begin), end_(std::min(end, src.size())), pos_(std::min(begin, end_)) {
  begin_ = pos_;
}

void ByteCursor::fill(size_t need) {
  if (need > remaining()) throw std::logic_error("ByteCursor: read past the end of its range");
  const size_t n = static_cast<size_t>(std::min<uint64_t>(std::max(need, kChunk), remaining()));
  buf_.resize(n);
  src_.read(pos_, buf_.data(), n);
  buf_start_ = pos_;
  buf_end_ = pos_ + n;
}

void ByteCursor::read(void* dst, size_t n) {
  if (n > remaining()) throw std::logic_error("ByteCursor: read past the end of its range");
  auto* out = static_cast<uint8_t*>(dst);
  while (n > 0) {
    if (pos_ >= buf_end_) fill(std::min(n, kChunk));
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, buf_end_ - pos_));
    std::memcpy(out, buf_.data() + (pos_ - buf_start_), take);
    out += take;
    pos_ += take;
    n -= take;
  }
}

std::string ByteCursor::string(size_t n) {
  std::string s(n, '\0');
  read(s.data(), n);
  return s;
}

void ByteCursor::skip(uint64_t n) {
  if (n > remaining()) throw std::logic_error("ByteCursor: skip past the end of its range");
  pos_ += n;
}

uint64_t ByteCursor::le(int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(byte()) << (8 * i);
  return v;
}

}  // namespace ws
