// .npy reading: files written here byte by byte in numpy's own layout (v1/v2/v3, C and Fortran
// order, f2/f4/f8) and the ways they go wrong.
#include <catch2/catch.hpp>

#include <cstring>

#include "formats/npy.h"
#include "support/formats_test_util.h"

using wstest::dict;
using wstest::input_error;
using wstest::npy_file;
using wstest::raw;

namespace {

ws::TensorInfo parse(std::vector<uint8_t> bytes, const std::string& name = "layer1.npy") {
  auto src = ws::memory_source(std::move(bytes), name);
  return ws::parse_npy(*src, 2);
}

std::string parse_error(std::vector<uint8_t> bytes) {
  return input_error([&] { parse(std::move(bytes)); });
}

// W = [[1, 2, 3], [4, 5, 6]]
const std::vector<float> kRowMajor = {1, 2, 3, 4, 5, 6};
const std::vector<float> kColMajor = {1, 4, 2, 5, 3, 6};

}  // namespace

TEST_CASE("npy: C-order float32 matrix", "[formats]") {
  const auto bytes = npy_file(dict("<f4", false, "(2, 3)"), raw(kRowMajor));
  const ws::TensorInfo t = parse(bytes);
  CHECK(t.name == "layer1");
  CHECK(t.dtype == ws::Dtype::F32);
  CHECK(t.shape == std::vector<uint64_t>{2, 3});
  CHECK(t.offset == 128);  // np.save writes these same 128 header bytes (checked with numpy)
  CHECK(t.nbytes == 24);
  CHECK(t.source_index == 2);
  for (size_t i = 0; i < 6; ++i) CHECK(ws::decode_element(bytes.data() + t.offset, t.dtype, i) == kRowMajor[i]);
}

TEST_CASE("npy: Fortran order is read as the transpose (shape reversed)", "[formats]") {
  const auto bytes = npy_file(dict("<f4", true, "(2, 3)"), raw(kColMajor));
  const ws::TensorInfo t = parse(bytes);
  REQUIRE(t.shape == std::vector<uint64_t>{3, 2});
  CHECK(t.transposed);
  // C-order element (r, c) of the 3x2 result is W[c][r].
  for (uint64_t r = 0; r < 3; ++r)
    for (uint64_t c = 0; c < 2; ++c)
      CHECK(ws::decode_element(bytes.data() + t.offset, t.dtype, r * 2 + c) == kRowMajor[c * 3 + r]);
}

TEST_CASE("npy: float16 and float64, format versions 2.0 and 3.0, '|' and python-2 longs", "[formats]") {
  const std::vector<uint16_t> halves = {0x3C00, 0xC000, 0x7BFF, 0x0001};  // 1, -2, 65504, 2^-24
  const auto f2 = npy_file(dict("<f2", false, "(2, 2)"), raw(halves));
  const ws::TensorInfo t2 = parse(f2);
  CHECK(t2.dtype == ws::Dtype::F16);
  CHECK(ws::decode_element(f2.data() + t2.offset, t2.dtype, 2) == 65504.0);

  const std::vector<double> doubles = {0.1, 0.2, 0.3};
  for (int major : {2, 3}) {
    const auto f8 = npy_file(dict("<f8", false, "(3, 1)"), raw(doubles), major);
    const ws::TensorInfo t8 = parse(f8, "w.v" + std::to_string(major) + ".npy");
    CHECK(t8.name == "w.v" + std::to_string(major));  // only the last extension goes
    CHECK(t8.dtype == ws::Dtype::F64);
    CHECK(t8.offset == 128);
    CHECK(ws::decode_element(f8.data() + t8.offset, t8.dtype, 1) == 0.2);
  }
  CHECK(parse(npy_file("{'shape': (2L, 3L), 'fortran_order': False, 'descr': '|f4'}", raw(kRowMajor))).shape ==
        std::vector<uint64_t>{2, 3});
  CHECK(parse(npy_file(dict("<f4", false, "(0, 3)"), {})).nbytes == 0);
}

