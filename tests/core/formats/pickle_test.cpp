// The restricted unpickler on pickles written opcode by opcode (CPython Lib/pickletools.py):
// the data values a state dict and its checkpoint carry, the globals it interprets, and every way
// it refuses: other globals, calls, instantiation, and pickle bombs against each limit.
#include <catch2/catch.hpp>

#include "formats/pickle.h"
#include "io/input_error.h"
#include "support/formats_test_util.h"
#include "support/pytorch_builder.h"

using Catch::Contains;
using wstest::input_error;
using wstest::Pickler;
namespace pk = ws::pickle;

namespace {

struct Run {
  std::unique_ptr<ws::ByteSource> src;
  pk::Pickle p;
};

Run run(const std::vector<uint8_t>& bytes, const pk::Limits& limits = {}) {
  Run r{ws::memory_source(bytes, "test.pt"), {}};
  ws::ByteCursor c(*r.src, 0, bytes.size());
  r.p = pk::unpickle(c, "test.pt", "data.pkl", limits);
  return r;
}

std::string error(const std::vector<uint8_t>& bytes, const pk::Limits& limits = {}) {
  return input_error([&] { run(bytes, limits); });
}

std::vector<uint8_t> repeat(std::vector<uint8_t> head, const std::string& unit, size_t n, const std::string& tail) {
  for (size_t i = 0; i < n; ++i) head.insert(head.end(), unit.begin(), unit.end());
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

TEST_CASE("pickle: data values of a checkpoint come out as data", "[formats][pickle]") {
  Pickler p;
  p.proto(2).op('}').mark();
  p.str("int").integer(-5).str("big").integer(int64_t{1} << 40).str("neg1").op(0x8a).op(1).op(0xff);
  p.str("long1_zero").op(0x8a).op(0).str("float").binfloat(0.1).str("true").boolean(true).str("none").none();
  p.str("list").op(']').mark().integer(1).integer(2).op('e');
  p.str("tuple").integer(7).integer(8).op(0x86);
  p.str("int_keys").op('}').integer(0).str("a").op('s');
  p.str("set").op(0x8f).mark().integer(3).op(0x90);
  p.str("bytes").global("_codecs", "encode").str("\xc3\xbf" "A").str("latin1").op(0x86).op('R');
  p.str("device").global("torch", "device").str("cuda").integer(1).op(0x86).op('R');
  p.str("size").global("torch", "Size").integer(4).integer(5).op(0x86).op(0x85).op('R');
  p.str("int").integer(6);  // a repeated key replaces the value in place, as in a Python dict
  p.op('u');
  const Run r = run(p.done());
  const pk::Object& d = *r.p.root;
  REQUIRE(d.kind == pk::Kind::Dict);
  CHECK(d.items.size() == 2 * 14);
  CHECK(d.items[0]->s == "int");
  CHECK(pk::dict_get(d, "int")->i == 6);
  CHECK(pk::dict_get(d, "big")->i == int64_t{1} << 40);
  CHECK(pk::dict_get(d, "neg1")->i == -1);
  CHECK(pk::dict_get(d, "long1_zero")->i == 0);
  CHECK(pk::dict_get(d, "float")->f == 0.1);
  CHECK(pk::dict_get(d, "true")->kind == pk::Kind::Bool);
  CHECK(pk::dict_get(d, "true")->i == 1);
  CHECK(pk::dict_get(d, "none")->kind == pk::Kind::None);
  CHECK(pk::dict_get(d, "list")->items.size() == 2);
  CHECK(pk::dict_get(d, "tuple")->items[1]->i == 8);
  CHECK(pk::dict_get(d, "int_keys")->items[0]->i == 0);
  CHECK(pk::dict_get(d, "set")->kind == pk::Kind::Set);
  CHECK(pk::dict_get(d, "bytes")->s == std::string("\xff" "A"));
  CHECK(pk::dict_get(d, "device")->s == "cuda:1");
  CHECK(pk::dict_get(d, "size")->items.size() == 2);
  CHECK(pk::dict_get(d, "missing") == nullptr);
}

TEST_CASE("pickle: memo, protocol 4 framing and STACK_GLOBAL", "[formats][pickle]") {
  Pickler p;
  p.proto(4).op(0x95);
  wstest::put_le(p.b, 0, 8);  // FRAME length (unchecked beyond the end of input)
  p.op(0x8c).op(11).raw("collections").op(0x94).op(0x8c).op(11).raw("OrderedDict").op(0x94).op(0x93).op(0x94);
  p.op(')').op('R').op(0x94);  // OrderedDict() memoized as entry 3
  p.op('h').op(3).str("k").op(0x8c).op(1).raw("v").op('s').op('0');  // SETITEM through a memo copy, POP it
  const Run r = run(p.done());
  REQUIRE(r.p.root->kind == pk::Kind::Dict);
  CHECK(r.p.root->ordered);
  CHECK(pk::dict_get(*r.p.root, "k")->s == "v");
}

TEST_CASE("pickle: storages and tensors are rebuilt as descriptions", "[formats][pickle]") {
  wstest::TensorSpec t{"w", "HalfStorage", "7", 12, {2, 3}, {}, 6, true};
  const Run r = run(wstest::state_dict_pickle({t}));
  REQUIRE(r.p.tensors.size() == 1);
  const pk::Tensor& x = r.p.tensors[0];
  CHECK(x.dtype == ws::Dtype::F16);
  CHECK(x.offset == 6);
  CHECK(x.shape == std::vector<uint64_t>{2, 3});
  CHECK(x.stride == std::vector<uint64_t>{3, 1});
  const pk::Storage& s = r.p.storages.at(x.storage);
  CHECK(s.key == "7");
  CHECK(s.numel == 12);
  CHECK(s.view_numel == 12);
  CHECK(pk::dict_get(*r.p.root, "w")->kind == pk::Kind::Tensor);  // the parameter is its data tensor
}

TEST_CASE("pickle: any other global, call or instantiation is refused by name", "[formats][pickle]") {
  // REDUCE of os.system, eval, subprocess: refused at the GLOBAL, before anything could be called.
  CHECK(error(Pickler().proto(2).global("os", "system").str("echo hi").op(0x85).op('R').done()) ==
        "test.pt: refused pickle global 'os.system' at byte 2 of data.pkl: only tensor-rebuilding globals are allowed");
  CHECK_THAT(error(Pickler().proto(4).op(0x8c).op(8).raw("builtins").op(0x8c).op(4).raw("eval").op(0x93).done()),
             Contains("refused pickle global 'builtins.eval' at byte 18 of data.pkl"));
  CHECK_THAT(error(Pickler().proto(2).global("subprocess", "Popen").done()), Contains("refused pickle global 'subprocess.Popen'"));
  CHECK_THAT(error(Pickler().proto(2).global("torch.nn.modules.linear", "Linear").done()),
             Contains("refused pickle global 'torch.nn.modules.linear.Linear'"));
  CHECK_THAT(error(Pickler().proto(2).global("torch._utils", "_rebuild_qtensor").done()),
             Contains("refused pickle global 'torch._utils._rebuild_qtensor'"));
  CHECK_THAT(error(Pickler().proto(2).global("os\x1b[2J", "system").done()), Contains("'os\\x1b[2J.system'"));
  // Allowed globals that are not calls, and values that are not globals, are no REDUCE target.
  CHECK_THAT(error(Pickler().proto(2).global("torch", "FloatStorage").op(')').op('R').done()),
             Contains("refused pickle REDUCE of 'torch.FloatStorage' at byte 23 of data.pkl: only tensor-rebuilding calls are allowed"));
  CHECK_THAT(error(Pickler().proto(2).str("os.system").op(')').op('R').done()), Contains("refused pickle REDUCE of a str"));
  CHECK_THAT(error(Pickler().proto(2).global("torch", "FloatStorage").op(')').op(0x81).done()),
             Contains("refused pickle NEWOBJ of 'torch.FloatStorage'"));
  CHECK_THAT(error(Pickler().proto(2).op('}').op('}').op('b').done()),
             Contains("refused pickle BUILD of a dict at byte 4 of data.pkl: only an OrderedDict's attributes may be set"));
  CHECK_THAT(error(Pickler().proto(2).op(']').none().none().op('s').done()), Contains("refused pickle SETITEM on a list"));
  CHECK_THAT(error(Pickler().proto(2).mark().raw("ios\nsystem\n").done()), Contains("refused pickle opcode INST at byte 3"));
  CHECK_THAT(error(Pickler().proto(2).none().none().op('o').done()), Contains("refused pickle opcode OBJ"));
  CHECK_THAT(error(Pickler().proto(2).op(0x82).op(1).done()), Contains("refused pickle opcode EXT1"));
  CHECK_THAT(error(Pickler().proto(2).raw("I1\n").done()), Contains("unsupported pickle opcode 0x49 'I' at byte 2"));
  CHECK_THAT(error(Pickler().proto(6).done()), Contains("pickle protocol 6 is not supported"));
  // An OrderedDict's BUILD state (a state dict's _metadata) is data and accepted.
  CHECK(run(Pickler().proto(2).ordered_dict().op('}').op('b').done()).p.root->kind == pk::Kind::Dict);
}

TEST_CASE("pickle: malformed persistent ids and rebuild arguments", "[formats][pickle]") {
  CHECK_THAT(error(Pickler().proto(2).str("x").op('Q').done()),
             Contains("pickle persistent id is a str, not ('storage', type, key, location, numel)"));
  CHECK_THAT(error(Pickler().proto(2).mark().str("storage").global("torch", "float32").str("0").str("cpu").integer(4).op('t').op('Q').done()),
             Contains("persistent id of storage '0' names 'torch.float32', not a storage type"));
  Pickler args;
  args.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark().str("not a storage").integer(0);
  CHECK_THAT(error(args.op('t').op('R').done()), Contains("_rebuild_tensor_v2 called with 2 arguments instead of 6 or 7"));
  Pickler neg;
  neg.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark();
  neg.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(4).op('t').op('Q');
  neg.integer(-1).tuple_of({4}).tuple_of({1}).boolean(false).none().op('t').op('R');
  CHECK_THAT(error(neg.done()), Contains("torch._utils._rebuild_tensor_v2 storage_offset is an int, not a non-negative int"));
}

TEST_CASE("pickle: truncated and inconsistent pickles", "[formats][pickle]") {
  CHECK(error(Pickler().proto(2).op('}').b) ==
        "test.pt: pickle is cut short at byte 3 of data.pkl: it ends before its STOP opcode (truncated file?)");
  CHECK_THAT(error(Pickler().proto(2).str("abc").b), Contains("pickle is cut short"));
  std::vector<uint8_t> cut = Pickler().proto(2).op('X').b;
  wstest::put_le(cut, 1000, 4);
  CHECK_THAT(error(cut), Contains("pickle is cut short at byte 2"));
  CHECK_THAT(error(Pickler().proto(2).done()), Contains("pickle stops with 0 values on its stack instead of 1"));
  CHECK_THAT(error(Pickler().proto(2).op('0').done()), Contains("pickle pops from an empty stack"));
  CHECK_THAT(error(Pickler().proto(2).mark().op('0').done()), Contains("pickle pops from an empty stack"));
  CHECK_THAT(error(Pickler().proto(2).op('e').done()), Contains("needs a MARK but none is open"));
  CHECK_THAT(error(Pickler().proto(2).none().get(5).done()), Contains("pickle memo entry 5 is read before it is set"));
  CHECK_THAT(error(Pickler().proto(2).op(0x8c).op(1).op(0xff).done()), Contains("pickle string is not valid UTF-8"));
  CHECK_THAT(error(Pickler().proto(2).op('}').op(']').none().op('s').done()), Contains("pickle uses a list as a dict key"));
}

TEST_CASE("pickle: bombs stop at a limit with a clear error", "[formats][pickle]") {
  const std::vector<uint8_t> proto = Pickler().proto(2).b;
  // Deep nesting: lists in lists, tuples in tuples, open MARKs.
  CHECK_THAT(error(repeat(repeat(proto, "]", 300, ""), "a", 299, ".")),
             Contains("pickle nests containers deeper than 200 levels at byte"));
  CHECK_THAT(error(repeat(repeat(proto, "N", 1, ""), "\x85", 300, ".")), Contains("nests containers deeper than 200 levels"));
  CHECK_THAT(error(repeat(proto, "(", 100000, ".")),
             Contains("pickle opens more than 200 nested MARKs at byte 202 of data.pkl: over the reader's limit, which "
                      "bounds hostile input (a pickle bomb?)"));
  // A huge memo: one far index, or many entries.
  std::vector<uint8_t> far = Pickler().proto(2).none().op('r').b;
  wstest::put_le(far, 0xFFFFFFF0, 4);
  far.push_back('.');
  CHECK_THAT(error(far), Contains("pickle memo index 4294967280 at byte 3"));
  pk::Limits small;
  small.max_memo = 100;
  CHECK_THAT(error(repeat(repeat(proto, "N", 1, ""), "\x94", 101, "."), small), Contains("pickle memo index 100"));
  // Growth: a list, a dict, the stack, objects, string bytes.
  small.max_items = 1000;
  CHECK_THAT(error(repeat(repeat(proto, "]", 1, ""), "Na", 1001, "."), small),
             Contains("pickle containers hold more than 1000 elements"));
  CHECK_THAT(error(repeat(repeat(proto, "}", 1, ""), "K\x01Ns", 501, "."), small), Contains("hold more than 1000 elements"));
  // A list appended to itself through the memo is a cycle: its depth grows until the limit.
  CHECK_THAT(error(repeat(repeat(proto, std::string("]q\0", 3), 1, ""), std::string("h\0a", 3), 300, ".")), Contains("nests containers deeper"));
  CHECK_THAT(error(repeat(proto, "N", 1001, "."), small), Contains("pickle stack grows beyond 1000 values"));
  small.max_objects = 100;
  CHECK_THAT(error(repeat(proto, ")0", 200, "N."), small), Contains("pickle builds more than 100 objects"));
  std::vector<uint8_t> huge = Pickler().proto(4).op(0x8d).b;  // BINUNICODE8 of 1 TiB: refused before any allocation
  wstest::put_le(huge, uint64_t{1} << 40, 8);
  CHECK_THAT(error(huge), Contains("pickle strings add up to more than 268435456 bytes"));
  std::vector<uint8_t> long4 = Pickler().proto(2).op(0x8b).b;
  wstest::put_le(long4, 1 << 20, 4);
  CHECK_THAT(error(long4), Contains("pickle int of 1048576 bytes"));
}
