// dtype names and element decoding against closed-form values and the compiler's own half type.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "formats/dtype.h"

namespace {

float f16(uint16_t bits) {
  const uint8_t b[2] = {static_cast<uint8_t>(bits), static_cast<uint8_t>(bits >> 8)};
  return ws::decode_element_f32(b, ws::Dtype::F16, 0);
}
float bf16(uint16_t bits) {
  const uint8_t b[2] = {static_cast<uint8_t>(bits), static_cast<uint8_t>(bits >> 8)};
  return ws::decode_element_f32(b, ws::Dtype::BF16, 0);
}
float f8(ws::Dtype d, uint8_t byte) { return ws::decode_element_f32(&byte, d, 0); }

}  // namespace

TEST_CASE("dtype names round-trip and bit widths match the safetensors table", "[formats]") {
  const std::vector<std::pair<const char*, int>> table = {
      {"BOOL", 8}, {"U8", 8}, {"I8", 8}, {"I16", 16}, {"U16", 16}, {"I32", 32}, {"U32", 32}, {"I64", 64},
      {"U64", 64}, {"F16", 16}, {"BF16", 16}, {"F32", 32}, {"F64", 64}, {"F8_E4M3", 8}, {"F8_E5M2", 8},
      {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6},
      {"C64", 64}};
  for (const auto& [name, bits] : table) {
    const auto d = ws::parse_dtype(name);
    REQUIRE(d);
    CHECK(std::string(ws::dtype_name(*d)) == name);
    CHECK(ws::dtype_bits(*d) == bits);
  }
  CHECK_FALSE(ws::parse_dtype("F12"));
  CHECK_FALSE(ws::parse_dtype("f32"));  // case matters, as in the reference's serde enum
  CHECK_FALSE(ws::parse_dtype(""));
  CHECK(ws::dtype_is_analyzable(ws::Dtype::BF16));
  CHECK(ws::dtype_is_analyzable(ws::Dtype::F8_E5M2));
  CHECK_FALSE(ws::dtype_is_analyzable(ws::Dtype::I32));
  CHECK_FALSE(ws::dtype_is_analyzable(ws::Dtype::F4));
}

