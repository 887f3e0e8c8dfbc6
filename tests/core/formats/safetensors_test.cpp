// safetensors validation: every malformed case of the reference reader (docs/methods.md,
// "safetensors validation") built byte by byte, the real fixtures, and BF16/F16 fixture values
// against the F32 fixture rounded independently.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <map>

#include "formats/safetensors.h"
#include "support/formats_test_util.h"

using wstest::input_error;
using wstest::st_file;

namespace {

ws::SafetensorsFile parse(std::vector<uint8_t> bytes, const std::string& name = "model.safetensors") {
  auto src = ws::memory_source(std::move(bytes), name);
  return ws::parse_safetensors(*src, 3);
}

std::string parse_error(std::vector<uint8_t> bytes) {
  return input_error([&] { parse(std::move(bytes)); });
}

std::string tensor(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                   uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
         std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// A source that claims a huge size and serves only its first bytes: parsing must not read further.
class HugeSource final : public ws::ByteSource {
 public:
  HugeSource(std::vector<uint8_t> head, uint64_t size) : head_(std::move(head)), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* dst, size_t n) override {
    REQUIRE(offset + n <= head_.size());
    std::memcpy(dst, head_.data() + offset, n);
    bytes_read += n;
  }
  std::string name() const override { return "huge.safetensors"; }
  uint64_t bytes_read = 0;

 private:
  std::vector<uint8_t> head_;
  uint64_t size_;
};

}  // namespace

TEST_CASE("safetensors: a valid file gives tensors in data order with absolute offsets", "[formats]") {
  // JSON order differs from data order; N = 5 + ... is not a multiple of 8, which is valid.
  const std::string header = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"}," + tensor("b", "F16", "[2,3]", 16, 28) +
                             "," + tensor("a", "F32", "[4]", 0, 16) + "," + tensor("s", "BF16", "[]", 28, 30) + "}";
  REQUIRE(header.size() % 8 != 0);
  const auto f = parse(st_file(header, 30));
  REQUIRE(f.tensors.size() == 3);
  CHECK(f.header_size == header.size());
  CHECK(f.metadata == std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}});
  const uint64_t base = 8 + header.size();
  CHECK(f.tensors[0].name == "a");
  CHECK(f.tensors[0].dtype == ws::Dtype::F32);
  CHECK(f.tensors[0].offset == base);
  CHECK(f.tensors[0].nbytes == 16);
  CHECK(f.tensors[1].name == "b");
  CHECK(f.tensors[1].shape == std::vector<uint64_t>{2, 3});
  CHECK(f.tensors[1].offset == base + 16);
  CHECK(f.tensors[2].name == "s");  // 0-rank: one element
  CHECK(f.tensors[2].shape.empty());
  CHECK(f.tensors[2].nbytes == 2);
  for (const auto& t : f.tensors) CHECK(t.source_index == 3);
}

TEST_CASE("safetensors: accepted edge cases of the reference reader", "[formats]") {
  SECTION("zero-sized tensor [2,0] at [0,0]") {
    const auto f = parse(st_file("{" + tensor("z", "F32", "[2,0]", 0, 0) + "," + tensor("w", "F32", "[2]", 0, 8) + "}", 8));
    REQUIRE(f.tensors.size() == 2);
    CHECK(f.tensors[0].name == "z");
    CHECK(f.tensors[0].nbytes == 0);
  }
  SECTION("leading and trailing whitespace padding") {
    const auto f = parse(st_file(" \n\t{" + tensor("w", "F32", "[1]", 0, 4) + "}\r\n        ", 4));
    CHECK(f.tensors.size() == 1);
  }
  SECTION("no tensors at all") { CHECK(parse(st_file("{}")).tensors.empty()); }
  SECTION("null __metadata__ and unknown tensor fields (ignored, as serde does)") {
    const auto f = parse(st_file("{\"__metadata__\":null,\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                                 "\"extra\":{\"deep\":[[1,2],{\"k\":null}]},\"more\":true}}",
                                 4));
    CHECK(f.tensors.size() == 1);
    CHECK(f.metadata.empty());
  }
  SECTION("UTF-8 names") {
    const auto f = parse(st_file("{" + tensor("caf\xC3\xA9.\xE2\x82\xAC", "U8", "[1]", 0, 1) + "}", 1));
    CHECK(f.tensors[0].name == "caf\xC3\xA9.\xE2\x82\xAC");
  }
  SECTION("F4 with a whole number of bytes") {
    CHECK(parse(st_file("{" + tensor("q", "F4", "[4]", 0, 2) + "}", 2)).tensors[0].nbytes == 2);
  }
}

