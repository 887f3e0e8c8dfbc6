// torch.save containers (torch/serialization.py: _save / _legacy_save, and _load / _legacy_load for
// what a reader must check). Which dict holds the tensors follows what training scripts write.
#include "formats/pytorch.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "formats/pickle.h"
#include "formats/zip_reader.h"
#include "io/byte_cursor.h"
#include "io/input_error.h"

namespace ws {

namespace {

using pickle::Kind;
using pickle::Object;
using pickle::Pickle;

// Keys under which training scripts keep the model's state dict, in the order they are preferred
// when a checkpoint has several (a model and its optimizer's state, say).
constexpr const char* kStateDictKeys[] = {"state_dict", "model_state_dict", "model", "module", "net", "network"};
constexpr std::string_view kDataParallelPrefix = "module.";  // torch.nn.DataParallel's wrapper name

// torch/serialization.py MAGIC_NUMBER 0x1950a86a20f9469cfc6c, pickled as a 10-byte LONG1.
constexpr uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocolVersion = 1001;

struct Range {
  uint64_t offset = 0, nbytes = 0;
};

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

uint64_t element_bytes(Dtype d) { return static_cast<uint64_t>(dtype_bits(d) / 8); }

std::string list_str(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

class Reader {
 public:
  Reader(ByteSource& src, size_t source_index) : src_(src), file_(src.name()), source_index_(source_index) {}

  PytorchFile read() {
    uint8_t magic[2] = {0, 0};
    if (src_.size() >= 2) src_.read(0, magic, 2);
    if (magic[0] == 'P' && magic[1] == 'K') return zip();
    if (magic[0] == 0x80) return legacy();
    fail("not a PyTorch file: it starts with neither a zip header (PK) nor a pickle (0x80)");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_ + ": " + what); }

  // The record's size must be the storage's: torch writes exactly numel elements.
  uint64_t storage_bytes(const pickle::Storage& s, const std::string& where) const {
    const auto bytes = checked_mul(s.numel, element_bytes(s.dtype));
    if (!bytes) fail("storage '" + s.key + "' (persistent id at byte " + std::to_string(s.byte) + " of " + where +
                     ") of " + std::to_string(s.numel) + " elements overflows 64-bit arithmetic");
    return *bytes;
  }

  PytorchFile zip() {
    const std::vector<ZipEntry> entries = read_zip_directory(src_);
    if (entries.empty()) fail("zip archive has no entries (not a torch.save file)");
    // Every record sits under one folder, named by the first (torch's PyTorchStreamReader rule).
    const size_t slash = entries[0].name.find('/');
    if (slash == std::string::npos)
      fail("zip entry '" + entries[0].name + "' is not in a folder; torch.save puts every record under one");
    const std::string root = entries[0].name.substr(0, slash + 1);
    std::unordered_map<std::string, const ZipEntry*> record;
    for (const ZipEntry& e : entries) {
      if (e.name.compare(0, root.size(), root) != 0)
        fail("zip entry '" + e.name + "' is outside the archive folder '" + root + "' of the other records");
      record[e.name.substr(root.size())] = &e;
    }
    const auto pkl = record.find("data.pkl");
    if (pkl == record.end()) fail("zip archive has no '" + root + "data.pkl' (not a torch.save file?)");
    if (const auto order = record.find("byteorder"); order != record.end()) {
      const ZipEntry& e = *order->second;
      std::string text(static_cast<size_t>(std::min<uint64_t>(e.size, 16)), '\0');
      src_.read(e.data_offset, text.data(), text.size());
      if (text != "little")
        fail("'" + e.name + "' says the tensors are stored '" + text + "'; only little-endian files are read");
    }

    const ZipEntry& data = *pkl->second;
    ByteCursor c(src_, data.data_offset, data.data_offset + data.size);
    const Pickle p = pickle::unpickle(c, file_, data.name);
    std::vector<Range> placed;
    for (const pickle::Storage& s : p.storages) {
      const auto r = record.find("data/" + s.key);
      if (r == record.end())
        fail("storage '" + s.key + "' (persistent id at byte " + std::to_string(s.byte) + " of " + data.name +
             ") has no record '" + root + "data/" + s.key + "' in the zip");
      const uint64_t bytes = storage_bytes(s, data.name);
      if (r->second->size != bytes)
        fail("record '" + r->second->name + "' holds " + std::to_string(r->second->size) + " bytes but its storage of " +
             std::to_string(s.numel) + " " + dtype_name(s.dtype) + " elements needs " + std::to_string(bytes));
      placed.push_back({r->second->data_offset, bytes});
    }
    return tensors(p, placed, "zip", data.name);
  }

  PytorchFile legacy() {
    ByteCursor c(src_, 0, src_.size());
    const std::string where = "the file";
    const Pickle magic = pickle::unpickle(c, file_, where);
    if (magic.root->kind != Kind::BigInt || magic.root->s.size() != sizeof kLegacyMagic ||
        std::memcmp(magic.root->s.data(), kLegacyMagic, sizeof kLegacyMagic) != 0)
      fail("a pickle, but not a torch.save file: it does not start with the legacy format's magic number");
    const Pickle version = pickle::unpickle(c, file_, where);
    if (version.root->kind != Kind::Int || version.root->i != kLegacyProtocolVersion)
      fail("legacy format protocol version is not " + std::to_string(kLegacyProtocolVersion) + " (not supported)");
    const Pickle sys_info = pickle::unpickle(c, file_, where);
    const Object* little = pickle::dict_get(*sys_info.root, "little_endian");
    if (!little || little->kind != Kind::Bool) fail("legacy format sys_info has no little_endian flag");
    if (!little->i) fail("was written on a big-endian machine; only little-endian files are read");
    const Pickle p = pickle::unpickle(c, file_, where);
    const Pickle keys = pickle::unpickle(c, file_, where);
    if (keys.root->kind != Kind::List) fail("legacy format storage-key list is " + pickle::describe(*keys.root) + ", not a list");

    // Storages follow the key list in its order: a little-endian u64 element count, then the elements.
    std::unordered_map<std::string, const pickle::Storage*> first_use;
    for (const pickle::Storage& s : p.storages) first_use.emplace(s.key, &s);
    std::unordered_map<std::string, Range> at;
    uint64_t pos = c.pos();
    const uint64_t size = src_.size();
    for (const Object* k : keys.root->items) {
      if (k->kind != Kind::Str) fail("legacy format storage-key list holds " + pickle::describe(*k) + ", not only str");
      const auto use = first_use.find(k->s);
      if (use == first_use.end())
        fail("storage key '" + k->s + "' of the key list belongs to no tensor of the pickled object");
      if (at.count(k->s)) fail("storage key '" + k->s + "' appears twice in the key list");
      const pickle::Storage& s = *use->second;
      if (size - pos < 8)
        fail("byte " + std::to_string(pos) + ": storage '" + k->s + "' is cut short (truncated file?)");
      uint8_t count_bytes[8];
      src_.read(pos, count_bytes, 8);
      uint64_t count = 0;
      for (int i = 7; i >= 0; --i) count = (count << 8) | count_bytes[i];
      if (count != s.numel)
        fail("byte " + std::to_string(pos) + ": storage '" + k->s + "' holds " + std::to_string(count) +
             " elements but its persistent id says " + std::to_string(s.numel));
      const uint64_t bytes = storage_bytes(s, where);
      if (bytes > size - pos - 8)
        fail("byte " + std::to_string(pos) + ": storage '" + k->s + "' of " + std::to_string(bytes) +
             " bytes runs past the end of the file (truncated file?)");
      at[k->s] = {pos + 8, bytes};
      pos += 8 + bytes;
    }
    std::vector<Range> placed;
    for (const pickle::Storage& s : p.storages) {
      const auto r = at.find(s.key);
      if (r == at.end())
        fail("storage '" + s.key + "' (persistent id at byte " + std::to_string(s.byte) +
             ") is missing from the file's storage-key list, so its bytes are not in the file");
      if (storage_bytes(s, where) != r->second.nbytes)
        fail("storage '" + s.key + "' is used with two element types of different sizes");
      placed.push_back(r->second);
    }
    return tensors(p, placed, "legacy", where);
  }

  static bool holds_tensors(const Object& d) {
    for (size_t i = 1; i < d.items.size(); i += 2)
      if (d.items[i]->kind == Kind::Tensor) return true;
    return false;
  }

  // The dict of tensors and the key it was found under ("" = the pickled dict itself).
  std::pair<const Object*, std::string> state_dict(const Object& root) const {
    if (root.kind != Kind::Dict)
      fail("the pickled object is " + pickle::describe(root) + ", not a dict of tensors (a state dict)");
    for (const char* key : kStateDictKeys) {
      const Object* v = pickle::dict_get(root, key);
      if (v && v->kind == Kind::Dict && holds_tensors(*v)) return {v, key};
    }
    if (holds_tensors(root)) return {&root, ""};
    std::string keys;
    size_t listed = 0;
    for (size_t i = 0; i < root.items.size(); i += 2) {
      const Object& k = *root.items[i];
      const Object& v = *root.items[i + 1];
      if (k.kind != Kind::Str) continue;
      if (v.kind == Kind::Dict && holds_tensors(v)) return {&v, k.s};
      if (listed++ < 8) keys += (keys.empty() ? "'" : ", '") + k.s + "'";
    }
    fail("holds no tensors: the pickled dict" + (keys.empty() ? std::string() : " (keys " + keys + ")") +
         " has no tensor values and no dict of tensors under one key");
  }

  PytorchFile tensors(const Pickle& p, const std::vector<Range>& placed, const char* container, const std::string& where) {
    const auto [dict, key] = state_dict(*p.root);
    PytorchFile out;
    out.metadata["pytorch.container"] = container;
    if (!key.empty()) out.metadata["pytorch.state_dict_key"] = key;

    std::vector<std::pair<std::string, const pickle::Tensor*>> named;
    for (size_t i = 0; i < dict->items.size(); i += 2) {
      const Object& k = *dict->items[i];
      const Object& v = *dict->items[i + 1];
      if (v.kind != Kind::Tensor) continue;  // buffers' _extra_state and other non-tensor entries
      if (k.kind != Kind::Str) fail("a tensor of the state dict has " + pickle::describe(k) + " as its name, not a str");
      named.emplace_back(k.s, &p.tensors[static_cast<size_t>(v.i)]);
    }
    bool strip = !named.empty();
    for (const auto& [name, t] : named) strip = strip && name.compare(0, kDataParallelPrefix.size(), kDataParallelPrefix) == 0;
    if (strip) out.metadata["pytorch.stripped_prefix"] = std::string(kDataParallelPrefix);
    for (auto& [name, t] : named) {
      out.tensors.push_back(place(strip ? name.substr(kDataParallelPrefix.size()) : name, *t, p, placed, where));
    }
    return out;
  }

  // The tensor's bytes inside its storage. A contiguous view (torch's definition: strides of the
  // row-major layout, any stride on a dimension of size 1) is one byte range; any other is listed
  // as unsupported, after checking it stays inside its storage.
  TensorInfo place(std::string name, const pickle::Tensor& t, const Pickle& p, const std::vector<Range>& placed,
                   const std::string& where) const {
    const pickle::Storage& s = p.storages[t.storage];
    const Range& r = placed[t.storage];
    const std::string tensor = "tensor '" + name + "' (rebuilt at byte " + std::to_string(t.byte) + " of " + where + "): ";
    const uint64_t el = element_bytes(t.dtype), sel = element_bytes(s.dtype);
    std::optional<uint64_t> numel = 1, span = 1, expected = 1;
    bool contiguous = true;
    for (size_t d = t.shape.size(); d-- > 0;) {
      numel = numel ? checked_mul(*numel, t.shape[d]) : std::nullopt;
      if (t.shape[d] == 0) span = 0;
      if (span && *span != 0) {
        const auto reach = checked_mul(t.shape[d] - 1, t.stride[d]);
        span = reach && *reach <= std::numeric_limits<uint64_t>::max() - *span ? std::optional(*span + *reach) : std::nullopt;
      }
      if (t.shape[d] != 1 && expected && t.stride[d] != *expected) contiguous = false;
      expected = expected ? checked_mul(*expected, t.shape[d]) : std::nullopt;
    }
    if (numel && *numel == 0) contiguous = true;
    const auto nbytes = numel ? checked_mul(*numel, el) : std::nullopt;
    const auto span_bytes = span ? checked_mul(*span, el) : std::nullopt;
    const auto begin = checked_mul(t.offset, el);
    if (!nbytes || !span_bytes || !begin) fail(tensor + "shape " + list_str(t.shape) + " overflows 64-bit arithmetic");
    // The window of the storage this view may read (legacy storage views narrow it).
    const uint64_t window_begin = s.view_offset * sel, window = s.view_numel * sel;  // <= r.nbytes: checked by the unpickler
    if (*begin > window || *span_bytes > window - *begin)
      fail(tensor + "its view (storage_offset " + std::to_string(t.offset) + ", shape " + list_str(t.shape) +
           ", stride " + list_str(t.stride) + ", " + dtype_name(t.dtype) + ") reaches past the end of its storage '" +
           s.key + "' of " + std::to_string(window) + " bytes");
    TensorInfo info;
    info.name = std::move(name);
    info.dtype = t.dtype;
    info.shape = t.shape;
    info.source_index = source_index_;
    info.offset = r.offset + window_begin + *begin;
    if (contiguous) {
      info.nbytes = *nbytes;
    } else {
      info.unsupported = "strided view (shape " + list_str(t.shape) + ", stride " + list_str(t.stride) +
                         ") is not contiguous; weightscope reads contiguous tensors only (save it after .contiguous())";
    }
    return info;
  }

  ByteSource& src_;
  const std::string file_;
  const size_t source_index_;
};

}  // namespace

bool has_pytorch_magic(ByteSource& src) {
  uint8_t m[13] = {};
  src.read(0, m, static_cast<size_t>(std::min<uint64_t>(src.size(), sizeof m)));
  if (std::memcmp(m, "PK\x03\x04", 4) == 0) return true;
  // The legacy format's first pickle: PROTO 2-5, then (protocol 4+: after an 8-byte FRAME opcode)
  // LONG1 of the 10-byte magic number.
  const bool proto = m[0] == 0x80 && m[1] >= 2 && m[1] <= 5;
  const uint8_t* magic = m[1] >= 4 && m[2] == 0x95 ? m + 11 : m + 2;
  return proto && magic[0] == 0x8a && magic[1] == sizeof kLegacyMagic;
}

PytorchFile parse_pytorch(ByteSource& src, size_t source_index) { return Reader(src, source_index).read(); }

}  // namespace ws
