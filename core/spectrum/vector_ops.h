#pragma once
// Level-1 helpers of the spectrum engine in double precision (SIMD via simd.h) and the Householder
// reflector of LAPACK dlarfg. Included after spectrum/fma_contract.h by the kernels.
#include <cmath>
#include <cstdint>

#include "spectrum/simd.h"

namespace ws::spectrum {

inline double dot(const double* x, const double* y, int64_t n) {
  constexpr int L = simd::kLanes;
  simd::vd s0{}, s1{};
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    s0 = simd::madd(simd::load(x + i), simd::load(y + i), s0);
    s1 = simd::madd(simd::load(x + i + L), simd::load(y + i + L), s1);
  }
  double s = simd::hsum(s0 + s1);
  for (; i < n; ++i) s += x[i] * y[i];
  return s;
}

inline void axpy(double alpha, const double* x, double* y, int64_t n) {
  constexpr int L = simd::kLanes;
  const simd::vd va = simd::splat(alpha);
  int64_t i = 0;
  for (; i + L <= n; i += L) simd::store(y + i, simd::madd(va, simd::load(x + i), simd::load(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// Householder reflector H = I - tau u u^T, u = (1, x(0:n)), with H (alpha, x) = (beta, 0) (LAPACK
// dlarfg). Overwrites x with u(1:); returns tau (0 when x is already 0: H = I), sets beta.
inline double householder(double alpha, double* x, int64_t n, double& beta) {
  const double xnorm = std::sqrt(dot(x, x, n));
  if (xnorm == 0.0) {
    beta = alpha;
    return 0.0;
  }
  beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
  const double inv = 1.0 / (alpha - beta);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
  return (beta - alpha) / beta;
}

}  // namespace ws::spectrum
