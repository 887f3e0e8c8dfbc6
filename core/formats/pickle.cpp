// The restricted pickle machine. Opcodes and their operands follow CPython's Lib/pickle.py and
// Lib/pickletools.py (protocols 2-5); the globals and what they rebuild follow torch/_utils.py and
// torch/serialization.py. Values live in an arena (Pickle::objects), so the memo, DUP and
// self-referencing containers share objects without reference counting.
#include "formats/pickle.h"

#include <cstdio>
#include <cstring>
#include <iterator>

#include "formats/utf8.h"
#include "io/input_error.h"

namespace ws::pickle {

namespace {

constexpr size_t kMaxGlobalLine = 256;  // "module\n" and "name\n" of a GLOBAL opcode
constexpr uint64_t kMaxLongBytes = 1024;  // LONG4: an int of 8192 bits

struct GlobalRow {
  const char* name;  // module + "." + qualified name
  Global global;
  Dtype dtype;  // StorageType / DtypeObject only
};

// Everything a state dict names. Storage types carry their element type; dtypes (torch.float32,
// ...) are the third argument torch 2.x writes for _rebuild_tensor_v3 (float8, uint16-64 tensors,
// on an UntypedStorage of bytes).
constexpr GlobalRow kGlobals[] = {
    {"collections.OrderedDict", Global::OrderedDict, Dtype::U8},
    {"torch._utils._rebuild_tensor_v2", Global::RebuildTensorV2, Dtype::U8},
    {"torch._utils._rebuild_tensor_v3", Global::RebuildTensorV3, Dtype::U8},
    {"torch._utils._rebuild_parameter", Global::RebuildParameter, Dtype::U8},
    {"torch._utils._rebuild_parameter_with_state", Global::RebuildParameterWithState, Dtype::U8},
    {"torch.Size", Global::Size, Dtype::U8},
    {"torch.device", Global::Device, Dtype::U8},
    {"_codecs.encode", Global::CodecsEncode, Dtype::U8},  // how protocol 2 writes a bytes value
    {"torch.DoubleStorage", Global::StorageType, Dtype::F64},
    {"torch.FloatStorage", Global::StorageType, Dtype::F32},
    {"torch.HalfStorage", Global::StorageType, Dtype::F16},
    {"torch.BFloat16Storage", Global::StorageType, Dtype::BF16},
    {"torch.LongStorage", Global::StorageType, Dtype::I64},
    {"torch.IntStorage", Global::StorageType, Dtype::I32},
    {"torch.ShortStorage", Global::StorageType, Dtype::I16},
    {"torch.CharStorage", Global::StorageType, Dtype::I8},
    {"torch.ByteStorage", Global::StorageType, Dtype::U8},
    {"torch.BoolStorage", Global::StorageType, Dtype::BOOL},
    {"torch.ComplexFloatStorage", Global::StorageType, Dtype::C64},
    {"torch.UntypedStorage", Global::StorageType, Dtype::U8},
    {"torch.float64", Global::DtypeObject, Dtype::F64},
    {"torch.float32", Global::DtypeObject, Dtype::F32},
    {"torch.float16", Global::DtypeObject, Dtype::F16},
    {"torch.bfloat16", Global::DtypeObject, Dtype::BF16},
    {"torch.float8_e4m3fn", Global::DtypeObject, Dtype::F8_E4M3},
    {"torch.float8_e5m2", Global::DtypeObject, Dtype::F8_E5M2},
    {"torch.float8_e4m3fnuz", Global::DtypeObject, Dtype::F8_E4M3FNUZ},
    {"torch.float8_e5m2fnuz", Global::DtypeObject, Dtype::F8_E5M2FNUZ},
    {"torch.float8_e8m0fnu", Global::DtypeObject, Dtype::F8_E8M0},
    {"torch.int64", Global::DtypeObject, Dtype::I64},
    {"torch.int32", Global::DtypeObject, Dtype::I32},
    {"torch.int16", Global::DtypeObject, Dtype::I16},
    {"torch.int8", Global::DtypeObject, Dtype::I8},
    {"torch.uint64", Global::DtypeObject, Dtype::U64},
    {"torch.uint32", Global::DtypeObject, Dtype::U32},
    {"torch.uint16", Global::DtypeObject, Dtype::U16},
    {"torch.uint8", Global::DtypeObject, Dtype::U8},
    {"torch.bool", Global::DtypeObject, Dtype::BOOL},
    {"torch.complex64", Global::DtypeObject, Dtype::C64},
};

// Opcodes (pickletools.py). The text-mode opcodes of protocol 0, which torch never writes (INT, LONG,
// FLOAT, STRING, UNICODE, GET, PUT, PERSID), are not accepted.
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BININT = 'J', BININT1 = 'K',
  BININT2 = 'M', NONE = 'N', PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R', BINSTRING = 'T',
  SHORT_BINSTRING = 'U', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd',
  EMPTY_DICT = '}', APPENDS = 'e', BINGET = 'h', INST = 'i', LONG_BINGET = 'j', LIST = 'l',
  EMPTY_LIST = ']', OBJ = 'o', BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't',
  EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G', BINBYTES = 'B', SHORT_BINBYTES = 'C',
  PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86,
  TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
  SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90,
  FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
  BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};

// Message text with control characters escaped (names come from the file).
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char ch : s) {
    if (ch >= 0x20 && ch != 0x7F) {
      out += static_cast<char>(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    }
  }
  return out;
}

