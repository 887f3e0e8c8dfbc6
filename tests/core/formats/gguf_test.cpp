// GGUF: files built byte by byte (every value type, the layout rules, each malformed case with its
// message), the shared fixtures written by llama.cpp's gguf-py against their reference tensor list
// (shapes, types, offsets, sha256 of the dequantized float32 values), the F16 file against the
// safetensors originals, and the micro models analyzed against weightwatcher on the same values.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "analysis/analysis.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "support/formats_test_util.h"
#include "support/load_json.h"
#include "support/reference_layers.h"
#include "support/sha256.h"
#include "support/test_model_builder.h"

using wstest::input_error;

namespace {

// ---- a GGUF writer for the tests (little-endian, like the files) ----

template <typename T>
void put(std::vector<uint8_t>& b, T v) {
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof v);
  b.insert(b.end(), raw, raw + sizeof raw);
}

void put_str(std::vector<uint8_t>& b, const std::string& s) {
  put<uint64_t>(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}

enum : uint32_t { U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 };

struct Kv {
  std::string key;
  uint32_t type;
  std::vector<uint8_t> value;  // the bytes after the type
};

template <typename T>
Kv kv(const std::string& key, uint32_t type, T v) {
  Kv k{key, type, {}};
  put(k.value, v);
  return k;
}

Kv kv_str(const std::string& key, const std::string& v) {
  Kv k{key, STRING, {}};
  put_str(k.value, v);
  return k;
}

struct Tensor {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type;
  uint64_t offset;
};

struct File {
  uint32_t version = 3;
  std::vector<Kv> kvs;
  std::vector<Tensor> tensors;
  std::vector<uint8_t> data;  // the data section
  uint32_t alignment = 32;    // where the data section starts (the file's general.alignment, if any, is a kv)
  bool pad = true;            // pad the tensor infos to the alignment

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b = {'G', 'G', 'U', 'F'};
    put<uint32_t>(b, version);
    put<uint64_t>(b, tensors.size());
    put<uint64_t>(b, kvs.size());
    for (const Kv& k : kvs) {
      put_str(b, k.key);
      put<uint32_t>(b, k.type);
      b.insert(b.end(), k.value.begin(), k.value.end());
    }
    for (const Tensor& t : tensors) {
      put_str(b, t.name);
      put<uint32_t>(b, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) put<uint64_t>(b, d);
      put<uint32_t>(b, t.type);
      put<uint64_t>(b, t.offset);
    }
    while (pad && b.size() % alignment) b.push_back(0);
    b.insert(b.end(), data.begin(), data.end());
    return b;
  }
};

ws::GgufFile parse(const std::vector<uint8_t>& bytes, const std::string& name = "model.gguf") {
  auto src = ws::memory_source(bytes, name);
  return ws::parse_gguf(*src, 2);
}

std::string parse_error(const File& f) {
  return input_error([&] { parse(f.bytes()); });
}

uint16_t f16_bits(float v) {  // exact for the small values used here
  _Float16 h = static_cast<_Float16>(v);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}

// One Q8_0 block: d, then 32 signed quants.
std::vector<uint8_t> q8_0_block(float d, int8_t first) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, f16_bits(d));
  for (int i = 0; i < 32; ++i) put<int8_t>(b, static_cast<int8_t>(first + i));
  return b;
}

// ---- the fixtures ----

using ws_test::load_json;

// The tensor as the little-endian float32 values the reference hashed: dequantized blocks as
// read_tensor gives them, element types widened exactly.
std::vector<uint8_t> float32_bytes(const std::vector<uint8_t>& data, const ws::TensorInfo& t) {
  if (t.dtype == ws::Dtype::F32) return data;
  const size_t n = static_cast<size_t>(t.nbytes * 8 / ws::dtype_bits(t.dtype));
  std::vector<uint8_t> out(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float v = ws::decode_element_f32(data.data(), t.dtype, i);
    std::memcpy(out.data() + 4 * i, &v, 4);
  }
  return out;
}

const char* const kMicro[] = {"f16", "q8_0", "q4_0", "q4_k", "q6_k"};

