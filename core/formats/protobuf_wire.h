#pragma once
// The protobuf wire format (tag = field number << 3 | wire type; varints; length-delimited payloads;
// fixed 32/64-bit values), read field by field from a ByteSource, so the ONNX reader (onnx.h) can
// walk a ModelProto in one forward pass and keep tensor bytes where they are, as offsets.
//
// Why not a protobuf runtime: libprotobuf(-lite) plus the code generated from onnx.proto would add
// several hundred KB to the wasm module for the handful of fields a weight reader needs, and it
// parses a message whole into memory, copying every raw_data; a 2 GB model would have to fit in
// wasm memory. The ONNX schema is stable (fields are added, never renumbered), so the few field
// numbers read here stay valid, and fields we do not know are skipped by their wire type, as
// protobuf itself does.
#include <cstdint>
#include <string>

#include "io/byte_cursor.h"
#include "io/input_error.h"

namespace ws {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 };

const char* wire_type_name(WireType t);

struct WireField {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t at = 0;      // absolute offset of the field's tag
  uint64_t value = 0;   // Varint: the value; Fixed32/Fixed64: the bits
  uint64_t offset = 0;  // Len: absolute offset of the payload
  uint64_t length = 0;  // Len: payload bytes
  uint64_t end() const { return offset + length; }
};

// One buffered cursor over the source (or a range of it: one message, read again later). A nested message is walked by calling next() with the
// message's end (field.end()), so nesting costs no extra reads. Every length is checked against the
// end of the enclosing message, itself inside the source, before it is used; a truncated or
// malformed field is an InputError "<file>: byte <offset>: <where>: <what>".
class WireReader {
 public:
  explicit WireReader(ByteSource& src, uint64_t begin = 0, uint64_t end = UINT64_MAX);

  uint64_t pos() const { return cursor_.pos(); }
  uint64_t size() const { return size_; }

  // Reads the next field's tag and its value or payload length; false when pos() reached `end`.
  // A Len payload is not consumed: walk it (next() with f.end()), read it (bytes()) or skip() it.
  bool next(uint64_t end, WireField& f, const std::string& where);
  void skip(const WireField& f);
  std::string bytes(const WireField& f);  // the caller bounds f.length first
  // One varint before `end` (the elements of a packed repeated field).
  uint64_t varint(uint64_t end, const std::string& where);
  // One little-endian fixed value of `bytes` (4 or 8) before `end`.
  uint64_t fixed(uint64_t end, int bytes, const std::string& where);

  InputError error(uint64_t at, const std::string& what) const;

 private:
  std::string name_;
  uint64_t size_;
  ByteCursor cursor_;
};

}  // namespace ws
