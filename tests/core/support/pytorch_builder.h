#pragma once
// Byte-level builders for the PyTorch reader's tests: pickle opcodes one by one, the state-dict
// pickle torch.save writes (protocol 2), its zip archive (stored entries, optional zip64 records)
// and its legacy format. Hostile files are these bytes, changed where a test says. Nothing here
// runs a real unpickler.
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace wstest {

inline void put_le(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void patch_le(std::vector<uint8_t>& b, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// Pickle opcodes (CPython Lib/pickletools.py), appended in order.
struct Pickler {
  std::vector<uint8_t> b;

  Pickler& op(uint8_t o) { b.push_back(o); return *this; }
  Pickler& raw(const std::string& s) { b.insert(b.end(), s.begin(), s.end()); return *this; }
  Pickler& proto(int v = 2) { return op(0x80).op(static_cast<uint8_t>(v)); }
  Pickler& mark() { return op('('); }
  Pickler& stop() { return op('.'); }
  Pickler& none() { return op('N'); }
  Pickler& boolean(bool v) { return op(v ? 0x88 : 0x89); }
  Pickler& str(const std::string& s) {  // BINUNICODE
    op('X');
    put_le(b, s.size(), 4);
    return raw(s);
  }
  Pickler& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').op(static_cast<uint8_t>(v));
    if (v >= 0 && v < 65536) { op('M'); put_le(b, static_cast<uint64_t>(v), 2); return *this; }
    if (v >= INT32_MIN && v <= INT32_MAX) { op('J'); put_le(b, static_cast<uint64_t>(v), 4); return *this; }
    op(0x8a).op(8);  // LONG1 of 8 bytes
    put_le(b, static_cast<uint64_t>(v), 8);
    return *this;
  }
  Pickler& binfloat(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    op('G');
    for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  Pickler& global(const std::string& module, const std::string& name) { return op('c').raw(module + "\n" + name + "\n"); }
  Pickler& put(uint8_t i) { return op('q').op(i); }
  Pickler& get(uint8_t i) { return op('h').op(i); }
  Pickler& tuple_of(const std::vector<uint64_t>& v) {
    mark();
    for (uint64_t x : v) integer(static_cast<int64_t>(x));
    return op('t');
  }
  Pickler& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
  Pickler& append(const Pickler& other) { b.insert(b.end(), other.b.begin(), other.b.end()); return *this; }
  std::vector<uint8_t> done() { stop(); return b; }
};

inline std::vector<uint64_t> contiguous_strides(const std::vector<uint64_t>& shape) {
  std::vector<uint64_t> s(shape.size());
  uint64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    s[d] = step;
    step *= shape[d];
  }
  return s;
}

// One tensor of a state dict, as _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
struct TensorSpec {
  std::string name;
  std::string storage_type = "FloatStorage";  // torch.<type>
  std::string key;                             // storage key: zip record data/<key>, legacy key
  uint64_t storage_numel = 0;
  std::vector<uint64_t> shape;
  std::vector<uint64_t> stride;  // empty: contiguous
  uint64_t offset = 0;
  bool parameter = false;  // wrapped in _rebuild_parameter, as nn.Parameter pickles
};

// A tensor value; legacy persistent ids carry a sixth element, the view metadata (None).
inline Pickler& tensor(Pickler& p, const TensorSpec& t, bool legacy) {
  if (t.parameter) p.global("torch._utils", "_rebuild_parameter").mark();
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  p.mark().str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(static_cast<int64_t>(t.storage_numel));
  if (legacy) p.none();
  p.op('t').op('Q');
  p.integer(static_cast<int64_t>(t.offset)).tuple_of(t.shape).tuple_of(t.stride.empty() ? contiguous_strides(t.shape) : t.stride);
  p.boolean(false).ordered_dict().op('t').op('R');
  if (t.parameter) p.boolean(true).ordered_dict().op('t').op('R');
  return p;
}

// The body of a dict of tensors (no PROTO, no STOP): an OrderedDict filled by SETITEMS.
inline Pickler state_dict_body(const std::vector<TensorSpec>& tensors, bool legacy = false) {
  Pickler p;
  p.ordered_dict().mark();
  for (const TensorSpec& t : tensors) tensor(p.str(t.name), t, legacy);
  p.op('u');
  return p;
}

inline std::vector<uint8_t> state_dict_pickle(const std::vector<TensorSpec>& tensors, bool legacy = false) {
  Pickler p;
  p.proto(2).append(state_dict_body(tensors, legacy));
  return p.done();
}

template <typename T>
inline std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// CRC-32 (ISO-HDLC, as zip uses), bit by bit: the reader does not check it, other zip tools do.
inline uint32_t crc32(const std::vector<uint8_t>& data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

struct ZipSpec {
  std::string name;
  std::vector<uint8_t> data;
  uint16_t method = 0;  // 0 stored, 8 deflate (the data is not really compressed: the reader must refuse first)
};

// A zip archive laid out as torch's writer does (local header, data aligned to 64 bytes by local
// extra padding, central directory, end records), with where each record starts, for patching.
struct ZipBytes {
  std::vector<uint8_t> bytes;
  std::vector<size_t> local_at, central_at;
  size_t eocd_at = 0;
};

inline ZipBytes zip_archive(const std::vector<ZipSpec>& entries, bool zip64 = false) {
  ZipBytes z;
  std::vector<uint8_t>& b = z.bytes;
  for (const ZipSpec& e : entries) {
    z.local_at.push_back(b.size());
    put_le(b, 0x04034b50, 4);
    put_le(b, 20, 2);                 // version needed
    put_le(b, 0, 2);                  // flags
    put_le(b, e.method, 2);
    put_le(b, 0, 4);                  // time, date
    put_le(b, crc32(e.data), 4);
    put_le(b, e.data.size(), 4);
    put_le(b, e.data.size(), 4);
    put_le(b, e.name.size(), 2);
    const size_t unpadded = b.size() + 2 + e.name.size();
    const size_t pad = (64 - (unpadded + 4) % 64) % 64;
    put_le(b, 4 + pad, 2);            // extra: one "FB" padding field
    b.insert(b.end(), e.name.begin(), e.name.end());
    put_le(b, 0x4246, 2);
    put_le(b, pad, 2);
    b.insert(b.end(), pad, 'Z');
    b.insert(b.end(), e.data.begin(), e.data.end());
  }
  const size_t cd = b.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipSpec& e = entries[i];
    z.central_at.push_back(b.size());
    put_le(b, 0x02014b50, 4);
    put_le(b, 0x031e, 2);             // made by
    put_le(b, zip64 ? 45 : 20, 2);
    put_le(b, 0, 2);
    put_le(b, e.method, 2);
    put_le(b, 0, 4);
    put_le(b, crc32(e.data), 4);
    put_le(b, zip64 ? 0xFFFFFFFF : e.data.size(), 4);
    put_le(b, zip64 ? 0xFFFFFFFF : e.data.size(), 4);
    put_le(b, e.name.size(), 2);
    put_le(b, zip64 ? 28 : 0, 2);     // extra: zip64 usize, csize, offset
    put_le(b, 0, 2);                  // comment
    put_le(b, 0, 2);                  // disk
    put_le(b, 0, 2);
    put_le(b, 0, 4);
    put_le(b, zip64 ? 0xFFFFFFFF : z.local_at[i], 4);
    b.insert(b.end(), e.name.begin(), e.name.end());
    if (zip64) {
      put_le(b, 1, 2);
      put_le(b, 24, 2);
      put_le(b, e.data.size(), 8);
      put_le(b, e.data.size(), 8);
      put_le(b, z.local_at[i], 8);
    }
  }
  const size_t cd_size = b.size() - cd;
  if (zip64) {
    const size_t record = b.size();
    put_le(b, 0x06064b50, 4);
    put_le(b, 44, 8);
    put_le(b, 45, 2);
    put_le(b, 45, 2);
    put_le(b, 0, 4);
    put_le(b, 0, 4);
    put_le(b, entries.size(), 8);
    put_le(b, entries.size(), 8);
    put_le(b, cd_size, 8);
    put_le(b, cd, 8);
    put_le(b, 0x07064b50, 4);
    put_le(b, 0, 4);
    put_le(b, record, 8);
    put_le(b, 1, 4);
  }
  z.eocd_at = b.size();
  put_le(b, 0x06054b50, 4);
  put_le(b, 0, 2);
  put_le(b, 0, 2);
  put_le(b, zip64 ? 0xFFFF : entries.size(), 2);
  put_le(b, zip64 ? 0xFFFF : entries.size(), 2);
  put_le(b, zip64 ? 0xFFFFFFFF : cd_size, 4);
  put_le(b, zip64 ? 0xFFFFFFFF : cd, 4);
  put_le(b, 0, 2);
  return z;
}

// torch.save's zip format: <root>/data.pkl, <root>/data/<key> per storage, <root>/version.
inline ZipBytes torch_zip(const std::vector<uint8_t>& pickle, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& storages,
                          const std::string& root = "archive", bool zip64 = false) {
  std::vector<ZipSpec> entries{{root + "/data.pkl", pickle}};
  for (const auto& [key, data] : storages) entries.push_back({root + "/data/" + key, data});
  entries.push_back({root + "/version", {'3', '\n'}});
  return zip_archive(entries, zip64);
}

// The legacy format: magic number, protocol version and sys_info pickles, the object, the key
// list, then each storage as a u64 element count and its bytes.
struct LegacyStorage {
  std::string key;
  uint64_t numel;
  std::vector<uint8_t> data;
};

inline std::vector<uint8_t> legacy_file(const std::vector<uint8_t>& object, const std::vector<LegacyStorage>& storages,
                                        bool little_endian = true) {
  Pickler p;
  p.proto(2).op(0x8a).op(10);
  for (uint8_t m : {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}) p.op(m);
  p.stop();
  p.proto(2).integer(1001).stop();
  p.proto(2).op('}').mark().str("protocol_version").integer(1001).str("little_endian").boolean(little_endian);
  p.str("type_sizes").op('}').mark().str("short").integer(2).str("int").integer(4).str("long").integer(4).op('u');
  p.op('u').stop();
  p.raw(std::string(object.begin(), object.end()));
  p.proto(2).op(']').mark();
  for (const LegacyStorage& s : storages) p.str(s.key);
  p.op('e').stop();
  std::vector<uint8_t> out = p.b;
  for (const LegacyStorage& s : storages) {
    put_le(out, s.numel, 8);
    out.insert(out.end(), s.data.begin(), s.data.end());
  }
  return out;
}

}  // namespace wstest