std::string micro_path(const std::string& type) {
  return wstest::fixture("gguf/nsfwjs_mobilenet_v2_micro_" + type + ".gguf");
}

// Every tensor of a fixture against its *_tensors.json: name, order, shape, type, place, values.
void check_against_tensor_list(const std::string& path, const nlohmann::json& ref) {
  ws::ModelInput m = ws::open_model_paths({path});
  CHECK(m.format == "gguf");
  auto src = ws::open_file_source(path);
  const ws::GgufFile f = ws::parse_gguf(*src);
  CHECK(f.version == ref["gguf_version"]);
  CHECK(f.alignment == ref["alignment"]);
  CHECK(f.data_offset == ref["data_section_offset"]);
  REQUIRE(m.tensors.size() == ref["tensors"].size());
  // The reference lists tensors in data order, as the file stores them.
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    const ws::TensorInfo& t = m.tensors[i];
    const auto& r = ref["tensors"][i];
    INFO("tensor " << r["gguf_name"]);
    CHECK(t.name == r["gguf_name"]);
    CHECK(t.shape == r["shape"].get<std::vector<uint64_t>>());
    CHECK(t.storage == r["ggml_type"]);
    CHECK(t.offset - f.data_offset == r["offset"]);
    CHECK(t.file_nbytes() == r["nbytes"]);
    std::vector<uint8_t> stored(t.file_nbytes());
    src->read(t.offset, stored.data(), stored.size());
    CHECK(ws_test::sha256_hex(stored) == r["stored_sha256"]);
    CHECK(ws_test::sha256_hex(float32_bytes(ws::read_tensor(m, t), t)) == r["dequant_sha256"]);
  }
}

}  // namespace