TEST_CASE("F16 closed cases: normals, subnormals, limits, inf, nan", "[formats]") {
  CHECK(f16(0x3C00) == 1.0f);
  CHECK(f16(0xC000) == -2.0f);
  CHECK(f16(0x7BFF) == 65504.0f);
  CHECK(f16(0x0400) == std::ldexp(1.0f, -14));          // smallest normal
  CHECK(f16(0x0001) == std::ldexp(1.0f, -24));          // smallest subnormal
  CHECK(f16(0x03FF) == 1023.0f * std::ldexp(1.0f, -24));  // largest subnormal
  CHECK(f16(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(f16(0x3555) == 0x1.554p-2f);  // 0.333251953125
  CHECK(f16(0x0000) == 0.0f);
  CHECK(std::signbit(f16(0x8000)));
  CHECK(f16(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(f16(0xFC00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f16(0x7E00)));
  CHECK(std::isnan(f16(0xFC01)));
}

#ifdef __FLT16_MAX__
TEST_CASE("F16 decoding equals the compiler's _Float16 conversion for all 65536 values", "[formats]") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    _Float16 x;
    const uint16_t bits = static_cast<uint16_t>(h);
    std::memcpy(&x, &bits, 2);
    const float want = static_cast<float>(x), got = f16(bits);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
    } else {
      uint32_t wb, gb;
      std::memcpy(&wb, &want, 4);
      std::memcpy(&gb, &got, 4);
      if (wb != gb) FAIL_CHECK("half 0x" << std::hex << h << ": got " << got << ", want " << want);
    }
  }
}
#endif

TEST_CASE("BF16 is the top half of a float32", "[formats]") {
  CHECK(bf16(0x3F80) == 1.0f);
  CHECK(bf16(0x4049) == 3.140625f);
  CHECK(bf16(0xC2F7) == -123.5f);
  CHECK(bf16(0x0001) == std::ldexp(1.0f, -133));  // float32 subnormal
  CHECK(bf16(0x7F7F) == 0x1.FEp127f);               // largest finite
  CHECK(bf16(0xFF80) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(bf16(0x7FC0)));
}

TEST_CASE("F8_E4M3 (fn) closed cases: bias 7, max 448, no inf, NaN at 0x7F/0xFF", "[formats]") {
  using ws::Dtype;
  CHECK(f8(Dtype::F8_E4M3, 0x38) == 1.0f);                  // e=7, m=0
  CHECK(f8(Dtype::F8_E4M3, 0x7E) == 448.0f);                // e=15, m=6: the max
  CHECK(f8(Dtype::F8_E4M3, 0xFE) == -448.0f);
  CHECK(f8(Dtype::F8_E4M3, 0x77) == 240.0f);                // e=14, m=7: 1.875 * 2^7
  CHECK(f8(Dtype::F8_E4M3, 0x78) == 256.0f);                // e=15, m=0: finite in fn
  CHECK(f8(Dtype::F8_E4M3, 0x08) == std::ldexp(1.0f, -6));  // smallest normal
  CHECK(f8(Dtype::F8_E4M3, 0x01) == std::ldexp(1.0f, -9));  // smallest subnormal
  CHECK(f8(Dtype::F8_E4M3, 0x07) == 7.0f * std::ldexp(1.0f, -9));
  CHECK(f8(Dtype::F8_E4M3, 0x00) == 0.0f);
  CHECK(std::signbit(f8(Dtype::F8_E4M3, 0x80)));
  CHECK(std::isnan(f8(Dtype::F8_E4M3, 0x7F)));
  CHECK(std::isnan(f8(Dtype::F8_E4M3, 0xFF)));
  // Every other byte is finite and the positive ones are strictly increasing.
  for (int b = 1; b < 0x7F; ++b) CHECK(f8(Dtype::F8_E4M3, static_cast<uint8_t>(b)) > f8(Dtype::F8_E4M3, static_cast<uint8_t>(b - 1)));
}

TEST_CASE("F8_E5M2 closed cases: bias 15, inf and nan", "[formats]") {
  using ws::Dtype;
  CHECK(f8(Dtype::F8_E5M2, 0x3C) == 1.0f);
  CHECK(f8(Dtype::F8_E5M2, 0x7B) == 57344.0f);  // max finite: 1.75 * 2^15
  CHECK(f8(Dtype::F8_E5M2, 0x04) == std::ldexp(1.0f, -14));
  CHECK(f8(Dtype::F8_E5M2, 0x01) == std::ldexp(1.0f, -16));
  CHECK(f8(Dtype::F8_E5M2, 0xC0) == -2.0f);
  CHECK(f8(Dtype::F8_E5M2, 0x7C) == std::numeric_limits<float>::infinity());
  CHECK(f8(Dtype::F8_E5M2, 0xFC) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f8(Dtype::F8_E5M2, 0x7D)));
}

TEST_CASE("decoding reads little-endian elements at unaligned addresses; F64 keeps double precision", "[formats]") {
  std::vector<uint8_t> buf(1 + 3 * 8);
  const double vals[3] = {0.1, -1e300, 3.0};
  std::memcpy(buf.data() + 1, vals, sizeof vals);
  for (size_t i = 0; i < 3; ++i) CHECK(ws::decode_element(buf.data() + 1, ws::Dtype::F64, i) == vals[i]);
  CHECK(ws::decode_element_f32(buf.data() + 1, ws::Dtype::F64, 0) == 0.1f);
  CHECK(std::isinf(ws::decode_element_f32(buf.data() + 1, ws::Dtype::F64, 1)));

  const uint8_t f32le[] = {0xFF, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC1};  // junk byte, 1.0f, -10.0f
  CHECK(ws::decode_element(f32le + 1, ws::Dtype::F32, 0) == 1.0);
  CHECK(ws::decode_element(f32le + 1, ws::Dtype::F32, 1) == -10.0);
  const uint8_t f16le[] = {0x00, 0x00, 0x3C, 0x00, 0xC0};  // junk, 1.0, -2.0
  CHECK(ws::decode_element(f16le + 1, ws::Dtype::F16, 0) == 1.0);
  CHECK(ws::decode_element(f16le + 1, ws::Dtype::F16, 1) == -2.0);

  const uint8_t i32[4] = {};
  CHECK_THROWS_AS(ws::decode_element(i32, ws::Dtype::I32, 0), std::logic_error);
}