std::string opcode_text(uint8_t op) {
  char buf[16];
  if (op >= 0x20 && op < 0x7F) std::snprintf(buf, sizeof buf, "0x%02x '%c'", op, op);
  else std::snprintf(buf, sizeof buf, "0x%02x", op);
  return buf;
}

class Machine {
 public:
  Machine(ByteCursor& c, const std::string& file, const std::string& where, const Limits& limits)
      : c_(c), file_(file), where_(where), lim_(limits) {
    none_ = make(Kind::None);
    true_ = make(Kind::Bool);
    true_->i = 1;
    false_ = make(Kind::Bool);
  }

  Pickle run() {
    for (;;) {
      op_at_ = c_.pos();
      need(1);
      const uint8_t op = c_.byte();
      if (op == STOP) break;
      step(op);
    }
    if (!marks_.empty()) fail("pickle stops with a MARK still open");
    if (stack_.size() != 1)
      fail("pickle stops with " + std::to_string(stack_.size()) + " values on its stack instead of 1");
    p_.root = stack_.back();
    return std::move(p_);
  }

 private:
  uint64_t rel(uint64_t at) const { return at - c_.begin(); }

  // "<file>: <what> at byte N of <where>[: <why>]", N being the current opcode's position.
  [[noreturn]] void fail(const std::string& what, const std::string& why = "") const {
    throw InputError(file_ + ": " + what + " at byte " + std::to_string(rel(op_at_)) + " of " + where_ +
                     (why.empty() ? "" : ": " + why));
  }

  [[noreturn]] void limit(const std::string& what) const {
    fail(what, "over the reader's limit, which bounds hostile input (a pickle bomb?)");
  }

  void need(uint64_t n) const {
    if (c_.remaining() < n) fail("pickle is cut short", "it ends before its STOP opcode (truncated file?)");
  }

  Object* make(Kind k) {
    if (p_.objects.size() >= lim_.max_objects) limit("pickle builds more than " + std::to_string(lim_.max_objects) + " objects");
    Object& o = p_.objects.emplace_back();
    o.kind = k;
    return &o;
  }

