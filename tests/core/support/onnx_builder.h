#pragma once
// Writes protobuf messages byte by byte (tag, varint, length-delimited, fixed32/64) and the ONNX
// messages the tests need (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto) with the
// field numbers of onnx/onnx.proto, so each test states exactly which bytes a reader gets.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace wstest {

inline void put_varint(std::vector<uint8_t>& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
}

// One message's bytes, written field by field in call order.
struct Proto {
  std::vector<uint8_t> b;

  Proto& tag(uint32_t field, int wire_type) {
    put_varint(b, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
    return *this;
  }
  Proto& varint(uint32_t field, uint64_t v) {
    tag(field, 0);
    put_varint(b, v);
    return *this;
  }
  Proto& bytes(uint32_t field, const std::vector<uint8_t>& payload) {
    tag(field, 2);
    put_varint(b, payload.size());
    b.insert(b.end(), payload.begin(), payload.end());
    return *this;
  }
  Proto& str(uint32_t field, const std::string& s) { return bytes(field, std::vector<uint8_t>(s.begin(), s.end())); }
  Proto& msg(uint32_t field, const Proto& m) { return bytes(field, m.b); }
  Proto& fixed32(uint32_t field, uint32_t bits) {
    tag(field, 5);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  Proto& fixed64(uint32_t field, uint64_t bits) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
};

// A packed run of varints (int32_data, dims).
inline std::vector<uint8_t> packed_varints(const std::vector<uint64_t>& v) {
  std::vector<uint8_t> out;
  for (uint64_t x : v) put_varint(out, x);
  return out;
}

template <typename T>
inline std::vector<uint8_t> le_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

namespace onnx {

enum DataType : uint64_t { FLOAT = 1, INT8 = 3, INT64 = 7, STRING = 8, FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16, INT4 = 22 };

// TensorProto with name, data_type and dims (unpacked, as protobuf writes proto2 repeated int64).
inline Proto tensor(const std::string& name, uint64_t data_type, const std::vector<uint64_t>& dims) {
  Proto t;
  for (uint64_t d : dims) t.varint(1, d);
  t.varint(2, data_type);
  if (!name.empty()) t.str(8, name);
  return t;
}
inline Proto& raw_data(Proto& t, const std::vector<uint8_t>& bytes) { return t.bytes(9, bytes); }
inline Proto& external(Proto& t, const std::string& location, uint64_t offset, uint64_t length) {
  const auto entry = [](const std::string& k, const std::string& v) { return Proto().str(1, k).str(2, v); };
  t.msg(13, entry("location", location));
  t.msg(13, entry("offset", std::to_string(offset)));
  t.msg(13, entry("length", std::to_string(length)));
  return t.varint(14, 1);  // data_location EXTERNAL
}

inline Proto attr_tensor(const std::string& name, const Proto& t) { return Proto().str(1, name).msg(5, t).varint(20, 4); }
inline Proto attr_int(const std::string& name, uint64_t v) { return Proto().str(1, name).varint(3, v).varint(20, 2); }

inline Proto node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                  const std::vector<Proto>& attributes = {}) {
  Proto n;
  for (const auto& i : inputs) n.str(1, i);
  for (const auto& o : outputs) n.str(2, o);
  n.str(4, op);
  for (const auto& a : attributes) n.msg(5, a);
  return n;
}
inline Proto constant(const std::string& output, const Proto& value) {
  return node("Constant", {}, {output}, {attr_tensor("value", value)});
}

// graph: its nodes then its initializers (protobuf's field order).
inline Proto graph(const std::vector<Proto>& nodes, const std::vector<Proto>& initializers = {}) {
  Proto g;
  for (const auto& n : nodes) g.msg(1, n);
  g.str(2, "g");
  for (const auto& i : initializers) g.msg(5, i);
  return g;
}

// ir_version 8, producer "test 1", the graph, opset ai.onnx 13.
inline std::vector<uint8_t> model(const Proto& graph) {
  Proto m;
  m.varint(1, 8).str(2, "test").str(3, "1").msg(7, graph).msg(8, Proto().str(1, "").varint(2, 13));
  return m.b;
}

}  // namespace onnx
}  // namespace wstest
