// GGUF reader. The header is read front to back through a buffered cursor (a tokenizer's 100k+
// vocabulary strings have no index and must be walked); every count and length is checked against
// the bytes left before anything is allocated or looped over, so the work is bounded by the file.
#include "formats/gguf.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "formats/ggml_types.h"
#include "formats/utf8.h"
#include "io/byte_cursor.h"
#include "io/input_error.h"

namespace ws {
namespace {

constexpr uint32_t kMaxDims = 4;             // GGML_MAX_DIMS
// The spec's limit for keys, applied to tensor names too: ggml's 63 bytes (GGML_MAX_NAME) would
// refuse the longer names of stable-diffusion GGUFs, whose ggml builds raise it.
constexpr uint64_t kMaxNameBytes = 65535;
constexpr uint64_t kMaxShownString = 64 << 10;  // longer metadata strings are summarized
constexpr uint64_t kMaxListed = 16;          // arrays of up to this many scalars are listed in full
constexpr int kMaxArrayDepth = 8;            // the spec lets arrays nest; no real file does
constexpr size_t kChunk = size_t(1) << 20;   // bytes of blocks read at a time by read_ggml_blocks
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;      // key length, a 1-byte key, value type, a 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset

enum ValueType : uint32_t { U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64, kValueTypes };
constexpr const char* kValueTypeNames[kValueTypes] = {"uint8", "int8",   "uint16", "int16", "uint32", "int32", "float32",
                                                      "bool",  "string", "array",  "uint64", "int64", "float64"};

// Bytes of one value: exact for the fixed-size types, the least possible for strings (their length)
// and arrays (element type and count).
uint64_t min_value_bytes(uint32_t type) {
  switch (type) {
    case U8: case I8: case BOOL: return 1;
    case U16: case I16: return 2;
    case U32: case I32: case F32: return 4;
    case ARRAY: return 12;
    default: return 8;  // U64, I64, F64, STRING
  }
}

std::string dims_text(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// The shortest decimal that reads back as the same value (1e-05 rather than 9.99999975e-06).
template <typename T>
std::string float_text(T v) {
  char buf[48];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    const T back = std::is_same<T, float>::value ? static_cast<T>(std::strtof(buf, nullptr))
                                                 : static_cast<T>(std::strtod(buf, nullptr));
    if (back == v || !std::isfinite(v)) break;
  }
  return buf;
}

// The header through a ByteCursor (buffered reads), with every read checked against the bytes left
// first: reading past the end is an InputError naming the position and what was being read.
class Reader {
 public:
  explicit Reader(ByteSource& src) : name_(src.name()), cursor_(src, 0, src.size()) {}

  uint64_t pos() const { return cursor_.pos(); }
  uint64_t remaining() const { return cursor_.remaining(); }

  InputError error(uint64_t at, const std::string& what) const {
    return InputError(name_ + ": byte " + std::to_string(at) + ": " + what);
  }

  void need(uint64_t n, const std::string& what) const {
    if (n > remaining())
      throw error(pos(), "the file ends inside " + what + " (" + std::to_string(n) + " bytes needed, " +
                             std::to_string(remaining()) + " left; truncated?)");
  }

  // Little-endian, like the host (dtype.h).
  template <typename T>
  T get(const std::string& what) {
    need(sizeof(T), what);
    T v;
    cursor_.read(&v, sizeof v);
    return v;
  }

  void skip(uint64_t n, const std::string& what) {
    need(n, what);
    cursor_.skip(n);
  }

  // A GGUF string's length, which must fit in what is left of the file.
  uint64_t string_length(const std::string& what) {
    const uint64_t at = pos();
    const uint64_t n = get<uint64_t>("the length of " + what);
    if (n > remaining())
      throw error(at, what + " is " + std::to_string(n) + " bytes long, more than the " + std::to_string(remaining()) +
                          " bytes left in the file (truncated, or not a GGUF file?)");
    return n;
  }

  std::string text(uint64_t n, const std::string& what) {
    need(n, what);
    return cursor_.string(static_cast<size_t>(n));
  }

