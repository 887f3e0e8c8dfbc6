#include "formats/ggml_dequant.h"

#include "formats/dtype.h"

// The reference rounds every product and every sum separately (gguf-py's numpy twin of these
// routines agrees with ggml's C bit for bit). Clang contracts a*b+c into an FMA by default where the
// target has one (-march=native), which would change the last bit: keep them apart in this file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace ws {
namespace {

using dtype_detail::f16_to_f32;
using dtype_detail::load;

float half_at(const uint8_t* p) { return f16_to_f32(load<uint16_t>(p)); }

// The legacy 32-element types share one layout: d [, m] [, 32 high bits], 16 bytes of nibbles, where
// byte j holds element j (low nibble) and element j + 16 (high nibble); the 5-bit types take the
// fifth bit of element i from bit i of the high-bit word.
constexpr int kQk = 32;

template <bool kHasMin, bool kHasHighBits, int kBlockBytes>
void dequantize_legacy(const uint8_t* block, size_t n_blocks, float* out) {
  constexpr int kQsAt = 2 + (kHasMin ? 2 : 0) + (kHasHighBits ? 4 : 0);
  static_assert(kQsAt + kQk / 2 == kBlockBytes, "block layout");
  // Signed types centre the quant (x = (q - 2^(bits-1)) * d); the _1 types add the min m instead.
  constexpr int kOffset = kHasMin ? 0 : (kHasHighBits ? 16 : 8);
  for (size_t b = 0; b < n_blocks; ++b, block += kBlockBytes, out += kQk) {
    const float d = half_at(block);
    const float m = kHasMin ? half_at(block + 2) : 0.0f;
    const uint32_t high = kHasHighBits ? load<uint32_t>(block + 2 + (kHasMin ? 2 : 0)) : 0;
    const uint8_t* qs = block + kQsAt;
    for (int j = 0; j < kQk / 2; ++j) {
      const int q0 = (qs[j] & 0x0F) | static_cast<int>(((high >> j) & 1u) << 4);
      const int q1 = (qs[j] >> 4) | static_cast<int>(((high >> (j + 16)) & 1u) << 4);
      if constexpr (kHasMin) {
        out[j] = q0 * d + m;
        out[j + kQk / 2] = q1 * d + m;
      } else {
        out[j] = (q0 - kOffset) * d;
        out[j + kQk / 2] = (q1 - kOffset) * d;
      }
    }
  }
}

constexpr int kQkK = 256;  // K-quant super-block

// Q4_K / Q5_K: 8 sub-blocks of 32, each with a 6-bit scale and a 6-bit min packed into 12 bytes:
// sub-blocks 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their
// low 4 bits from the nibbles of bytes 8-11 and their top 2 bits from the spare top bits of 0-7.
void scale_min_k4(int j, const uint8_t* s, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Q4_K and Q5_K differ only by Q5_K's fifth bit: element l of 32-element chunk pair c takes it from
// bit 2c (low nibbles) or 2c + 1 (high nibbles) of qh[l].
template <bool kFiveBit, int kBlockBytes>
void dequantize_k4(const uint8_t* block, size_t n_blocks, float* out) {
  constexpr int kScalesAt = 4, kQhAt = 16, kQsAt = kFiveBit ? 48 : 16;
  static_assert(kQsAt + kQkK / 2 == kBlockBytes, "block layout");
  for (size_t b = 0; b < n_blocks; ++b, block += kBlockBytes) {
    const float d = half_at(block), dmin = half_at(block + 2);
    const uint8_t* qh = block + kQhAt;
    for (int c = 0; c < 4; ++c) {  // 64 elements: the low nibbles of 32 bytes, then their high nibbles
      const uint8_t* qs = block + kQsAt + 32 * c;
      int scale = 0, min = 0;
      scale_min_k4(2 * c, block + kScalesAt, scale, min);
      const float d1 = d * scale, m1 = dmin * min;
      scale_min_k4(2 * c + 1, block + kScalesAt, scale, min);
      const float d2 = d * scale, m2 = dmin * min;
      for (int l = 0; l < 32; ++l) {
        const int high = (kFiveBit && ((qh[l] >> (2 * c)) & 1)) ? 16 : 0;
        *out++ = d1 * ((qs[l] & 0x0F) + high) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        const int high = (kFiveBit && ((qh[l] >> (2 * c + 1)) & 1)) ? 16 : 0;
        *out++ = d2 * ((qs[l] >> 4) + high) - m2;
      }
    }
  }
}

}  // namespace

void dequantize_q4_0(const uint8_t* blocks, size_t n, float* out) { dequantize_legacy<false, false, 18>(blocks, n, out); }
void dequantize_q4_1(const uint8_t* blocks, size_t n, float* out) { dequantize_legacy<true, false, 20>(blocks, n, out); }
void dequantize_q5_0(const uint8_t* blocks, size_t n, float* out) { dequantize_legacy<false, true, 22>(blocks, n, out); }
void dequantize_q5_1(const uint8_t* blocks, size_t n, float* out) { dequantize_legacy<true, true, 24>(blocks, n, out); }

// d, then 32 signed bytes: x = q * d.
void dequantize_q8_0(const uint8_t* block, size_t n_blocks, float* out) {
  for (size_t b = 0; b < n_blocks; ++b, block += 34) {
    const float d = half_at(block);
    for (int j = 0; j < kQk; ++j) *out++ = static_cast<int8_t>(block[2 + j]) * d;
  }
}

// Q2_K / Q3_K walk their 2-bit quants the same way: the 256 elements are two halves of 128, each
// reading 32 bytes of quants four times (bit pairs 0-1, 2-3, 4-5, 6-7); each pass yields two
// 16-element sub-blocks (bytes 0-15, then 16-31). Sub-block s = 8 * half + 2 * pass + (0 or 1).

// 16 bytes of 4-bit scale | 4-bit min per sub-block, 64 bytes of quants, d, dmin:
// x = (d * scale) * q - dmin * min.
void dequantize_q2_k(const uint8_t* block, size_t n_blocks, float* out) {
  for (size_t b = 0; b < n_blocks; ++b, block += 84) {
    const uint8_t* scales = block;
    const float d = half_at(block + 80), dmin = half_at(block + 82);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block + 16 + 32 * half;
      for (int pass = 0; pass < 4; ++pass) {
        for (int g = 0; g < 2; ++g) {
          const uint8_t sc = scales[8 * half + 2 * pass + g];
          const float dl = d * (sc & 0x0F), ml = dmin * (sc >> 4);
          for (int l = 0; l < 16; ++l) *out++ = dl * ((q[16 * g + l] >> (2 * pass)) & 3) - ml;
        }
      }
    }
  }
}

