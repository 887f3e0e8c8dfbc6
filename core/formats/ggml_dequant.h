#pragma once
// ggml's block quantizations decoded to float32 as ggml's reference dequantize_row_* routines do:
// the same products and sums in the same order, each rounded on its own (no fused multiply-add), so
// every value is bit for bit what ggml and gguf-py compute. Block layouts: ggml/src/ggml-common.h;
// all multi-byte fields are little-endian, the scales (d, dmin, m) IEEE binary16.
#include <cstddef>
#include <cstdint>

namespace ws {

// Decodes n_blocks consecutive blocks at `blocks` into n_blocks * (elements per block) floats.
using DequantizeFn = void (*)(const uint8_t* blocks, size_t n_blocks, float* out);

// 32 elements per block: x = d * q (q signed), or d * q + m (q unsigned) for the _1 types.
void dequantize_q4_0(const uint8_t* blocks, size_t n_blocks, float* out);  // 18 bytes
void dequantize_q4_1(const uint8_t* blocks, size_t n_blocks, float* out);  // 20 bytes
void dequantize_q5_0(const uint8_t* blocks, size_t n_blocks, float* out);  // 22 bytes
void dequantize_q5_1(const uint8_t* blocks, size_t n_blocks, float* out);  // 24 bytes
void dequantize_q8_0(const uint8_t* blocks, size_t n_blocks, float* out);  // 34 bytes

// K-quants: 256-element super-blocks of 16 or 8 sub-blocks, each with a quantized scale (and min).
void dequantize_q2_k(const uint8_t* blocks, size_t n_blocks, float* out);  // 84 bytes
void dequantize_q3_k(const uint8_t* blocks, size_t n_blocks, float* out);  // 110 bytes
void dequantize_q4_k(const uint8_t* blocks, size_t n_blocks, float* out);  // 144 bytes
void dequantize_q5_k(const uint8_t* blocks, size_t n_blocks, float* out);  // 176 bytes
void dequantize_q6_k(const uint8_t* blocks, size_t n_blocks, float* out);  // 210 bytes

}  // namespace ws
