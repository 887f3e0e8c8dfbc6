#pragma once
// Portable double-precision SIMD through GCC/clang vector extensions: AVX-512 / AVX natively
// (-march=native), 128-bit lanes on SSE2, NEON and wasm simd128 (-msimd128). Scalar code
// around these kernels stays plain C++.
#include <cstring>
#if defined(__FMA__) || defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__ARM_FEATURE_FMA) && defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace ws::simd {

#if defined(__AVX512F__)
#define WS_SIMD_BYTES 64
#elif defined(__AVX__)
#define WS_SIMD_BYTES 32
#else
#define WS_SIMD_BYTES 16
#endif

typedef double vd __attribute__((vector_size(WS_SIMD_BYTES)));
constexpr int kLanes = WS_SIMD_BYTES / 8;

// Unaligned load/store; memcpy compiles to one vector move.
inline vd load(const double* p) {
  vd v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(double* p, vd v) { std::memcpy(p, &v, sizeof v); }
inline vd splat(double x) {  // element-wise fill (not vd{} + x, which costs an add for -0.0)
  vd v;
  for (int i = 0; i < WS_SIMD_BYTES / 8; ++i) v[i] = x;
  return v;
}
// a * b + c, fused where the target has FMA: natively through the intrinsic (an inline function
// defined here lies before the kernels' contraction switch, spectrum/fma_contract.h, so the plain
// expression would stay a multiply and an add), and under wasm relaxed SIMD (the fma variant,
// -mrelaxed-simd) as one f64x2.relaxed_madd, which engines run fused where the CPU has FMA and as
// multiply + add elsewhere. LLVM 14 names it __builtin_wasm_fma_f64x2 and encodes it with the
// proposal's old opcode; wasm/relaxed_simd_opcodes.mjs renumbers it after the link.
inline vd madd(vd a, vd b, vd c) {
#if defined(__wasm_relaxed_simd__) && WS_SIMD_BYTES == 16
  return __builtin_wasm_fma_f64x2(a, b, c);
#elif defined(__AVX512F__)
  return (vd)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif defined(__FMA__) && WS_SIMD_BYTES == 32
  return (vd)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#elif defined(__FMA__)
  return (vd)_mm_fmadd_pd((__m128d)a, (__m128d)b, (__m128d)c);
#elif defined(__ARM_FEATURE_FMA) && defined(__aarch64__)
  return (vd)vfmaq_f64((float64x2_t)c, (float64x2_t)a, (float64x2_t)b);
#else
  return a * b + c;
#endif
}
inline double hsum(vd v) {
  double s = 0;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

}  // namespace ws::simd
