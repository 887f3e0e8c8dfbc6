#pragma once
// exp(t) for t <= 0, written so that loops calling it auto-vectorize (no libm call, no branches):
// -O3 -march=native natively, -msimd128 in wasm. Accuracy: <= 2 ulp for t in [-708, 0]; t < -708
// is clamped (the result, < 1e-307, only ever enters as 1 - exp(t) == 1).
#include <cstdint>
#include <cstring>

namespace ws {

inline double exp_nonpositive(double t) {
  t = t < -708.0 ? -708.0 : t;
  // k = round(t / ln2) via the 1.5*2^52 shifter: k lands in the low mantissa bits of kf.
  const double shifter = 0x1.8p52;
  const double kf = t * 1.4426950408889634 + shifter;
  const double k = kf - shifter;
  // r = t - k ln2 in two parts (Cody-Waite), |r| <= 0.3466.
  const double r = (t - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  // Taylor series to r^13: truncation error < 1e-17 relative on |r| <= 0.3466.
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k: the low bits of kf hold k in two's complement; shifting left by 52 drops the shifter bits.
  uint64_t bits;
  std::memcpy(&bits, &kf, sizeof bits);
  bits = (bits + 1023u) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace ws