TEST_CASE("safetensors: the reference repo's malformed files are rejected with a clear message", "[formats]") {
  SECTION("empty file (HeaderTooSmall)") {
    const auto m = parse_error({});
    CHECK_THAT(m, Catch::Contains("model.safetensors: byte 0:") && Catch::Contains("too short"));
  }
  SECTION("header length only, N=60 (InvalidHeaderLength)") {
    CHECK_THAT(parse_error(st_file("", 0, 60)), Catch::Contains("header length 60 runs past the end of the 8-byte file"));
  }
  SECTION("N huge (HeaderTooLarge)") {
    CHECK_THAT(parse_error(st_file("{}", 0, 0xFFFFFFFFFFFFFF00ull)), Catch::Contains("exceeds the 100000000-byte limit"));
  }
  SECTION("N just over MAX_HEADER_SIZE (HeaderTooLarge before the length check)") {
    CHECK_THAT(parse_error(st_file("{}", 0, 100'000'001)), Catch::Contains("exceeds"));
  }
  SECTION("N=1000 on a small file (attacks/attempt_1)") {
    CHECK_THAT(parse_error(st_file("{}", 100, 1000)), Catch::Contains("header length 1000 runs past the end of the 110-byte file"));
  }
  SECTION("header bytes not UTF-8 (InvalidHeader)") {
    CHECK_THAT(parse_error(st_file("\xff")), Catch::Contains("byte 8: header is not valid UTF-8"));
    // overlong '/' and a UTF-16 surrogate are invalid too; the byte offset points at them
    CHECK_THAT(parse_error(st_file("{\"a\xC0\xAF\":1}")), Catch::Contains("byte 11: header is not valid UTF-8"));
    CHECK_THAT(parse_error(st_file("{\"\xED\xA0\x80\":1}")), Catch::Contains("byte 10: header is not valid UTF-8"));
  }
  SECTION("header not JSON (InvalidHeaderDeserialization)") {
    // the byte after the '{': where the input ended
    CHECK_THAT(parse_error(st_file("{")), Catch::Contains("model.safetensors: byte 9: header is not valid JSON ("));
    CHECK_THAT(parse_error(st_file("{\"a\" 1}")), Catch::Contains("byte 13: header is not valid JSON ("));
    CHECK_THAT(parse_error(st_file("")), Catch::Contains("header is not valid JSON"));
    CHECK_THAT(parse_error(st_file("{} {}")), Catch::Contains("header is not valid JSON"));
    // nlohmann's lexer stops at a NUL as if the input ended; the bytes after it must not be ignored
    CHECK_THAT(parse_error(st_file(std::string("{}\0\0\0", 5))), Catch::Contains("byte 10: header contains a NUL byte"));
    CHECK_THAT(parse_error(st_file(std::string("{}\0{\"x\":1}", 10))), Catch::Contains("NUL byte"));
  }
  SECTION("10 tensors all at [0,16] (test_json_attack)") {
    std::string h = "{";
    for (int i = 0; i < 10; ++i) h += (i ? "," : "") + tensor("t" + std::to_string(i), "F32", "[2,2]", 0, 16);
    const auto m = parse_error(st_file(h + "}", 16));
    CHECK_THAT(m, Catch::Contains("tensor 't1': data_offsets [0,16] do not follow the previous tensor's end 16 (overlap or gap)"));
  }
  SECTION("100k tensors aliasing one range (attacks/attempt_3) fail fast") {
    std::string h = "{";
    for (int i = 0; i < 100'000; ++i) h += (i ? "," : "") + tensor("t" + std::to_string(i), "F32", "[2]", 0, 8);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(parse_error(st_file(h + "}", 8)), Catch::Contains("(overlap or gap)"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  SECTION("a gap between tensors") {
    const auto m = parse_error(st_file("{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 8, 12) + "}", 12));
    CHECK_THAT(m, Catch::Contains("tensor 'b': data_offsets [8,12] do not follow the previous tensor's end 4"));
  }
  SECTION("end before begin") {
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[0]", 4, 2) + "}", 4)),
               Catch::Contains("tensor 'b': data_offsets [4,2]"));
  }
  const std::string one = "{" + tensor("a", "F32", "[2]", 0, 8) + "}";
  const std::string data_end = std::to_string(8 + one.size() + 8);
  SECTION("trailing bytes after the last tensor (polyglot)") {
    CHECK_THAT(parse_error(st_file(one, 10)),
               Catch::Contains("file is " + std::to_string(8 + one.size() + 10) +
                               " bytes but the header says the data ends at byte " + data_end + " (trailing bytes"));
  }
  SECTION("truncated data, 2 bytes missing") {
    CHECK_THAT(parse_error(st_file(one, 6)),
               Catch::Contains("file is " + std::to_string(8 + one.size() + 6) +
                               " bytes but the header says the data ends at byte " + data_end + " (truncated file?)"));
  }
  SECTION("I32 [2,2] with offsets [0,4] (TensorInvalidInfo)") {
    CHECK_THAT(parse_error(st_file("{" + tensor("i", "I32", "[2,2]", 0, 4) + "}", 4)),
               Catch::Contains("tensor 'i': data_offsets [0,4] hold 4 bytes but shape [2,2] of I32 needs 16"));
  }
  SECTION("shape products that overflow 64 bits (ValidationOverflow)") {
    CHECK_THAT(parse_error(st_file("{" + tensor("o", "F32", "[2,18446744073709551614]", 0, 4) + "}", 4)),
               Catch::Contains("tensor 'o': shape [2,18446744073709551614] overflows"));
    // the element count fits, element count * 32 bits does not
    CHECK_THAT(parse_error(st_file("{" + tensor("o", "F32", "[2,9223372036854775807]", 0, 4) + "}", 4)),
               Catch::Contains("overflows"));
  }
  SECTION("F4 slice not on a byte boundary (MisalignedSlice)") {
    CHECK_THAT(parse_error(st_file("{" + tensor("q", "F4", "[3]", 0, 2) + "}", 2)),
               Catch::Contains("tensor 'q': 3 elements of F4 do not fill whole bytes"));
  }
}

