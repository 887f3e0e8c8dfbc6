#include "formats/dtype.h"

#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>

namespace ws {

namespace {

struct DtypeRow {
  Dtype dtype;
  const char* name;  // safetensors spelling (huggingface/safetensors tensor.rs `Dtype`)
  int bits;
};

constexpr DtypeRow kDtypes[] = {
    {Dtype::BOOL, "BOOL", 8},          {Dtype::U8, "U8", 8},
    {Dtype::I8, "I8", 8},              {Dtype::I16, "I16", 16},
    {Dtype::U16, "U16", 16},           {Dtype::I32, "I32", 32},
    {Dtype::U32, "U32", 32},           {Dtype::I64, "I64", 64},
    {Dtype::U64, "U64", 64},           {Dtype::F16, "F16", 16},
    {Dtype::BF16, "BF16", 16},         {Dtype::F32, "F32", 32},
    {Dtype::F64, "F64", 64},           {Dtype::F8_E4M3, "F8_E4M3", 8},
    {Dtype::F8_E5M2, "F8_E5M2", 8},    {Dtype::F8_E8M0, "F8_E8M0", 8},
    {Dtype::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8}, {Dtype::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8},
    {Dtype::F4, "F4", 4},              {Dtype::F6_E2M3, "F6_E2M3", 6},
    {Dtype::F6_E3M2, "F6_E3M2", 6},    {Dtype::C64, "C64", 64},
};

// The table is in enum order so a lookup is an index.
constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < std::size(kDtypes); ++i)
    if (static_cast<size_t>(kDtypes[i].dtype) != i) return false;
  return true;
}
static_assert(table_in_enum_order(), "kDtypes must list Dtype values in declaration order");

const DtypeRow& row(Dtype d) {
  const auto i = static_cast<size_t>(d);
  if (i >= std::size(kDtypes)) throw std::logic_error("unknown Dtype value " + std::to_string(i));
  return kDtypes[i];
}

// F8_E4M3FN: s eeee mmm, bias 7; e = 0 is subnormal (m * 2^-9); 0x7F/0xFF are NaN; no Inf.
constexpr std::array<float, 256> make_f8e4m3_table() {
  std::array<float, 256> t{};
  for (int b = 0; b < 256; ++b) {
    const int e = (b >> 3) & 0xF, m = b & 7;
    float v = 0.0f;
    if (e == 0xF && m == 7) {
      v = std::numeric_limits<float>::quiet_NaN();
    } else {
      float scale = 1.0f;  // 2^(e-7), or 2^-6 for subnormals; powers of two are exact
      for (int k = (e == 0 ? 1 : e); k < 7; ++k) scale *= 0.5f;
      for (int k = 7; k < e; ++k) scale *= 2.0f;
      v = (e == 0 ? static_cast<float>(m) / 8.0f : 1.0f + static_cast<float>(m) / 8.0f) * scale;
    }
    t[static_cast<size_t>(b)] = (b & 0x80) ? -v : v;
  }
  return t;
}

}  // namespace

namespace dtype_detail {

constexpr std::array<float, 256> kF8E4M3 = make_f8e4m3_table();

void throw_not_decodable(Dtype d) {
  // Callers check dtype_is_analyzable first; reaching this is a bug, not bad input.
  throw std::logic_error(std::string("decode_element: dtype ") + dtype_name(d) + " is not decodable");
}

}  // namespace dtype_detail

std::optional<Dtype> parse_dtype(std::string_view name) {
  for (const DtypeRow& r : kDtypes)
    if (name == r.name) return r.dtype;
  return std::nullopt;
}

const char* dtype_name(Dtype d) { return row(d).name; }

int dtype_bits(Dtype d) { return row(d).bits; }

bool dtype_is_analyzable(Dtype d) {
  switch (d) {
    case Dtype::F64: case Dtype::F32: case Dtype::F16: case Dtype::BF16:
    case Dtype::F8_E4M3: case Dtype::F8_E5M2:
      return true;
    default:
      return false;
  }
}

}  // namespace ws