TEST_CASE("sha256 helper: FIPS 180-4 test vectors", "[gguf]") {
  const std::string abc = "abc", two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(ws_test::sha256_hex(nullptr, 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ws_test::sha256_hex(reinterpret_cast<const uint8_t*>(abc.data()), abc.size()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(ws_test::sha256_hex(reinterpret_cast<const uint8_t*>(two_blocks.data()), two_blocks.size()) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("gguf: a valid file gives row-major shapes, absolute offsets and its metadata as text", "[gguf]") {
  File f;
  f.version = 2;
  f.kvs = {kv_str("general.architecture", "llama"),
           kv<uint8_t>("a.u8", U8, 200),
           kv<int8_t>("a.i8", I8, -5),
           kv<uint16_t>("a.u16", U16, 65535),
           kv<int16_t>("a.i16", I16, -32768),
           kv<uint32_t>("a.u32", U32, 4000000000u),
           kv<int32_t>("a.i32", I32, -7),
           kv<float>("a.f32", F32, 1e-5f),
           kv<uint8_t>("a.bool", BOOL, 1),
           kv<uint64_t>("a.u64", U64, 18446744073709551615ull),
           kv<int64_t>("a.i64", I64, -9223372036854775807ll - 1),
           kv<double>("a.f64", F64, 0.1)};
  Kv small{"a.list", ARRAY, {}};
  put<uint32_t>(small.value, I32);
  put<uint64_t>(small.value, 3);
  for (int32_t v : {1, -2, 3}) put(small.value, v);
  Kv words{"a.words", ARRAY, {}};
  put<uint32_t>(words.value, STRING);
  put<uint64_t>(words.value, 2);
  put_str(words.value, "en");
  put_str(words.value, "say \"hi\"");
  Kv vocab{"tokenizer.ggml.tokens", ARRAY, {}};
  put<uint32_t>(vocab.value, STRING);
  put<uint64_t>(vocab.value, 1000);
  for (int i = 0; i < 1000; ++i) put_str(vocab.value, "tok" + std::to_string(i));
  Kv nested{"a.nested", ARRAY, {}};
  put<uint32_t>(nested.value, ARRAY);
  put<uint64_t>(nested.value, 2);
  for (int i = 0; i < 2; ++i) {
    put<uint32_t>(nested.value, U8);
    put<uint64_t>(nested.value, 1);
    put<uint8_t>(nested.value, 9);
  }
  f.kvs.insert(f.kvs.end(), {small, words, vocab, nested, kv_str("a.long", std::string(70000, 'x'))});
  // A [2, 3] float32 matrix (ne = [3, 2]), then a [2, 32] Q8_0 one at the next 32-byte boundary.
  f.tensors = {{"blk.0.attn_q.weight", {3, 2}, 0, 0}, {"blk.0.ffn_up.weight", {32, 2}, 8, 32}};
  for (float v : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}) put(f.data, v);
  f.data.resize(32, 0);
  for (const auto& blk : {q8_0_block(0.5f, -16), q8_0_block(-2.0f, 0)}) f.data.insert(f.data.end(), blk.begin(), blk.end());

  const std::vector<uint8_t> bytes = f.bytes();
  const ws::GgufFile g = parse(bytes);
  CHECK(g.version == 2);
  CHECK(g.alignment == 32);
  CHECK(g.data_offset % 32 == 0);
  CHECK(g.data_offset + f.data.size() == bytes.size());
  REQUIRE(g.tensors.size() == 2);
  const ws::TensorInfo &a = g.tensors[0], &q = g.tensors[1];
  CHECK(a.name == "blk.0.attn_q.weight");
  CHECK(a.shape == std::vector<uint64_t>{2, 3});
  CHECK(a.dtype == ws::Dtype::F32);
  CHECK(a.storage == "F32");
  CHECK(a.offset == g.data_offset);
  CHECK(a.nbytes == 24);
  CHECK(a.stored_nbytes == 0);
  CHECK(a.source_index == 2);
  CHECK(q.shape == std::vector<uint64_t>{2, 32});
  CHECK(q.storage == "Q8_0");
  CHECK(q.dtype == ws::Dtype::F32);
  CHECK(q.offset == g.data_offset + 32);
  CHECK(q.stored_nbytes == 68);
  CHECK(q.file_nbytes() == 68);
  CHECK(q.nbytes == 64 * 4);
  CHECK(q.unsupported.empty());

  const std::map<std::string, std::string> want = {
      {"general.architecture", "llama"}, {"a.u8", "200"}, {"a.i8", "-5"}, {"a.u16", "65535"}, {"a.i16", "-32768"},
      {"a.u32", "4000000000"}, {"a.i32", "-7"}, {"a.f32", "1e-05"}, {"a.bool", "true"},
      {"a.u64", "18446744073709551615"}, {"a.i64", "-9223372036854775808"}, {"a.f64", "0.1"},
      {"a.list", "[1, -2, 3]"}, {"a.words", "[\"en\", \"say \\\"hi\\\"\"]"},
      {"tokenizer.ggml.tokens", "(1000 string values)"}, {"a.nested", "(2 array values)"},
      {"a.long", "(string of 70000 bytes)"}};
  CHECK(g.metadata == want);

  // read_tensor: the float32 bytes as stored, the Q8_0 blocks as x = q * d.
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(bytes, "model.gguf"));
  ws::ModelInput m = ws::open_model(std::move(sources));
  CHECK(m.format == "gguf");
  CHECK(m.metadata.at("general.architecture") == "llama");
  const std::vector<uint8_t> qa = ws::read_tensor(m, m.tensors[1]);
  REQUIRE(qa.size() == 256);
  std::vector<float> v(64);
  std::memcpy(v.data(), qa.data(), qa.size());
  for (int i = 0; i < 32; ++i) {
    CHECK(v[i] == 0.5f * (i - 16));
    CHECK(v[32 + i] == -2.0f * i);
  }
}

TEST_CASE("gguf: general.alignment places the data; n_dims 0 is a scalar; names may repeat across keys and tensors",
          "[gguf]") {
  File f;
  f.alignment = 64;
  f.kvs = {kv<uint32_t>("general.alignment", U32, 64), kv_str("x", "y")};
  f.tensors = {{"x", {}, 0, 0}, {"b", {4}, 1, 64}};
  f.data.resize(64 + 8);
  const ws::GgufFile g = parse(f.bytes());
  CHECK(g.alignment == 64);
  CHECK(g.data_offset % 64 == 0);
  CHECK(g.metadata.at("general.alignment") == "64");
  CHECK(g.tensors[0].shape.empty());
  CHECK(g.tensors[0].nbytes == 4);
  CHECK(g.tensors[1].dtype == ws::Dtype::F16);
  CHECK(g.tensors[1].offset == g.data_offset + 64);
}

TEST_CASE("gguf: types that are not decoded are kept with a reason naming the type", "[gguf]") {
  File f;
  f.tensors = {{"a.weight", {256, 16}, 16, 0}, {"b.weight", {8, 4}, 24, 16 * 66}};  // IQ2_XXS, I8
  f.data.resize(16 * 66 + 32);
  const ws::GgufFile g = parse(f.bytes());
  const ws::TensorInfo& iq = g.tensors[0];
  CHECK(iq.storage == "IQ2_XXS");
  CHECK(iq.stored_nbytes == 16 * 66);
  CHECK(iq.shape == std::vector<uint64_t>{16, 256});
  CHECK(iq.unsupported ==
        "ggml type IQ2_XXS is not supported (weightscope decodes F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, "
        "Q3_K, Q4_K, Q5_K, Q6_K, F64, BF16)");
  CHECK(g.tensors[1].storage == "I8");
  CHECK(g.tensors[1].dtype == ws::Dtype::I8);

  // In an analysis both are skipped; their dtype is the ggml type.
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(f.bytes(), "m.gguf"));
  ws::Analysis an(ws::open_model(std::move(sources)), ws::AnalyzeOptions{});
  while (!an.done()) an.step();
  const nlohmann::json r = an.report();
  REQUIRE(r["skipped"].size() == 2);
  CHECK(r["skipped"][0]["dtype"] == "IQ2_XXS");
  CHECK(r["skipped"][0]["reason"] == iq.unsupported);
  CHECK(r["skipped"][1]["dtype"] == "I8");
  CHECK(r["skipped"][1]["reason"] == "dtype I8 is not a float type");
}

TEST_CASE("gguf: malformed headers are refused with a message that says where and what", "[gguf]") {
  const File ok = [] {
    File f;
    f.kvs = {kv_str("general.architecture", "llama")};
    f.tensors = {{"a", {4, 2}, 0, 0}, {"b", {4}, 0, 32}};
    f.data.resize(48);
    return f;
  }();
  REQUIRE_NOTHROW(parse(ok.bytes()));
  const std::vector<uint8_t> good = ok.bytes();

  SECTION("truncated anywhere in the header") {
    CHECK(input_error([&] { parse({'G', 'G', 'U'}); }) ==
          "model.gguf: byte 0: file is 3 bytes, too short for the 4-byte GGUF magic");
    CHECK(input_error([&] { parse({good.begin(), good.begin() + 12}); }) ==
          "model.gguf: byte 8: the file ends inside the header (tensor count) (8 bytes needed, 4 left; truncated?)");
    for (size_t cut = 24; cut < ok.bytes().size() - ok.data.size(); cut += 7) {
      INFO("cut at " << cut);
      const std::string e = input_error([&] { parse({good.begin(), good.begin() + cut}); });
      CHECK((e.find("truncated") != std::string::npos || e.find("more than the") != std::string::npos));
    }
  }
  SECTION("magic and version") {
    std::vector<uint8_t> b = good;
    b[3] = 'G';
    CHECK(input_error([&] { parse(b); }) ==
          "model.gguf: byte 0: not a GGUF file: it starts with bytes 47 47 55 47, not the magic \"GGUF\"");
    File f = ok;
    f.version = 1;
    CHECK(parse_error(f) == "model.gguf: byte 4: GGUF version 1 (32-bit counts, from before October 2023) is not "
                            "supported; convert the model again with a current llama.cpp");
    f.version = 4;
    CHECK(parse_error(f) == "model.gguf: byte 4: GGUF version 4 is not one this reader knows (2 and 3)");
    f.version = 0x03000000;
    CHECK(parse_error(f).find("a big-endian GGUF, which this reader does not read") != std::string::npos);
  }
  SECTION("hostile counts and lengths fail before anything is allocated or looped over") {
    std::vector<uint8_t> b = good;
    const uint64_t huge = 1ull << 62;
    std::memcpy(b.data() + 16, &huge, 8);  // n_kv
    CHECK(input_error([&] { parse(b); }).find("byte 16: the header says 4611686018427387904 key/value pairs, "
                                              "more than the ") != std::string::npos);
    b = good;
    std::memcpy(b.data() + 8, &huge, 8);  // n_tensors
    CHECK(input_error([&] { parse(b); }).find("byte 8: the header says 4611686018427387904 tensors, more than the ") !=
          std::string::npos);
    b = good;
    std::memcpy(b.data() + 24, &huge, 8);  // the first key's length
    CHECK(input_error([&] { parse(b); }) ==
          "model.gguf: byte 24: the key of key/value pair #0 is 4611686018427387904 bytes long, more than the " +
              std::to_string(good.size() - 32) + " bytes left in the file (truncated, or not a GGUF file?)");
    File f = ok;
    f.kvs = {kv_str("k", std::string(10, 'v'))};
    std::memcpy(f.kvs[0].value.data(), &huge, 8);  // the string value's length
    CHECK(parse_error(f).find("a string value of key 'k' is 4611686018427387904 bytes long, more than the") !=
          std::string::npos);
    Kv arr{"k", ARRAY, {}};
    put<uint32_t>(arr.value, U32);
    put<uint64_t>(arr.value, huge);
    f.kvs = {arr};
    CHECK(parse_error(f).find("key 'k': an array of 4611686018427387904 uint32 values cannot fit in the") !=
          std::string::npos);
    arr.value.clear();
    put<uint32_t>(arr.value, STRING);
    put<uint64_t>(arr.value, huge / 2);
    f.kvs = {arr};
    CHECK(parse_error(f).find("an array of 2305843009213693952 string values cannot fit") != std::string::npos);
  }
  SECTION("key/value errors") {
    File f = ok;
    f.kvs = {kv_str("", "v")};
    CHECK(parse_error(f) == "model.gguf: byte 24: the key of key/value pair #0 is empty");
    f.kvs = {kv_str("k", "v"), kv_str("k", "w")};
    CHECK(parse_error(f).find(": key 'k' appears twice") != std::string::npos);
    f.kvs = {Kv{"k", 13, {0}}};
    CHECK(parse_error(f) == "model.gguf: byte 33: key 'k': unknown value type 13 (GGUF defines 0-12)");
    f.kvs = {kv_str(std::string("k\xff", 2), "v")};
    CHECK(parse_error(f) == "model.gguf: byte 33: the key of key/value pair #0 is not valid UTF-8");
    f.kvs = {kv<uint64_t>("general.alignment", U64, 32)};
    CHECK(parse_error(f).find("general.alignment must be a uint32, not uint64") != std::string::npos);
    f.kvs = {kv<uint32_t>("general.alignment", U32, 48)};
    CHECK(parse_error(f).find("general.alignment = 48 is not a power of 2") != std::string::npos);
    Kv deep{"k", ARRAY, {}};
    for (int i = 0; i < 9; ++i) {
      put<uint32_t>(deep.value, ARRAY);
      put<uint64_t>(deep.value, 1);
    }
    deep.value.resize(deep.value.size() + 64);
    f.kvs = {deep};
    CHECK(parse_error(f).find("key 'k': arrays nest deeper than 8 levels") != std::string::npos);
    Kv bad_elem{"k", ARRAY, {}};
    put<uint32_t>(bad_elem.value, 77);
    put<uint64_t>(bad_elem.value, 0);
    f.kvs = {bad_elem};
    CHECK(parse_error(f).find("key 'k': array of unknown value type 77") != std::string::npos);
  }
  SECTION("tensor info errors") {
    File f = ok;
    f.tensors[1].ne = {1, 1, 1, 1, 1};
    CHECK(parse_error(f).find("tensor 'b': n_dims = 5, but ggml tensors have at most 4 dimensions") !=
          std::string::npos);
    f = ok;
    f.tensors[1].ne = {1ull << 63};
    CHECK(parse_error(f).find("tensor 'b': ne[0] = 9223372036854775808 is out of ggml's int64 range") !=
          std::string::npos);
    f = ok;
    f.tensors[1].type = 99;
    CHECK(parse_error(f).find("tensor 'b': unknown ggml type id 99") != std::string::npos);
    f.tensors[1].type = 31;
    CHECK(parse_error(f).find("tensor 'b': ggml type 31 (Q4_0_4_4) was removed from ggml") != std::string::npos);
    f = ok;
    f.tensors[1].name = "a";
    CHECK(parse_error(f) == "model.gguf: tensor name 'a' appears twice");
  }
  SECTION("dims: zero, overflowing, not whole blocks") {
    File f = ok;
    f.tensors[1].ne = {4, 0};
    CHECK(parse_error(f) == "model.gguf: tensor 'b': ne [4, 0] has a zero dimension (an empty tensor)");
    f.tensors[1].ne = {1ull << 32, 1ull << 31};
    CHECK(parse_error(f) == "model.gguf: tensor 'b': ne [4294967296, 2147483648] holds more than 2^63 - 1 elements");
    f.tensors[1].ne = {1ull << 40, 1ull << 40, 1ull << 40};
    CHECK(parse_error(f).find("holds more than 2^63 - 1 elements") != std::string::npos);
    f.tensors[1].ne = {128, 2};
    f.tensors[1].type = 12;
    CHECK(parse_error(f) == "model.gguf: tensor 'b': ne[0] = 128 is not a multiple of the Q4_K block size 256 "
                            "(rows are whole blocks)");
  }
  SECTION("data offsets: past the end, misaligned, overlapping, leaving gaps; a missing data section") {
    File f = ok;
    f.data.resize(40);
    CHECK(parse_error(f).find("tensor 'b': its 16 bytes of F32 at byte ") != std::string::npos);
    CHECK(parse_error(f).find("run past the end of the") != std::string::npos);
    f = ok;
    f.tensors[1].offset = 40;
    CHECK(parse_error(f) == "model.gguf: tensor 'b': data offset 40 is not a multiple of the alignment 32");
    f.tensors[1].offset = 0;
    CHECK(parse_error(f) == "model.gguf: tensor 'b': data offset 0 overlaps tensor 'a', whose data runs to offset 32");
    f.tensors[1].offset = 64;
    f.data.resize(96);
    CHECK(parse_error(f) == "model.gguf: tensor 'b': data offset 64 leaves a gap after tensor 'a': ggml expects "
                            "tensors packed in order, each padded to the alignment (offset 32)");
    f = ok;
    f.tensors[0].offset = 32;
    CHECK(parse_error(f).find("tensor 'a': data offset 32 leaves a gap after the start of the data") !=
          std::string::npos);
    f = ok;
    f.data.clear();
    f.pad = false;
    CHECK(parse_error(f).find("the file ends before its tensor data, which starts at byte") != std::string::npos);
  }
}

TEST_CASE("gguf: the fixtures hold the reference's tensors, dequantized bit for bit", "[gguf]") {
  for (const char* type : kMicro) {
    INFO("micro " << type);
    check_against_tensor_list(
        micro_path(type),
        load_json(ws_test::test_data(std::string("reference/nsfwjs_mobilenet_v2_micro_gguf_") + type + "_tensors.json")));
  }
}

TEST_CASE("gguf: the F16 file holds the safetensors originals' tensors exactly", "[gguf]") {
  // gguf-py kept the 1-D tensors F32 (the F32 original) and wrote the others F16 (the F16 original).
  ws::ModelInput g = ws::open_model_paths({micro_path("f16")});
  ws::ModelInput f32 = ws::open_model_paths({wstest::fixture("nsfwjs_mobilenet_v2.safetensors")});
  ws::ModelInput f16 = ws::open_model_paths({wstest::fixture("nsfwjs_mobilenet_v2_f16.safetensors")});
  const auto find = [](ws::ModelInput& m, const std::string& name) -> const ws::TensorInfo& {
    for (const auto& t : m.tensors)
      if (t.name == name) return t;
    FAIL("no tensor " << name);
    return m.tensors[0];
  };
  REQUIRE(g.tensors.size() == 11);
  for (const ws::TensorInfo& t : g.tensors) {
    INFO("tensor " << t.name);
    ws::ModelInput& original = t.shape.size() == 1 ? f32 : f16;
    const ws::TensorInfo& o = find(original, t.name);
    CHECK(t.storage == (t.shape.size() == 1 ? "F32" : "F16"));
    CHECK(t.dtype == o.dtype);
    CHECK(t.shape == o.shape);
    CHECK(ws::read_tensor(g, t) == ws::read_tensor(original, o));
  }
}

TEST_CASE("gguf: the micro models analyze as the reference tool does on the same dequantized values", "[gguf]") {
  for (const char* type : kMicro) {
    INFO("micro " << type);
    const nlohmann::json ref =
        load_json(ws_test::test_data(std::string("reference/nsfwjs_mobilenet_v2_micro_gguf_") + type + ".json"));
    const nlohmann::json report = wstest::analyze(ws::open_model_paths({micro_path(type)}));
    CHECK(report["model"]["format"] == "gguf");
    CHECK(report["model"]["metadata"]["general.architecture"] == "mobilenet_v2");

    std::map<std::string, std::string> ref_dtype;  // the reference's dtype is the ggml type
    for (const auto& c : ref["candidate_layers"]) ref_dtype[c["name"]] = c["dtype"];
    std::vector<std::string> ours, theirs;
    for (const auto& l : report["layers"]) ours.push_back(l["name"]);
    for (const auto& l : ref["results"]["default"]["layers"]) theirs.push_back(l["name"]);
    CHECK(ours == theirs);
    CHECK(ours.size() == 3);  // Conv1, expanded_conv_project, dense_2
    std::set<std::string> our_skips, their_skips;
    for (const auto& s : report["skipped"]) {
      our_skips.insert(s["name"].get<std::string>());
      CHECK(s["dtype"] == ref_dtype.at(s["name"]));
    }
    for (const auto& s : ref["skipped_layers"]) their_skips.insert(s["name"].get<std::string>());
    CHECK(our_skips == their_skips);

    std::map<std::string, nlohmann::json> by_name;
    for (const auto& l : ref["results"]["default"]["layers"]) by_name[l["name"]] = l;
    for (const auto& l : report["layers"]) {
      const std::string name = l["name"];
      INFO("layer " << name);
      const auto& r = by_name.at(name);
      CHECK(l["quant_type"] == ref_dtype.at(name));
      CHECK(l["dtype"] == (ref_dtype.at(name) == "F16" ? "F16" : "F32"));
      ws_test::check_layer_matches_reference(l, r);
    }
  }
}

TEST_CASE("gguf: model input takes a .gguf by name or by magic, a folder holding one, and split models", "[gguf]") {
  wstest::TempDir dir("gguf");
  const std::vector<uint8_t> micro = wstest::read_file(micro_path("q8_0"));

  // Renamed: found by its magic.
  wstest::write_file(dir / "model.weights", micro);
  CHECK(ws::open_model_paths({dir / "model.weights"}).format == "gguf");
  std::filesystem::remove(dir / "model.weights");

  // A folder holding one .gguf.
  wstest::write_file(dir / "m.gguf", micro);
  const ws::ModelInput m = ws::open_model_paths({dir.path.string()});
  CHECK(m.format == "gguf");
  CHECK(m.tensors.size() == 11);

  // Two different models in one folder are not one model.
  wstest::write_file(dir / "n.gguf", wstest::read_file(micro_path("q4_0")));
  CHECK(input_error([&] { ws::open_model_paths({dir.path.string()}); }) ==
        "2 .gguf files given, but m.gguf is not part 1 of a model split into 2 (it has no split.count): a GGUF model "
        "is one file, or all parts of one split model");
  CHECK(input_error([&] {
          ws::open_model_paths({dir / "m.gguf", wstest::fixture("nsfwjs_mobilenet_v2.safetensors")});
        }) == "cannot mix .gguf files with other model files in one model");

  // A split model: the parts carry split.no / split.count and hold disjoint tensors.
  wstest::TempDir split("gguf_split");
  for (int part = 0; part < 2; ++part) {
    File f;
    f.kvs = {kv<uint16_t>("split.no", U16, static_cast<uint16_t>(part)), kv<uint16_t>("split.count", U16, 2)};
    if (part == 0) f.kvs.push_back(kv_str("general.architecture", "llama"));
    f.tensors = {{"blk." + std::to_string(part) + ".attn_q.weight", {16, 16}, 0, 0}};
    f.data.resize(16 * 16 * 4);
    for (size_t i = 0; i < f.data.size(); i += 4) {
      const float v = std::sin(0.37f * static_cast<float>(i + part));
      std::memcpy(f.data.data() + i, &v, 4);
    }
    wstest::write_file(split / ("llama-0000" + std::to_string(part + 1) + "-of-00002.gguf"), f.bytes());
  }
  const ws::ModelInput s = ws::open_model_paths({split.path.string()});
  REQUIRE(s.tensors.size() == 2);
  CHECK(s.tensors[0].name == "blk.0.attn_q.weight");
  CHECK(s.tensors[1].source_index == 1);
  CHECK(s.metadata.at("general.architecture") == "llama");
}

TEST_CASE("gguf: llama.cpp names and layouts analyze as their safetensors originals", "[gguf]") {
  // A llama-style model as convert_hf_to_gguf.py writes it: [out, in] weights with ne = [in, out];
  // token_embd ([vocab, embd]) and output pass the same gates as the blocks, output_norm is 1-D.
  struct Weight {
    std::string gguf, hf;
    std::vector<uint64_t> shape;
  };
  const std::vector<Weight> weights = {{"token_embd.weight", "model.embed_tokens.weight", {64, 32}},
                                       {"blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", {32, 32}},
                                       {"blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight", {48, 32}},
                                       {"output_norm.weight", "model.norm.weight", {32}},
                                       {"output.weight", "lm_head.weight", {64, 32}}};
  File f;
  f.kvs = {kv_str("general.architecture", "llama")};
  std::vector<wstest::F32Tensor> original;
  uint64_t seed = 1;
  for (const Weight& w : weights) {
    size_t n = 1;
    for (uint64_t d : w.shape) n *= d;
    const std::vector<float> v = wstest::gaussian(n, seed++);
    f.tensors.push_back({w.gguf, {w.shape.rbegin(), w.shape.rend()}, 0, f.data.size()});
    for (float x : v) put(f.data, x);
    while (f.data.size() % 32) f.data.push_back(0);
    original.push_back({w.hf, {w.shape.begin(), w.shape.end()}, v});
  }
  const auto analyze = [](std::vector<uint8_t> bytes, const std::string& name) {
    std::vector<std::unique_ptr<ws::ByteSource>> sources;
    sources.push_back(ws::memory_source(std::move(bytes), name));
    return wstest::analyze(ws::open_model(std::move(sources)));
  };
  const nlohmann::json g = analyze(f.bytes(), "llama.gguf");
  const nlohmann::json st = analyze(wstest::safetensors_bytes(original), "model.safetensors");
  REQUIRE(g["layers"].size() == 4);
  REQUIRE(st["layers"].size() == 4);
  CHECK(g["skipped"][0]["name"] == "output_norm");
  for (size_t i = 0; i < 4; ++i) {
    const nlohmann::json &a = g["layers"][i], &b = st["layers"][i];
    INFO(a["name"] << " ~ " << b["name"]);
    CHECK(a["name"] == weights[i + (i >= 3)].gguf.substr(0, weights[i + (i >= 3)].gguf.size() - 7));
    CHECK(a["shape"] == b["shape"]);
    for (const char* key : {"N", "M", "alpha", "D", "lambda_max", "num_pl_spikes"}) CHECK(a[key] == b[key]);
  }
}
