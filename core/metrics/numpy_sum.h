#pragma once
// numpy's float64 sum (pairwise_sum in numpy/core/src/umath/loops_utils.h): blocks of up to 128
// summed with 8 interleaved accumulators, larger ranges split in halves (multiple of 8).
// Using the same order makes our sums bit-identical to the reference's np.sum on the same values,
// so derived scalars (log_norm, the mean-1 rescale of detX and the MP fit) match to the last digit.
#include <cstddef>

namespace ws {

template <typename F>  // F(i) -> double: the i-th term
double numpy_pairwise_sum(size_t begin, size_t n, const F& term) {
  if (n < 8) {
    double s = 0.0;  // numpy starts from -0.0; identical for any non-empty sum of non-(-0) terms
    for (size_t i = 0; i < n; ++i) s += term(begin + i);
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (size_t k = 0; k < 8; ++k) r[k] = term(begin + k);
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (size_t k = 0; k < 8; ++k) r[k] += term(begin + i + k);
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += term(begin + i);
    return s;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(begin, n2, term) + numpy_pairwise_sum(begin + n2, n - n2, term);
}

template <typename F>
double numpy_sum(size_t n, const F& term) {
  return numpy_pairwise_sum(0, n, term);
}

}  // namespace ws