TEST_CASE("safetensors: extra malformed cases (numbers, dtypes, metadata, duplicates, depth)", "[formats]") {
  SECTION("negative, float and string numbers in shape and offsets") {
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[-1]", 0, 4) + "}", 4)),
               Catch::Contains("tensor 'a': shape must hold non-negative integers below 2^64, got a negative number"));
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[1.0]", 0, 4) + "}", 4)),
               Catch::Contains("got a non-integer number"));
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[1e0]", 0, 4) + "}", 4)), Catch::Contains("non-integer"));
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[\"1\"]", 0, 4) + "}", 4)), Catch::Contains("got a string"));
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F32", "[18446744073709551616]", 0, 4) + "}", 4)),
               Catch::Contains("non-integer"));  // 2^64 does not fit: nlohmann reads it as a float
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-0,4]}}", 4)),
               Catch::Contains("data_offsets must hold non-negative integers below 2^64, got a negative number"));
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4)),
               Catch::Contains("tensor 'a': shape must be an array"));
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[[1]],\"data_offsets\":[0,4]}}", 4)),
               Catch::Contains("got an array"));
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4)),
               Catch::Contains("data_offsets must be [begin, end], got 3 numbers"));
  }
  SECTION("offsets above 2^53 keep full precision") {
    // 2^53 + 1 is not a double: a JS-style parser would see 2^53 and report a different number.
    const std::string h = "{" + tensor("big", "U8", "[9007199254740993]", 0, 9007199254740993ull) + "}";
    const std::string want = std::to_string(8 + h.size() + 9007199254740993ull);
    CHECK_THAT(parse_error(st_file(h, 0)), Catch::Contains("the header says the data ends at byte " + want + " (truncated"));
  }
  SECTION("offsets near 2^64 do not wrap around") {
    // 8 contiguous tensors of 2^61 - 1 bytes (the most 64-bit bit counts allow) end at 2^64 - 8.
    const uint64_t len = (1ull << 61) - 1;
    std::string h = "{";
    for (uint64_t k = 0; k < 8; ++k)
      h += (k ? "," : "") + tensor("t" + std::to_string(k), "U8", "[" + std::to_string(len) + "]", k * len, (k + 1) * len);
    CHECK_THAT(parse_error(st_file(h + "}", 0)), Catch::Contains("+ 18446744073709551608 (truncated"));
  }
  SECTION("unknown dtype, non-string dtype") {
    CHECK_THAT(parse_error(st_file("{" + tensor("a", "F12", "[1]", 0, 4) + "}", 4)), Catch::Contains("tensor 'a': unknown dtype 'F12'"));
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
               Catch::Contains("dtype must be a string"));
  }
  SECTION("missing fields, non-object entries") {
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4)),
               Catch::Contains("tensor 'a': missing field 'shape'"));
    CHECK_THAT(parse_error(st_file("{\"a\":[1,2]}")), Catch::Contains("tensor 'a': entry must be an object, got an array"));
    CHECK_THAT(parse_error(st_file("[]")), Catch::Contains("header must be a JSON object, got an array"));
    CHECK_THAT(parse_error(st_file("\"x\"")), Catch::Contains("header must be a JSON object, got a string"));
  }
  SECTION("__metadata__ must map strings to strings") {
    CHECK_THAT(parse_error(st_file("{\"__metadata__\":{\"total\":5}}")),
               Catch::Contains("__metadata__ value for key 'total' must be a string, got a number"));
    CHECK_THAT(parse_error(st_file("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}")), Catch::Contains("must be a string, got an object"));
    CHECK_THAT(parse_error(st_file("{\"__metadata__\":[\"a\"]}")), Catch::Contains("__metadata__ must be an object of strings"));
    CHECK_THAT(parse_error(st_file("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}")), Catch::Contains("__metadata__ key 'a' appears twice"));
  }
  SECTION("duplicate tensor names (nlohmann's DOM would keep the last silently)") {
    // Same range twice: the contiguity rule alone would not catch this ordering-wise cleanly.
    CHECK_THAT(parse_error(st_file("{" + tensor("w", "F32", "[1]", 0, 4) + "," + tensor("w", "F32", "[1]", 4, 8) + "}", 8)),
               Catch::Contains("model.safetensors: byte 8: tensor name 'w' appears twice in the header"));
    CHECK_THAT(parse_error(st_file("{\"__metadata__\":{},\"__metadata__\":{}}")), Catch::Contains("'__metadata__' appears twice"));
    CHECK_THAT(parse_error(st_file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
               Catch::Contains("tensor 'a': field 'dtype' appears twice"));
  }
  SECTION("very deep nesting is refused without recursion") {
    const std::string deep(1'000'000, '[');
    CHECK_THAT(parse_error(st_file(deep)), Catch::Contains("header must be a JSON object"));
    const std::string deep_field = "{\"a\":{\"x\":" + std::string(1'000'000, '[');
    CHECK_THAT(parse_error(st_file(deep_field)), Catch::Contains("nests deeper than 64 levels"));
    // 60 levels inside an ignored field are fine
    const std::string ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":" + std::string(60, '[') +
                           std::string(60, ']') + "}}";
    CHECK(parse(st_file(ok, 4)).tensors.size() == 1);
  }
}