// 32 bytes of high bits (hmask), 64 of low 2 bits, 12 of packed 6-bit scales, d:
// x = (d * (scale - 32)) * (q - (high bit clear ? 4 : 0)). Element l of a sub-block reads hmask
// byte 16 * (0 or 1) + l, at bit 4 * half + pass.
void dequantize_q3_k(const uint8_t* block, size_t n_blocks, float* out) {
  for (size_t b = 0; b < n_blocks; ++b, block += 110) {
    const uint8_t* hmask = block;
    const uint8_t* packed = block + 96;
    const float d = half_at(block + 108);
    // 16 scales: the low 4 bits are the nibbles of bytes 0-7 (low nibbles of 0-3, of 4-7, then the
    // high nibbles of 0-3, of 4-7); the top 2 bits are the bit pairs of bytes 8-11 in the same order.
    int scale[16];
    for (int s = 0; s < 16; ++s) {
      const int group = s / 4, k = s % 4;
      const int low = (packed[4 * (group % 2) + k] >> (4 * (group / 2))) & 0x0F;
      const int top = (packed[8 + k] >> (2 * group)) & 3;
      scale[s] = (low | (top << 4)) - 32;
    }
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block + 32 + 32 * half;
      for (int pass = 0; pass < 4; ++pass) {
        const int bit = 4 * half + pass;
        for (int g = 0; g < 2; ++g) {
          const float dl = d * scale[8 * half + 2 * pass + g];
          for (int l = 0; l < 16; ++l) {
            const int low = (q[16 * g + l] >> (2 * pass)) & 3;
            *out++ = dl * (low - (((hmask[16 * g + l] >> bit) & 1) ? 0 : 4));
          }
        }
      }
    }
  }
}

// d, dmin, 12 bytes of scales/mins, 128 bytes of nibbles: x = (d * scale) * q - dmin * min.
void dequantize_q4_k(const uint8_t* blocks, size_t n, float* out) { dequantize_k4<false, 144>(blocks, n, out); }
// d, dmin, 12 bytes of scales/mins, 32 bytes of fifth bits, 128 bytes of nibbles.
void dequantize_q5_k(const uint8_t* blocks, size_t n, float* out) { dequantize_k4<true, 176>(blocks, n, out); }

// 128 bytes of low 4 bits, 64 of high 2 bits, 16 signed 8-bit scales, d: x = (d * scale) * (q - 32).
// Each half of 128 elements uses 64 low bytes, 32 high bytes and 8 scales: element l + 32 * i
// (i = 0..3, l = 0..31) has its low bits in the low (i even) or high (i odd) nibble of low byte
// l + 32 * (i % 2), its high bits in bit pair i of high byte l, and scale 2 * i + l / 16.
void dequantize_q6_k(const uint8_t* block, size_t n_blocks, float* out) {
  for (size_t b = 0; b < n_blocks; ++b, block += 210) {
    const float d = half_at(block + 208);
    for (int half = 0; half < 2; ++half, out += 128) {
      const uint8_t* ql = block + 64 * half;
      const uint8_t* qh = block + 128 + 32 * half;
      const int8_t* sc = reinterpret_cast<const int8_t*>(block + 192 + 8 * half);
      for (int i = 0; i < 4; ++i) {
        for (int l = 0; l < 32; ++l) {
          const int low = (ql[l + 32 * (i % 2)] >> (4 * (i / 2))) & 0x0F;
          const int q = (low | (((qh[l] >> (2 * i)) & 3) << 4)) - 32;
          out[l + 32 * i] = d * sc[2 * i + l / 16] * q;
        }
      }
    }
  }
}

}  // namespace ws
