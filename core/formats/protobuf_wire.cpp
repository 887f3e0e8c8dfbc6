#include "formats/protobuf_wire.h"

#include <stdexcept>

namespace ws {

namespace {
constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;  // protobuf's largest field number
constexpr int kMaxVarintBytes = 10;                   // 64 bits in 7-bit groups
}  // namespace

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::Varint: return "varint";
    case WireType::Fixed64: return "64-bit";
    case WireType::Len: return "length-delimited";
    case WireType::Fixed32: return "32-bit";
  }
  return "?";
}

WireReader::WireReader(ByteSource& src, uint64_t begin, uint64_t end)
    : name_(src.name()), size_(src.size()), cursor_(src, begin, end) {}

InputError WireReader::error(uint64_t at, const std::string& what) const {
  return InputError(name_ + ": byte " + std::to_string(at) + ": " + what);
}

uint64_t WireReader::varint(uint64_t end, const std::string& where) {
  const uint64_t at = pos();
  uint64_t v = 0;
  for (int i = 0;; ++i) {
    if (pos() >= end)
      throw error(at, where + ": truncated varint (its message ends at byte " + std::to_string(end) +
                          (end == size_ ? ", the end of the file" : "") + ")");
    const uint8_t b = cursor_.byte();
    // The 10th byte holds bit 63 only: more (a value bit or an 11th byte) does not fit in 64 bits.
    if (i == kMaxVarintBytes - 1 && b > 1) throw error(at, where + ": malformed varint (longer than 64 bits)");
    v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) return v;
  }
}

uint64_t WireReader::fixed(uint64_t end, int bytes, const std::string& where) {
  if (end - pos() < static_cast<uint64_t>(bytes))
    throw error(pos(), where + ": truncated " + std::to_string(8 * bytes) + "-bit value (its message ends at byte " +
                           std::to_string(end) + ")");
  return cursor_.le(bytes);
}

bool WireReader::next(uint64_t end, WireField& f, const std::string& where) {
  if (pos() > end) throw std::logic_error("WireReader: walked past the end of a message");
  if (pos() == end) return false;
  f = WireField{};
  f.at = pos();
  const uint64_t tag = varint(end, where + ": field tag");
  const uint64_t number = tag >> 3;
  const unsigned type = static_cast<unsigned>(tag & 7);
  if (number == 0 || number > kMaxFieldNumber)
    throw error(f.at, where + ": invalid field number " + std::to_string(number) + " (tag " + std::to_string(tag) + ")");
  f.number = static_cast<uint32_t>(number);
  const std::string field = where + " field " + std::to_string(number);
  switch (type) {
    case 0:
      f.type = WireType::Varint;
      f.value = varint(end, field);
      return true;
    case 1:
      f.type = WireType::Fixed64;
      f.value = fixed(end, 8, field);
      return true;
    case 5:
      f.type = WireType::Fixed32;
      f.value = fixed(end, 4, field);
      return true;
    case 2: {
      f.type = WireType::Len;
      f.length = varint(end, field + ": length");
      f.offset = pos();
      if (f.length > end - pos())
        throw error(f.at, field + ": length " + std::to_string(f.length) + " runs past the end of " +
                              (end == size_ ? "the file (" + std::to_string(size_) + " bytes; truncated?)"
                                            : "its message (byte " + std::to_string(end) + ")"));
      return true;
    }
    case 3:
    case 4:
      throw error(f.at, field + ": wire type " + std::to_string(type) + " (group), which ONNX does not use");
    default:
      throw error(f.at, field + ": invalid wire type " + std::to_string(type));
  }
}

void WireReader::skip(const WireField& f) {
  if (f.type == WireType::Len) cursor_.skip(f.length);
}

std::string WireReader::bytes(const WireField& f) {
  return cursor_.string(static_cast<size_t>(f.length));
}

}  // namespace ws