TEST_CASE("safetensors: parsing reads only the 8-byte prefix and the header", "[formats]") {
  const std::string h = "{" + tensor("w", "F32", "[50000,50000]", 0, 10'000'000'000ull) + "}";
  std::vector<uint8_t> head = st_file(h);
  HugeSource src(head, head.size() + 10'000'000'000ull);
  const auto f = ws::parse_safetensors(src);
  CHECK(f.tensors.at(0).nbytes == 10'000'000'000ull);
  CHECK(src.bytes_read == head.size());
}

TEST_CASE("safetensors: the real fixtures parse with their documented tensor counts and dtypes", "[formats]") {
  const std::vector<std::tuple<std::string, size_t, ws::Dtype>> fixtures = {
      {"ppocrv4_rec.safetensors", 234, ws::Dtype::F32},
      {"nsfwjs_mobilenet_v2.safetensors", 266, ws::Dtype::F32},
      {"nsfwjs_mobilenet_v2_bf16.safetensors", 266, ws::Dtype::BF16},
      {"nsfwjs_mobilenet_v2_f16.safetensors", 266, ws::Dtype::F16}};
  for (const auto& [file, count, dtype] : fixtures) {
    INFO(file);
    auto src = ws::open_file_source(wstest::fixture(file));
    const auto f = ws::parse_safetensors(*src);
    CHECK(f.tensors.size() == count);
    CHECK(f.metadata.count("source"));
    uint64_t pos = 8 + f.header_size;
    for (const auto& t : f.tensors) {
      CHECK(t.dtype == dtype);
      CHECK(t.offset == pos);  // data order, contiguous, absolute
      pos += t.nbytes;
    }
    CHECK(pos == src->size());
  }
}

namespace {

std::map<std::string, std::vector<uint8_t>> all_tensors(const std::string& file) {
  auto src = ws::open_file_source(wstest::fixture(file));
  std::map<std::string, std::vector<uint8_t>> out;
  for (const auto& t : ws::parse_safetensors(*src).tensors) {
    std::vector<uint8_t> bytes(t.nbytes);
    src->read(t.offset, bytes.data(), bytes.size());
    out[t.name] = std::move(bytes);
  }
  return out;
}

// float32 -> bfloat16 with round-to-nearest-even, written out independently of the decoder.
uint16_t bf16_rne(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace

TEST_CASE("safetensors: BF16 and F16 fixtures decode to the F32 fixture rounded to nearest even", "[formats]") {
  const auto f32 = all_tensors("nsfwjs_mobilenet_v2.safetensors");
  const auto bf16 = all_tensors("nsfwjs_mobilenet_v2_bf16.safetensors");
  const auto f16 = all_tensors("nsfwjs_mobilenet_v2_f16.safetensors");
  REQUIRE(f32.size() == 266);
  size_t checked = 0;
  for (const auto& [name, w] : f32) {
    INFO(name);
    REQUIRE(bf16.count(name));
    REQUIRE(f16.count(name));
    const size_t n = w.size() / 4;
    REQUIRE(bf16.at(name).size() == 2 * n);
    REQUIRE(f16.at(name).size() == 2 * n);
    size_t bad_bf16 = 0, bad_f16 = 0;
    for (size_t i = 0; i < n; ++i) {
      const float x = ws::decode_element_f32(w.data(), ws::Dtype::F32, i);
      uint16_t stored;
      std::memcpy(&stored, bf16.at(name).data() + 2 * i, 2);
      bad_bf16 += stored != bf16_rne(x);
      // decoding the BF16 element gives exactly the rounded value
      const uint32_t rounded = static_cast<uint32_t>(bf16_rne(x)) << 16;
      float want;
      std::memcpy(&want, &rounded, 4);
      bad_bf16 += ws::decode_element(bf16.at(name).data(), ws::Dtype::BF16, i) != static_cast<double>(want);
#ifdef __FLT16_MAX__
      bad_f16 += ws::decode_element_f32(f16.at(name).data(), ws::Dtype::F16, i) != static_cast<float>(static_cast<_Float16>(x));
#endif
    }
    CHECK(bad_bf16 == 0);
    CHECK(bad_f16 == 0);
    checked += n;
  }
  CHECK(checked > 2'000'000);
}