  void push(Object* o) {
    if (stack_.size() >= lim_.max_items) limit("pickle stack grows beyond " + std::to_string(lim_.max_items) + " values");
    stack_.push_back(o);
  }

  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }

  Object* pop() {
    if (stack_.size() <= floor()) fail("pickle pops from an empty stack");
    Object* o = stack_.back();
    stack_.pop_back();
    return o;
  }

  Object* top() const {
    if (stack_.size() <= floor()) fail("pickle reads from an empty stack");
    return stack_.back();
  }

  std::vector<Object*> pop_mark() {
    if (marks_.empty()) fail("pickle opcode needs a MARK but none is open");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Object*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }

  void deepen(Object* container, int depth) {
    if (depth <= container->depth) return;
    container->depth = depth;
    if (depth > lim_.max_depth) limit("pickle nests containers deeper than " + std::to_string(lim_.max_depth) + " levels");
  }

  void add(Object* container, const Object* item) {
    if (++items_ > lim_.max_items) limit("pickle containers hold more than " + std::to_string(lim_.max_items) + " elements");
    container->items.push_back(item);
    deepen(container, item->depth + 1);
  }

  Object* container(Kind k, const std::vector<Object*>& items) {
    Object* o = make(k);
    for (const Object* item : items) add(o, item);
    return o;
  }

  // Later str keys replace earlier values in place, as a Python dict does. Other keys (ints in an
  // optimizer state) are only data nobody looks up, kept as they come.
  void set_item(Object* dict, const Object* key, const Object* value) {
    if (key->kind == Kind::List || key->kind == Kind::Dict || key->kind == Kind::Set)
      fail("pickle uses " + describe(*key) + " as a dict key", "it is not hashable");
    if (key->kind == Kind::Str) {
      if (!dict->str_keys) dict->str_keys = std::make_unique<std::unordered_map<std::string, size_t>>();
      const auto [it, fresh] = dict->str_keys->emplace(key->s, dict->items.size());
      if (!fresh) {
        dict->items[it->second + 1] = value;
        deepen(dict, value->depth + 1);
        return;
      }
    }
    add(dict, key);
    add(dict, value);
  }

  Object* dict_target(const char* op) {
    Object* d = top();
    if (d->kind != Kind::Dict) fail(std::string("refused pickle ") + op + " on " + describe(*d), "only dicts take items");
    return d;
  }

  Object* list_target(const char* op, Kind kind) {
    Object* l = top();
    if (l->kind != kind) fail(std::string("refused pickle ") + op + " on " + describe(*l), "only lists and sets take elements");
    return l;
  }

  std::string take(uint64_t n) {
    if (n > lim_.max_string_bytes - string_bytes_)
      limit("pickle strings add up to more than " + std::to_string(lim_.max_string_bytes) + " bytes");
    need(n);
    string_bytes_ += n;
    return c_.string(static_cast<size_t>(n));
  }

  Object* text(uint64_t n) {
    Object* o = make(Kind::Str);
    o->s = take(n);
    if (first_invalid_utf8(o->s)) fail("pickle string is not valid UTF-8");
    return o;
  }

  Object* bytes(uint64_t n) {
    Object* o = make(Kind::Bytes);
    o->s = take(n);
    return o;
  }

  Object* integer(int64_t v) {
    Object* o = make(Kind::Int);
    o->i = v;
    return o;
  }

  // LONG1 / LONG4: little-endian two's complement; up to 8 bytes become an Int.
  Object* long_int(uint64_t n) {
    if (n > kMaxLongBytes) limit("pickle int of " + std::to_string(n) + " bytes");
    need(n);
    if (n > 8) {
      Object* o = make(Kind::BigInt);
      o->s = c_.string(static_cast<size_t>(n));
      return o;
    }
    uint64_t v = c_.le(static_cast<int>(n));
    if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return integer(static_cast<int64_t>(v));
  }

  std::string line() {
    std::string s;
    for (;;) {
      need(1);
      const char ch = static_cast<char>(c_.byte());
      if (ch == '\n') break;
      if (s.size() >= kMaxGlobalLine) fail("pickle GLOBAL name is longer than " + std::to_string(kMaxGlobalLine) + " bytes");
      s += ch;
    }
    if (first_invalid_utf8(s)) fail("pickle GLOBAL name is not valid UTF-8");
    return s;
  }

  Object* global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    for (const GlobalRow& row : kGlobals) {
      if (full != row.name) continue;
      Object* o = make(Kind::Global);
      o->global = row.global;
      o->dtype = row.dtype;
      o->s = full;
      return o;
    }
    fail("refused pickle global '" + printable(full) + "'", "only tensor-rebuilding globals are allowed");
  }

  uint64_t count(const Object& o, const std::string& what) const {
    if (o.kind != Kind::Int || o.i < 0) fail(what + " is " + describe(o) + ", not a non-negative int");
    return static_cast<uint64_t>(o.i);
  }

  std::vector<uint64_t> counts(const Object& o, const std::string& what) const {
    if (o.kind != Kind::Tuple) fail(what + " is " + describe(o) + ", not a tuple of ints");
    std::vector<uint64_t> out;
    for (const Object* item : o.items) out.push_back(count(*item, what + " element"));
    return out;
  }

  // BINPERSID: the storage a tensor views (torch/serialization.py, persistent_id).
  Object* persistent(const Object& pid) {
    const auto& a = pid.items;
    const bool shape = pid.kind == Kind::Tuple && (a.size() == 5 || a.size() == 6) && a[0]->kind == Kind::Str &&
                       a[0]->s == "storage" && a[2]->kind == Kind::Str && a[3]->kind == Kind::Str;
    if (!shape) fail("pickle persistent id is " + describe(pid) + ", not ('storage', type, key, location, numel)");
    if (a[1]->kind != Kind::Global || a[1]->global != Global::StorageType)
      fail("persistent id of storage '" + printable(a[2]->s) + "' names " + describe(*a[1]) + ", not a storage type");
    Storage s;
    s.key = a[2]->s;
    s.dtype = a[1]->dtype;
    s.numel = count(*a[4], "storage numel");
    s.view_numel = s.numel;
    s.byte = rel(op_at_);
    if (a.size() == 6 && a[5]->kind != Kind::None) {  // legacy view: (view_key, offset, numel)
      const Object& v = *a[5];
      if (v.kind != Kind::Tuple || v.items.size() != 3 || v.items[0]->kind != Kind::Str)
        fail("storage '" + printable(s.key) + "' has view metadata " + describe(v) + ", not (key, offset, numel)");
      s.view_offset = count(*v.items[1], "storage view offset");
      s.view_numel = count(*v.items[2], "storage view numel");
      if (s.view_offset > s.numel || s.view_numel > s.numel - s.view_offset)
        fail("storage view [" + std::to_string(s.view_offset) + ", +" + std::to_string(s.view_numel) +
             ") lies outside its storage '" + printable(s.key) + "' of " + std::to_string(s.numel) + " elements");
    }
    p_.storages.push_back(std::move(s));
    Object* o = make(Kind::Storage);
    o->i = static_cast<int64_t>(p_.storages.size() - 1);
    return o;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  // _rebuild_tensor_v3(..., backward_hooks, dtype[, metadata])
  Object* tensor(const std::string& fn, const std::vector<const Object*>& a, bool v3) {
    const size_t n = v3 ? 7 : 6;
    if (a.size() != n && a.size() != n + 1)
      fail(fn + " called with " + std::to_string(a.size()) + " arguments instead of " + std::to_string(n) + " or " +
           std::to_string(n + 1));
    if (a[0]->kind != Kind::Storage) fail(fn + " storage argument is " + describe(*a[0]) + ", not a storage");
    Tensor t;
    t.storage = static_cast<size_t>(a[0]->i);
    t.dtype = p_.storages[t.storage].dtype;
    t.offset = count(*a[1], fn + " storage_offset");
    t.shape = counts(*a[2], fn + " size");
    t.stride = counts(*a[3], fn + " stride");
    t.byte = rel(op_at_);
    if (t.shape.size() != t.stride.size())
      fail(fn + " size has " + std::to_string(t.shape.size()) + " dimensions but stride has " +
           std::to_string(t.stride.size()));
    if (a[4]->kind != Kind::Bool) fail(fn + " requires_grad is " + describe(*a[4]) + ", not a bool");
    if (v3) {
      if (a[6]->kind != Kind::Global || a[6]->global != Global::DtypeObject)
        fail(fn + " dtype is " + describe(*a[6]) + ", not a torch dtype");
      t.dtype = a[6]->dtype;
    }
    p_.tensors.push_back(std::move(t));
    Object* o = make(Kind::Tensor);
    o->i = static_cast<int64_t>(p_.tensors.size() - 1);
    return o;
  }

  Object* call(const Object& fn, const Object& args) {
    if (fn.kind != Kind::Global)
      fail("refused pickle REDUCE of " + describe(fn), "only tensor-rebuilding calls are allowed");
    if (args.kind != Kind::Tuple) fail("pickle REDUCE of '" + fn.s + "' has arguments " + describe(args) + ", not a tuple");
    const auto& a = args.items;
    switch (fn.global) {
      case Global::OrderedDict: {
        Object* d = make(Kind::Dict);
        d->ordered = true;
        if (a.empty()) return d;
        if (a.size() == 1 && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
          for (const Object* pair : a[0]->items) {
            if ((pair->kind != Kind::Tuple && pair->kind != Kind::List) || pair->items.size() != 2)
              fail("collections.OrderedDict item is " + describe(*pair) + ", not a (key, value) pair");
            set_item(d, pair->items[0], pair->items[1]);
          }
          return d;
        }
        fail("collections.OrderedDict called with arguments it does not take from a state dict");
      }
      case Global::RebuildTensorV2: return tensor(fn.s, a, false);
      case Global::RebuildTensorV3: return tensor(fn.s, a, true);
      case Global::RebuildParameter:
      case Global::RebuildParameterWithState: {
        // (data, requires_grad, backward_hooks[, state]): the parameter is its data tensor.
        const size_t n = fn.global == Global::RebuildParameter ? 3 : 4;
        if (a.size() != n || a[0]->kind != Kind::Tensor)
          fail(fn.s + " called with " + std::to_string(a.size()) + " arguments, not a tensor and " +
               std::to_string(n - 1) + " more");
        Object* o = make(Kind::Tensor);
        o->i = a[0]->i;
        return o;
      }
      case Global::Size: {
        if (a.size() != 1) fail("torch.Size called with " + std::to_string(a.size()) + " arguments instead of 1");
        counts(*a[0], "torch.Size argument");
        Object* t = make(Kind::Tuple);
        for (const Object* d : a[0]->items) add(t, d);
        return t;
      }
      case Global::Device: {
        if (a.empty() || a.size() > 2 || a[0]->kind != Kind::Str || (a.size() == 2 && a[1]->kind != Kind::Int))
          fail("torch.device called with arguments other than (type[, index])");
        Object* o = make(Kind::Str);
        o->s = a[0]->s + (a.size() == 2 ? ":" + std::to_string(a[1]->i) : "");
        return o;
      }
      case Global::CodecsEncode: return latin1(a);
      case Global::StorageType:
      case Global::DtypeObject: break;
    }
    fail("refused pickle REDUCE of '" + fn.s + "'", "only tensor-rebuilding calls are allowed");
  }

  // _codecs.encode(text, 'latin1'): a bytes value, each code point one byte.
  Object* latin1(const std::vector<const Object*>& a) {
    if (a.size() != 2 || a[0]->kind != Kind::Str || a[1]->kind != Kind::Str || (a[1]->s != "latin1" && a[1]->s != "latin-1"))
      fail("_codecs.encode called with arguments other than (str, 'latin1')");
    Object* o = make(Kind::Bytes);
    const std::string& s = a[0]->s;  // valid UTF-8
    for (size_t i = 0; i < s.size(); ++i) {
      const auto b = static_cast<unsigned char>(s[i]);
      if (b < 0x80) {
        o->s += static_cast<char>(b);
      } else if ((b == 0xC2 || b == 0xC3) && i + 1 < s.size()) {
        o->s += static_cast<char>(((b & 0x03) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F));
      } else {
        fail("_codecs.encode text has a character above U+00FF, which latin1 cannot encode");
      }
    }
    return o;
  }

  void memo_put(uint64_t index) {
    if (index >= lim_.max_memo) limit("pickle memo index " + std::to_string(index));
    Object* value = top();
    if (index >= memo_.size()) memo_.resize(static_cast<size_t>(index) + 1, nullptr);
    if (!memo_[index]) ++memo_count_;
    memo_[index] = value;
  }

  Object* memo_get(uint64_t index) const {
    if (index >= memo_.size() || !memo_[index]) fail("pickle memo entry " + std::to_string(index) + " is read before it is set");
    return memo_[index];
  }

  void step(uint8_t op) {
    switch (op) {
      case PROTO: {
        need(1);
        const int v = c_.byte();
        if (v < 2 || v > 5) fail("pickle protocol " + std::to_string(v) + " is not supported (torch writes 2)");
        return;
      }
      case FRAME:  // protocol 4 framing: the frame's opcodes follow inline
        need(8);
        if (c_.le(8) > c_.remaining()) fail("pickle frame runs past the end of the pickle (truncated file?)");
        return;
      case MARK:
        if (marks_.size() >= static_cast<size_t>(lim_.max_depth))
          limit("pickle opens more than " + std::to_string(lim_.max_depth) + " nested MARKs");
        marks_.push_back(stack_.size());
        return;
      case POP: pop(); return;
      case POP_MARK: pop_mark(); return;
      case DUP: push(top()); return;
      case NONE: push(none_); return;
      case NEWTRUE: push(true_); return;
      case NEWFALSE: push(false_); return;
      case BININT: need(4); push(integer(static_cast<int32_t>(c_.le(4)))); return;
      case BININT1: need(1); push(integer(c_.byte())); return;
      case BININT2: need(2); push(integer(static_cast<int64_t>(c_.le(2)))); return;
      case LONG1: need(1); push(long_int(c_.byte())); return;
      case LONG4: {
        need(4);
        const auto n = static_cast<int32_t>(c_.le(4));
        if (n < 0) fail("pickle LONG4 has a negative length");
        push(long_int(static_cast<uint64_t>(n)));
        return;
      }
      case BINFLOAT: {
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | c_.byte();  // big-endian
        Object* o = make(Kind::Float);
        std::memcpy(&o->f, &bits, sizeof bits);
        push(o);
        return;
      }
      case SHORT_BINUNICODE: need(1); push(text(c_.byte())); return;
      case BINUNICODE: need(4); push(text(c_.le(4))); return;
      case BINUNICODE8: need(8); push(text(c_.le(8))); return;
      case SHORT_BINSTRING: need(1); push(text(c_.byte())); return;  // Python 2 str, read as text
      case BINSTRING: {
        need(4);
        const auto n = static_cast<int32_t>(c_.le(4));
        if (n < 0) fail("pickle BINSTRING has a negative length");
        push(text(static_cast<uint64_t>(n)));
        return;
      }
      case SHORT_BINBYTES: need(1); push(bytes(c_.byte())); return;
      case BINBYTES: need(4); push(bytes(c_.le(4))); return;
      case BINBYTES8: need(8); push(bytes(c_.le(8))); return;
      case BYTEARRAY8: need(8); push(bytes(c_.le(8))); return;
      case EMPTY_TUPLE: push(make(Kind::Tuple)); return;
      case TUPLE: push(container(Kind::Tuple, pop_mark())); return;
      case TUPLE1:
      case TUPLE2:
      case TUPLE3: {
        std::vector<Object*> items(static_cast<size_t>(op - TUPLE1 + 1));
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(container(Kind::Tuple, items));
        return;
      }
      case EMPTY_LIST: push(make(Kind::List)); return;
      case LIST: push(container(Kind::List, pop_mark())); return;
      case APPEND: {
        Object* v = pop();
        add(list_target("APPEND", Kind::List), v);
        return;
      }
      case APPENDS: {
        const std::vector<Object*> items = pop_mark();
        Object* l = list_target("APPENDS", Kind::List);
        for (const Object* v : items) add(l, v);
        return;
      }
      case EMPTY_DICT: push(make(Kind::Dict)); return;
      case DICT: {
        const std::vector<Object*> items = pop_mark();
        if (items.size() % 2) fail("pickle DICT has an odd number of keys and values");
        Object* d = make(Kind::Dict);
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        push(d);
        return;
      }
      case SETITEM: {
        Object* v = pop();
        Object* k = pop();
        set_item(dict_target("SETITEM"), k, v);
        return;
      }
      case SETITEMS: {
        const std::vector<Object*> items = pop_mark();
        if (items.size() % 2) fail("pickle SETITEMS has an odd number of keys and values");
        Object* d = dict_target("SETITEMS");
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        return;
      }
      case EMPTY_SET: push(make(Kind::Set)); return;
      case ADDITEMS: {
        const std::vector<Object*> items = pop_mark();
        Object* s = list_target("ADDITEMS", Kind::Set);
        for (const Object* v : items) add(s, v);
        return;
      }
      case FROZENSET: push(container(Kind::Set, pop_mark())); return;
      case GLOBAL: {
        const std::string module = line();
        push(global(module, line()));
        return;
      }
      case STACK_GLOBAL: {
        const Object* name = pop();
        const Object* module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str)
          fail("pickle STACK_GLOBAL names are " + describe(*module) + " and " + describe(*name) + ", not two str");
        push(global(module->s, name->s));
        return;
      }
      case REDUCE: {
        const Object* args = pop();
        const Object* fn = pop();
        push(call(*fn, *args));
        return;
      }
      case BUILD: {
        pop();  // the state
        const Object* target = top();
        // An OrderedDict's state is its instance __dict__ (a state dict's `_metadata`): data.
        if (target->kind != Kind::Dict || !target->ordered)
          fail("refused pickle BUILD of " + describe(*target), "only an OrderedDict's attributes may be set");
        return;
      }
      case NEWOBJ:
      case NEWOBJ_EX: {
        if (op == NEWOBJ_EX) pop();  // kwargs
        pop();                       // args: OrderedDict.__new__ ignores them
        const Object* cls = pop();
        if (cls->kind != Kind::Global || cls->global != Global::OrderedDict)
          fail("refused pickle " + std::string(op == NEWOBJ ? "NEWOBJ" : "NEWOBJ_EX") + " of " + describe(*cls),
               "only tensor-rebuilding globals are allowed");
        Object* d = make(Kind::Dict);
        d->ordered = true;
        push(d);
        return;
      }
      case BINPERSID: push(persistent(*pop())); return;
      case BINGET: need(1); push(memo_get(c_.byte())); return;
      case LONG_BINGET: need(4); push(memo_get(c_.le(4))); return;
      case BINPUT: need(1); memo_put(c_.byte()); return;
      case LONG_BINPUT: need(4); memo_put(c_.le(4)); return;
      case MEMOIZE: memo_put(memo_count_); return;
      case INST:
      case OBJ:
        fail(std::string("refused pickle opcode ") + (op == INST ? "INST" : "OBJ"),
             "it instantiates a class; only tensor-rebuilding globals are allowed");
      case EXT1:
      case EXT2:
      case EXT4:
        fail("refused pickle opcode EXT" + std::to_string(op == EXT1 ? 1 : op == EXT2 ? 2 : 4),
             "it names a global through the copyreg extension registry; only tensor-rebuilding globals are allowed");
      case PERSID:
      case NEXT_BUFFER:
      case READONLY_BUFFER:
      default:
        fail("unsupported pickle opcode " + opcode_text(op), "not one a torch.save state dict uses");
    }
  }

  ByteCursor& c_;
  const std::string& file_;
  const std::string& where_;
  const Limits lim_;
  Pickle p_;
  std::vector<Object*> stack_;
  std::vector<size_t> marks_;
  std::vector<Object*> memo_;
  uint64_t memo_count_ = 0;
  size_t items_ = 0;
  uint64_t string_bytes_ = 0;
  uint64_t op_at_ = 0;
  Object *none_ = nullptr, *true_ = nullptr, *false_ = nullptr;
};

}  // namespace

Pickle unpickle(ByteCursor& c, const std::string& file, const std::string& where, const Limits& limits) {
  return Machine(c, file, where, limits).run();
}

const Object* dict_get(const Object& dict, std::string_view key) {
  if (dict.kind != Kind::Dict || !dict.str_keys) return nullptr;
  const auto it = dict.str_keys->find(std::string(key));
  return it == dict.str_keys->end() ? nullptr : dict.items[it->second + 1];
}

std::string describe(const Object& o) {
  switch (o.kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int:
    case Kind::BigInt: return "an int";
    case Kind::Float: return "a float";
    case Kind::Str: return "a str";
    case Kind::Bytes: return "a bytes value";
    case Kind::Tuple: return "a tuple";
    case Kind::List: return "a list";
    case Kind::Dict: return o.ordered ? "an OrderedDict" : "a dict";
    case Kind::Set: return "a set";
    case Kind::Global: return "'" + printable(o.s) + "'";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
  }
  return "a value";
}

}  // namespace ws::pickle
