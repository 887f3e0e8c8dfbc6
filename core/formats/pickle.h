#pragma once
// A restricted unpickler for torch.save state dicts: a small pickle machine (protocols 2-5) that
// builds plain data (None, bools, ints, floats, strings, bytes, tuples, lists, dicts, sets) and
// never executes anything. The only globals it resolves are the few a state dict names
// (pickle_globals in pickle.cpp): tensor and parameter rebuilders, OrderedDict, the torch storage
// and dtype types, torch.Size, torch.device and _codecs.encode. Each of those is interpreted here,
// as data; every other GLOBAL, STACK_GLOBAL, REDUCE, BUILD or NEWOBJ target, and the opcodes that
// instantiate classes (INST, OBJ, EXT*), end the read with an InputError naming it.
// Limits on nesting depth, object count, container growth, memo size and string bytes keep a
// hostile pickle (a "pickle bomb") from exhausting memory; every opcode consumes input, so the
// work is linear in the pickle's size.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/dtype.h"
#include "io/byte_cursor.h"

namespace ws::pickle {

enum class Kind : uint8_t { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Set, Global, Storage, Tensor };

// What an allowed global stands for.
enum class Global : uint8_t {
  OrderedDict, RebuildTensorV2, RebuildTensorV3, RebuildParameter, RebuildParameterWithState,
  Size, Device, CodecsEncode, StorageType, DtypeObject
};

struct Object {
  Kind kind = Kind::None;
  bool ordered = false;  // Dict: an OrderedDict
  Global global{};       // Global: which one
  Dtype dtype{};         // Global StorageType / DtypeObject: its element type
  int depth = 0;         // containers: how deeply they nest (scalars 0)
  int64_t i = 0;         // Int, Bool; Storage / Tensor: index into Pickle::storages / tensors
  double f = 0;          // Float
  std::string s;         // Str (UTF-8), Bytes, BigInt (little-endian two's complement), Global (module.name)
  std::vector<const Object*> items;  // Tuple, List, Set; Dict: key, value, key, value, ...
  std::unique_ptr<std::unordered_map<std::string, size_t>> str_keys;  // Dict: item index of each str key
};

// A storage as its persistent id describes it: ('storage', type, key, location, numel) in the zip
// format, plus view metadata (view_key, offset, numel) or None in the legacy format.
struct Storage {
  std::string key;       // the record that holds its bytes (zip: <root>/data/<key>; legacy: the key list)
  Dtype dtype{};         // element type (UntypedStorage: U8, bytes)
  uint64_t numel = 0;    // elements of the whole record
  uint64_t view_offset = 0, view_numel = 0;  // the window this storage is (legacy views; else 0, numel)
  uint64_t byte = 0;     // where its persistent id was read, relative to the pickle's start
};

struct Tensor {
  size_t storage = 0;    // index into Pickle::storages
  Dtype dtype{};
  uint64_t offset = 0;   // storage_offset, in elements of dtype from the view's start
  std::vector<uint64_t> shape, stride;  // stride in elements
  uint64_t byte = 0;     // where it was rebuilt
};

struct Limits {
  int max_depth = 200;                  // containers in containers, and open MARKs
  size_t max_objects = 2'000'000;       // a state dict needs about 15 per tensor
  size_t max_items = 16'000'000;        // container elements plus stack entries
  size_t max_memo = 4'000'000;          // memo slots
  uint64_t max_string_bytes = 256ull << 20;  // all str / bytes values together
};

struct Pickle {
  std::deque<Object> objects;  // owns every value (stable addresses)
  const Object* root = nullptr;
  std::vector<Storage> storages;  // one per distinct persistent id key
  std::vector<Tensor> tensors;
};

// Runs the pickle that starts at c.pos() up to its STOP, leaving c just after it. `file` and
// `where` (e.g. "archive/data.pkl", or "the file" for the legacy format) name it in messages,
// with byte positions relative to c.begin(). Throws InputError.
Pickle unpickle(ByteCursor& c, const std::string& file, const std::string& where, const Limits& limits = {});

// The value of str key `key` of a Dict, or nullptr.
const Object* dict_get(const Object& dict, std::string_view key);

// "a tuple", "a str", "'os.system'": how messages name a value.
std::string describe(const Object& o);

}  // namespace ws::pickle
