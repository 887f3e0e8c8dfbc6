#include "analysis/weight_check.h"

#include <cmath>
#include <cstdint>

namespace ws {

namespace {

struct Scan {
  uint64_t non_finite = 0, first_bad = 0;
  bool all_zero = true, constant = true;
};

// One pass with the dtype fixed at compile time (the tensor can be hundreds of MB).
template <Dtype D>
Scan scan(const uint8_t* data, uint64_t n) {
  Scan s;
  const double first = decode<D>(data, 0);
  for (uint64_t i = 0; i < n; ++i) {
    const double v = decode<D>(data, i);
    if (!std::isfinite(v)) {
      if (s.non_finite++ == 0) s.first_bad = i;
      continue;
    }
    s.all_zero = s.all_zero && v == 0.0;
    s.constant = s.constant && v == first;
  }
  return s;
}

}  // namespace

std::optional<std::string> check_weights(const uint8_t* data, const TensorInfo& t) {
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  const uint64_t n = bits ? t.nbytes * 8 / bits : 0;
  if (n == 0) return "tensor has no elements";
  const Scan s = visit_analyzable(t.dtype, [&](auto D) { return scan<D.value>(data, n); });
  if (s.non_finite > 0)
    return std::to_string(s.non_finite) + " of " + std::to_string(n) +
           " weights are NaN or Inf (first at element " + std::to_string(s.first_bad) + ")";
  if (s.all_zero) return "all weights are zero";
  if (s.constant) return "all weights are equal (a rank-1 matrix has no spectrum to fit)";
  return std::nullopt;
}

}  // namespace ws