 private:
  std::string name_;
  ByteCursor cursor_;
};

// A key or tensor name: non-empty for keys, bounded, valid UTF-8 (it goes into the report's JSON).
std::string read_name(Reader& r, const std::string& what, bool allow_empty) {
  const uint64_t at = r.pos();
  const uint64_t n = r.string_length(what);
  if (n == 0 && !allow_empty) throw r.error(at, what + " is empty");
  if (n > kMaxNameBytes)
    throw r.error(at, what + " is " + std::to_string(n) + " bytes long, over the GGUF limit of " +
                          std::to_string(kMaxNameBytes));
  std::string s = r.text(n, what);
  if (auto bad = first_invalid_utf8(s)) throw r.error(at + 8 + *bad, what + " is not valid UTF-8");
  return s;
}

// One metadata value as text. Strings that cannot be shown (too long, not UTF-8) and arrays too
// long to list are summarized; their bytes are skipped after their counts were checked.
class ValueReader {
 public:
  ValueReader(Reader& r, const std::string& key) : r_(r), where_("key '" + key + "'") {}

  std::string value(uint32_t type, bool quoted = false, int depth = 0) {
    switch (type) {
      case U8: return std::to_string(r_.get<uint8_t>(where_));
      case I8: return std::to_string(r_.get<int8_t>(where_));
      case U16: return std::to_string(r_.get<uint16_t>(where_));
      case I16: return std::to_string(r_.get<int16_t>(where_));
      case U32: return std::to_string(r_.get<uint32_t>(where_));
      case I32: return std::to_string(r_.get<int32_t>(where_));
      case U64: return std::to_string(r_.get<uint64_t>(where_));
      case I64: return std::to_string(r_.get<int64_t>(where_));
      case F32: return float_text(r_.get<float>(where_));
      case F64: return float_text(r_.get<double>(where_));
      case BOOL: return r_.get<uint8_t>(where_) ? "true" : "false";  // ggml reads any non-zero byte as true
      case STRING: return string(quoted);
      default: return array(depth);
    }
  }

  bool summarized = false;  // a string in the last value could not be shown

 private:
  std::string string(bool quoted) {
    const uint64_t n = r_.string_length("a string value of " + where_);
    if (n > kMaxShownString) {
      r_.skip(n, where_);
      summarized = true;
      return "(string of " + std::to_string(n) + " bytes)";
    }
    std::string s = r_.text(n, where_);
    if (first_invalid_utf8(s)) {
      summarized = true;
      return "(string of " + std::to_string(n) + " bytes, not valid UTF-8)";
    }
    return quoted ? nlohmann::json(s).dump() : s;
  }

