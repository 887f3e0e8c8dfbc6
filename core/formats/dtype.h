#pragma once
// Element types of safetensors / npy tensors and their conversion to float.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

namespace ws {

enum class Dtype {
  BOOL, U8, I8, I16, U16, I32, U32, I64, U64,
  F16, BF16, F32, F64, F8_E4M3, F8_E5M2,
  F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2, C64
};

std::optional<Dtype> parse_dtype(std::string_view name);  // safetensors spelling
const char* dtype_name(Dtype d);
int dtype_bits(Dtype d);
// F64, F32, F16, BF16, F8_E4M3, F8_E5M2: the types the analyzer decodes.
bool dtype_is_analyzable(Dtype d);

// Element i of a little-endian buffer as double. For F16/BF16/F8 the value is exact
// (they widen to float32 without rounding, as the reference tool's torch .float() does).
inline double decode_element(const uint8_t* data, Dtype d, size_t i);
// Element i as float32: exact for F32/F16/BF16/F8; F64 is rounded.
inline float decode_element_f32(const uint8_t* data, Dtype d, size_t i);

// ---- implementation: inline because MatrixView::at calls these once per element ----

namespace dtype_detail {

// F8_E4M3 ("fn": bias 7, no Inf, NaN = 0x7F/0xFF, max 448) by byte; defined in dtype.cpp.
extern const std::array<float, 256> kF8E4M3;

// Reads are memcpy so unaligned buffers are fine; the host is assumed little-endian
// (x86, ARM, wasm), like the files.
template <typename T>
inline T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float bits_to_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// IEEE binary16 -> binary32, exact. Integer-only except subnormals, so it is correct even
// with flush-to-zero/denormals-are-zero modes enabled.
inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return bits_to_f32(sign | 0x7F800000u | (mant << 13));  // Inf / NaN (payload kept)
  if (exp != 0) return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
  const float sub = static_cast<float>(mant) * 0x1p-24f;  // subnormal or zero: mant * 2^-24, exact
  return sign ? -sub : sub;
}

inline float bf16_to_f32(uint16_t b) { return bits_to_f32(static_cast<uint32_t>(b) << 16); }

// F8_E5M2 is the top byte of an IEEE half (same bias 15, Inf, NaN).
inline float f8e5m2_to_f32(uint8_t b) { return f16_to_f32(static_cast<uint16_t>(b << 8)); }

[[noreturn]] void throw_not_decodable(Dtype d);

}  // namespace dtype_detail

// Element i as float32 with the dtype fixed at compile time: hot loops pick D once per tensor
// (visit_analyzable) instead of switching per element, and nothing here can throw (a throwing
// callee costs an exception-handling trampoline per call under Emscripten).
template <Dtype D>
inline float decode_f32(const uint8_t* data, size_t i) noexcept {
  using namespace dtype_detail;
  if constexpr (D == Dtype::F32) return load<float>(data + 4 * i);
  else if constexpr (D == Dtype::BF16) return bf16_to_f32(load<uint16_t>(data + 2 * i));
  else if constexpr (D == Dtype::F16) return f16_to_f32(load<uint16_t>(data + 2 * i));
  else if constexpr (D == Dtype::F64) return static_cast<float>(load<double>(data + 8 * i));
  else if constexpr (D == Dtype::F8_E4M3) return kF8E4M3[data[i]];
  else {
    static_assert(D == Dtype::F8_E5M2, "not an analyzable dtype");
    return f8e5m2_to_f32(data[i]);
  }
}

// Calls fn(std::integral_constant<Dtype, d>{}) for an analyzable d; throws std::logic_error otherwise.
template <typename Fn>
inline decltype(auto) visit_analyzable(Dtype d, Fn&& fn) {
  switch (d) {
    case Dtype::F32: return fn(std::integral_constant<Dtype, Dtype::F32>{});
    case Dtype::BF16: return fn(std::integral_constant<Dtype, Dtype::BF16>{});
    case Dtype::F16: return fn(std::integral_constant<Dtype, Dtype::F16>{});
    case Dtype::F64: return fn(std::integral_constant<Dtype, Dtype::F64>{});
    case Dtype::F8_E4M3: return fn(std::integral_constant<Dtype, Dtype::F8_E4M3>{});
    case Dtype::F8_E5M2: return fn(std::integral_constant<Dtype, Dtype::F8_E5M2>{});
    default: dtype_detail::throw_not_decodable(d);
  }
}

// Element i as double, dtype fixed at compile time: F64 as stored, the others exactly from float32.
template <Dtype D>
inline double decode(const uint8_t* data, size_t i) noexcept {
  if constexpr (D == Dtype::F64) return dtype_detail::load<double>(data + 8 * i);
  else return decode_f32<D>(data, i);
}

inline float decode_element_f32(const uint8_t* data, Dtype d, size_t i) {
  return visit_analyzable(d, [&](auto D) { return decode_f32<D.value>(data, i); });
}

inline double decode_element(const uint8_t* data, Dtype d, size_t i) {
  return visit_analyzable(d, [&](auto D) { return decode<D.value>(data, i); });
}

}  // namespace ws