TEST_CASE("npy: unsupported dtypes are named with a way out", "[formats]") {
  CHECK_THAT(parse_error(npy_file(dict(">f4", false, "(2, 3)"), raw(kRowMajor))),
             Catch::Contains("layer1.npy: dtype '>f4' is not supported: big-endian") && Catch::Contains("astype('<f4')"));
  CHECK_THAT(parse_error(npy_file(dict("<i4", false, "(2, 3)"), raw(kRowMajor))), Catch::Contains("integer type"));
  CHECK_THAT(parse_error(npy_file(dict("|u1", false, "(2, 3)"), {1, 2, 3, 4, 5, 6})), Catch::Contains("integer type"));
  CHECK_THAT(parse_error(npy_file(dict("|b1", false, "(2, 3)"), {1, 0, 1, 0, 1, 0})), Catch::Contains("boolean"));
  CHECK_THAT(parse_error(npy_file(dict("<c8", false, "(1, 3)"), raw(kRowMajor))), Catch::Contains("complex"));
  CHECK_THAT(parse_error(npy_file(dict("|O", false, "(2, 3)"), {})), Catch::Contains("object arrays"));
  CHECK_THAT(parse_error(npy_file(dict("<f16", false, "(1, 1)"), std::vector<uint8_t>(16))),
             Catch::Contains("only float16, float32 and float64"));
  CHECK_THAT(parse_error(npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", raw(kRowMajor))),
             Catch::Contains("structured dtypes"));
}

TEST_CASE("npy: only 2-D matrices", "[formats]") {
  CHECK_THAT(parse_error(npy_file(dict("<f4", false, "(6,)"), raw(kRowMajor))),
             Catch::Contains("shape (6,) is 1-D; the analyzer reads one 2-D matrix"));
  CHECK_THAT(parse_error(npy_file(dict("<f4", false, "(1, 2, 3)"), raw(kRowMajor))), Catch::Contains("is 3-D"));
  CHECK_THAT(parse_error(npy_file(dict("<f4", false, "()"), raw(std::vector<float>{1}))), Catch::Contains("is 0-D"));
}

TEST_CASE("npy: exact length, truncation and broken headers", "[formats]") {
  auto good = npy_file(dict("<f4", false, "(2, 3)"), raw(kRowMajor));
  SECTION("data truncated") {
    good.resize(good.size() - 4);
    CHECK_THAT(parse_error(good), Catch::Contains("needs 24 data bytes after the 128-byte header") &&
                                      Catch::Contains("truncated file?"));
  }
  SECTION("trailing bytes") {
    good.push_back(0);
    CHECK_THAT(parse_error(good), Catch::Contains("trailing bytes"));
  }
  SECTION("header cut short") {
    good.resize(40);
    CHECK_THAT(parse_error(good), Catch::Contains("byte 8: header length 118 runs past the end of the 40-byte file"));
  }
  SECTION("tiny file, bad magic, unknown version") {
    CHECK_THAT(parse_error({0x93, 'N'}), Catch::Contains("too short"));
    good[1] = 'X';
    CHECK_THAT(parse_error(good), Catch::Contains("missing the .npy magic"));
    good[1] = 'N';
    good[6] = 4;
    CHECK_THAT(parse_error(good), Catch::Contains("version 4.0 is not supported"));
  }
  SECTION("dict errors") {
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'shape': (2, 3), }", raw(kRowMajor))), Catch::Contains("no 'fortran_order' key"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", raw(kRowMajor))),
               Catch::Contains("key 'descr' appears twice"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", raw(kRowMajor))),
               Catch::Contains("True or False"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", raw(kRowMajor))),
               Catch::Contains("non-negative integers"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", raw(kRowMajor))),
               Catch::Contains("unexpected key 'x'"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", raw(kRowMajor))),
               Catch::Contains("unexpected text after the header dict"));
    CHECK_THAT(parse_error(npy_file("{'descr': '<f4", raw(kRowMajor))), Catch::Contains("unterminated string"));
    CHECK_THAT(parse_error(npy_file(dict("<f4", false, "(99999999999999999999, 3)"), raw(kRowMajor))),
               Catch::Contains("does not fit 64 bits"));
    CHECK_THAT(parse_error(npy_file(dict("<f4", false, "(4294967296, 4294967296)"), raw(kRowMajor))),
               Catch::Contains("overflows 64-bit arithmetic"));
  }
}

TEST_CASE("npy writer: numpy's layout for a float64 C-order matrix, read back by the reader", "[formats]") {
  const std::vector<double> w = {1.5, -2, 3, 4e-300, 5, 6e300};
  const std::string file = ws::npy_float64(w, 2, 3);
  const auto expected = npy_file(dict("<f8", false, "(2, 3)"), raw(w));
  CHECK(std::vector<uint8_t>(file.begin(), file.end()) == expected);
  const ws::TensorInfo t = parse(std::vector<uint8_t>(file.begin(), file.end()));
  CHECK(t.dtype == ws::Dtype::F64);
  CHECK(t.shape == std::vector<uint64_t>{2, 3});
  CHECK_FALSE(t.transposed);
  for (size_t i = 0; i < w.size(); ++i)
    CHECK(ws::decode_element(reinterpret_cast<const uint8_t*>(file.data()) + t.offset, t.dtype, i) == w[i]);
  // A wide shape still gives a header padded to 64 bytes.
  CHECK(ws::npy_float64(std::vector<double>(3 * 123456), 123456, 3).size() % 8 == 0);
  CHECK(ws::npy_float64(std::vector<double>(3 * 123456), 123456, 3).find('\n') % 64 == 63);
}