  std::string array(int depth) {
    const uint64_t at = r_.pos();
    const uint32_t type = r_.get<uint32_t>("the array type of " + where_);
    if (type >= kValueTypes)
      throw r_.error(at, where_ + ": array of unknown value type " + std::to_string(type) + " (GGUF defines 0-12)");
    if (type == ARRAY && depth + 1 >= kMaxArrayDepth)
      throw r_.error(at, where_ + ": arrays nest deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    const uint64_t count = r_.get<uint64_t>("the array length of " + where_);
    if (count > r_.remaining() / min_value_bytes(type))
      throw r_.error(at, where_ + ": an array of " + std::to_string(count) + " " + kValueTypeNames[type] +
                             " values cannot fit in the " + std::to_string(r_.remaining()) +
                             " bytes left in the file (truncated or corrupt?)");
    const std::string summary = "(" + std::to_string(count) + " " + kValueTypeNames[type] + " values)";
    if (count <= kMaxListed && type != ARRAY) {
      std::string list;
      const bool before = std::exchange(summarized, false);
      for (uint64_t i = 0; i < count; ++i) list += (i ? ", " : "") + value(type, /*quoted=*/true, depth + 1);
      const bool shown = !summarized;
      summarized = before;
      return shown ? "[" + list + "]" : summary;
    }
    if (type == STRING || type == ARRAY) {
      for (uint64_t i = 0; i < count; ++i) value(type, false, depth + 1);  // walked: no index to jump with
    } else {
      r_.skip(count * min_value_bytes(type), where_);  // cannot overflow: count <= remaining / size
    }
    return summary;
  }

  Reader& r_;
  std::string where_;
};

struct RawInfo {
  std::string name;
  std::vector<uint64_t> ne;
  const GgmlType* type = nullptr;
  uint64_t offset = 0;  // relative to the data section
};

RawInfo read_tensor_info(Reader& r, uint64_t index) {
  RawInfo t;
  t.name = read_name(r, "the name of tensor #" + std::to_string(index), /*allow_empty=*/true);
  const std::string where = "tensor '" + t.name + "': ";
  const uint64_t dims_at = r.pos();
  const uint32_t n_dims = r.get<uint32_t>(where + "n_dims");
  if (n_dims > kMaxDims)
    throw r.error(dims_at, where + "n_dims = " + std::to_string(n_dims) + ", but ggml tensors have at most " +
                               std::to_string(kMaxDims) + " dimensions");
  for (uint32_t j = 0; j < n_dims; ++j) {
    const uint64_t at = r.pos();
    t.ne.push_back(r.get<uint64_t>(where + "ne"));
    if (t.ne.back() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw r.error(at, where + "ne[" + std::to_string(j) + "] = " + std::to_string(t.ne.back()) +
                            " is out of ggml's int64 range");
  }
  const uint64_t type_at = r.pos();
  const uint32_t id = r.get<uint32_t>(where + "ggml type");
  t.type = find_ggml_type(id);
  if (!t.type) {
    if (const char* old = removed_ggml_type(id))
      throw r.error(type_at, where + "ggml type " + std::to_string(id) + " (" + old +
                                 ") was removed from ggml; convert the model again with a current llama.cpp");
    throw r.error(type_at, where + "unknown ggml type id " + std::to_string(id));
  }
  t.offset = r.get<uint64_t>(where + "data offset");
  return t;
}

uint64_t pad_to(uint64_t n, uint64_t alignment) { return n + (alignment - n % alignment) % alignment; }

// Where the tensor lies and how it is decoded: checks dims, blocks and sizes (offsets: the caller).
TensorInfo tensor_info(const RawInfo& raw, const std::string& file, size_t source_index) {
  const std::string where = file + ": tensor '" + raw.name + "': ";
  const GgmlType& type = *raw.type;
  uint64_t elements = 1;
  for (uint64_t d : raw.ne) {
    if (d == 0) throw InputError(where + "ne " + dims_text(raw.ne) + " has a zero dimension (an empty tensor)");
    if (__builtin_mul_overflow(elements, d, &elements) ||
        elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw InputError(where + "ne " + dims_text(raw.ne) + " holds more than 2^63 - 1 elements");
  }
  const uint64_t row = raw.ne.empty() ? 1 : raw.ne[0];
  if (row % type.block_elems != 0)
    throw InputError(where + "ne[0] = " + std::to_string(row) + " is not a multiple of the " + type.name +
                     " block size " + std::to_string(type.block_elems) + " (rows are whole blocks)");
  uint64_t stored = 0;
  if (__builtin_mul_overflow(elements / type.block_elems, uint64_t{type.block_bytes}, &stored))
    throw InputError(where + "ne " + dims_text(raw.ne) + " of " + type.name + " overflows 64-bit sizes");

  TensorInfo t;
  t.name = raw.name;
  t.shape.assign(raw.ne.rbegin(), raw.ne.rend());
  t.storage = type.name;
  t.source_index = source_index;
  if (type.plain) {
    t.dtype = *type.plain;
    t.nbytes = stored;
    return t;
  }
  t.dtype = Dtype::F32;  // what the blocks decode to
  t.stored_nbytes = stored;
  if (__builtin_mul_overflow(elements, uint64_t{4}, &t.nbytes))
    throw InputError(where + "its " + std::to_string(elements) + " elements overflow 64-bit sizes as float32");
  if (!type.dequantize)
    t.unsupported = std::string("ggml type ") + type.name + " is not supported (weightscope decodes " +
                    decoded_ggml_types() + ")";
  return t;
}

}  // namespace

bool has_gguf_magic(ByteSource& src) {
  if (src.size() < 4) return false;
  char magic[4];
  src.read(0, magic, 4);
  return std::memcmp(magic, "GGUF", 4) == 0;
}

GgufFile parse_gguf(ByteSource& src, size_t source_index) {
  const std::string file = src.name();
  const uint64_t size = src.size();
  Reader r(src);
  if (size < 4)
    throw r.error(0, "file is " + std::to_string(size) + " bytes, too short for the 4-byte GGUF magic");
  if (!has_gguf_magic(src)) {
    uint8_t m[4];
    src.read(0, m, 4);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", m[0], m[1], m[2], m[3]);
    throw r.error(0, std::string("not a GGUF file: it starts with bytes ") + hex + ", not the magic \"GGUF\"");
  }
  r.skip(4, "the magic");

  GgufFile out;
  out.version = r.get<uint32_t>("the header (version)");
  if ((out.version & 0xFFFFu) == 0 && out.version != 0)
    throw r.error(4, "version " + std::to_string(out.version) +
                         " reads as a byte-swapped small number: a big-endian GGUF, which this reader does not read");
  if (out.version == 1)
    throw r.error(4, "GGUF version 1 (32-bit counts, from before October 2023) is not supported; "
                     "convert the model again with a current llama.cpp");
  if (out.version < 2 || out.version > 3)
    throw r.error(4, "GGUF version " + std::to_string(out.version) + " is not one this reader knows (2 and 3)");
  const uint64_t n_tensors = r.get<uint64_t>("the header (tensor count)");
  const uint64_t n_kv = r.get<uint64_t>("the header (key/value count)");
  // Bounds before any loop: each entry takes at least a few bytes of what is left.
  if (n_kv > r.remaining() / kMinKvBytes)
    throw r.error(16, "the header says " + std::to_string(n_kv) + " key/value pairs, more than the " +
                          std::to_string(r.remaining()) + " bytes left could hold (truncated or corrupt?)");
  if (n_tensors > (r.remaining() - n_kv * kMinKvBytes) / kMinTensorInfoBytes)
    throw r.error(8, "the header says " + std::to_string(n_tensors) + " tensors, more than the " +
                         std::to_string(r.remaining()) + " bytes left could describe (truncated or corrupt?)");

  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = r.pos();
    const std::string key = read_name(r, "the key of key/value pair #" + std::to_string(i), /*allow_empty=*/false);
    const uint64_t type_at = r.pos();
    const uint32_t type = r.get<uint32_t>("the value type of key '" + key + "'");
    if (type >= kValueTypes)
      throw r.error(type_at, "key '" + key + "': unknown value type " + std::to_string(type) + " (GGUF defines 0-12)");
    std::string text;
    if (key == "general.alignment") {
      if (type != U32)
        throw r.error(type_at, std::string("general.alignment must be a uint32, not ") + kValueTypeNames[type]);
      out.alignment = r.get<uint32_t>("general.alignment");
      if (out.alignment == 0 || (out.alignment & (out.alignment - 1)) != 0)
        throw r.error(type_at + 4, "general.alignment = " + std::to_string(out.alignment) + " is not a power of 2");
      text = std::to_string(out.alignment);
    } else {
      text = ValueReader(r, key).value(type);
    }
    if (!out.metadata.emplace(key, std::move(text)).second) throw r.error(at, "key '" + key + "' appears twice");
  }

  std::vector<RawInfo> raw;
  for (uint64_t i = 0; i < n_tensors; ++i) raw.push_back(read_tensor_info(r, i));
  out.data_offset = pad_to(r.pos(), out.alignment);
  if (n_tensors > 0 && out.data_offset > size)
    throw r.error(r.pos(), "the file ends before its tensor data, which starts at byte " +
                               std::to_string(out.data_offset) + " (truncated?)");

  std::vector<const RawInfo*> by_name;
  for (const RawInfo& t : raw) by_name.push_back(&t);
  std::sort(by_name.begin(), by_name.end(), [](const RawInfo* a, const RawInfo* b) { return a->name < b->name; });
  for (size_t i = 1; i < by_name.size(); ++i)
    if (by_name[i]->name == by_name[i - 1]->name)
      throw InputError(file + ": tensor name '" + by_name[i]->name + "' appears twice");

  // ggml's rule: tensors lie in info order, each at the previous one's end padded to the alignment.
  const uint64_t data_size = n_tensors > 0 ? size - out.data_offset : 0;
  uint64_t expected = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    TensorInfo t = tensor_info(raw[i], file, source_index);
    const std::string where = file + ": tensor '" + t.name + "': ";
    const uint64_t offset = raw[i].offset, stored = t.file_nbytes();
    if (offset % out.alignment != 0)
      throw InputError(where + "data offset " + std::to_string(offset) + " is not a multiple of the alignment " +
                       std::to_string(out.alignment));
    if (offset < expected)
      throw InputError(where + "data offset " + std::to_string(offset) + " overlaps tensor '" + raw[i - 1].name +
                       "', whose data runs to offset " + std::to_string(expected));
    if (offset > expected)
      throw InputError(where + "data offset " + std::to_string(offset) + " leaves a gap after " +
                       (i ? "tensor '" + raw[i - 1].name + "'" : std::string("the start of the data")) +
                       ": ggml expects tensors packed in order, each padded to the alignment (offset " +
                       std::to_string(expected) + ")");
    if (offset > data_size || stored > data_size - offset)
      throw InputError(where + "its " + std::to_string(stored) + " bytes of " + t.storage + " at byte " +
                       std::to_string(out.data_offset + offset) + " run past the end of the " + std::to_string(size) +
                       "-byte file (truncated?)");
    t.offset = out.data_offset + offset;
    expected = pad_to(offset + stored, out.alignment);
    out.tensors.push_back(std::move(t));
  }
  return out;
}

GgufModel open_gguf(const std::vector<std::unique_ptr<ByteSource>>& sources) {
  GgufModel m;
  std::map<std::string, size_t> owner;  // tensor name -> source index
  for (size_t i = 0; i < sources.size(); ++i) {
    GgufFile f = parse_gguf(*sources[i], i);
    if (sources.size() > 1) {
      const auto no = f.metadata.find("split.no"), count = f.metadata.find("split.count");
      const std::string n = std::to_string(sources.size());
      if (count == f.metadata.end() || count->second != n || no == f.metadata.end() || no->second != std::to_string(i))
        throw InputError(n + " .gguf files given, but " + sources[i]->name() + " is not part " + std::to_string(i + 1) +
                         " of a model split into " + n + " (" +
                         (count == f.metadata.end() ? std::string("it has no split.count")
                                                    : "its split.no / split.count are " +
                                                          (no == f.metadata.end() ? "-" : no->second) + " / " +
                                                          count->second) +
                         "): a GGUF model is one file, or all parts of one split model");
    }
    for (TensorInfo& t : f.tensors) {
      const auto [it, fresh] = owner.emplace(t.name, i);
      if (!fresh)
        throw InputError("tensor '" + t.name + "' is in both " + sources[it->second]->name() + " and " +
                         sources[i]->name());
      m.tensors.push_back(std::move(t));
    }
    m.metadata.insert(f.metadata.begin(), f.metadata.end());
  }
  return m;
}

void read_ggml_blocks(ByteSource& src, const TensorInfo& t, uint8_t* out) {
  const GgmlType* type = find_ggml_type(t.storage);
  if (!type || !type->dequantize)
    throw InputError(src.name() + ": tensor '" + t.name + "': " +
                     (t.unsupported.empty() ? "ggml type " + t.storage + " is not a block type decoded here" : t.unsupported));
  const uint64_t n_blocks = t.stored_nbytes / type->block_bytes;
  if (n_blocks * type->block_bytes != t.stored_nbytes || n_blocks * type->block_elems * 4 != t.nbytes)
    throw std::logic_error("read_ggml_blocks: tensor '" + t.name + "' sizes do not match its type");
  const uint64_t per_read = std::max<uint64_t>(1, kChunk / type->block_bytes);
  std::vector<uint8_t> raw(static_cast<size_t>(std::min(per_read, n_blocks) * type->block_bytes));
  float* dst = reinterpret_cast<float*>(out);
  for (uint64_t b = 0; b < n_blocks; b += per_read) {
    const uint64_t k = std::min(per_read, n_blocks - b);
    src.read(t.offset + b * type->block_bytes, raw.data(), static_cast<size_t>(k * type->block_bytes));
    type->dequantize(raw.data(), static_cast<size_t>(k), dst + b * type->block_elems);
  }
}

}  // namespace ws
