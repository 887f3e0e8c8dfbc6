#include "analysis/weight_check.h"

#include <cmath>
#include <cstdint>

namespace ws {

std::optional<std::string> check_weights(const uint8_t* data, const TensorInfo& t) {
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  const uint64_t n = bits ? t.nbytes * 8 / bits : 0;
  if (n == 0) return "tensor has no elements";
  uint64_t non_finite = 0, first_bad = 0;
  bool all_zero = true, constant = true;
  const double first = decode_element(data, t.dtype, 0);
  for (uint64_t i = 0; i < n; ++i) {
    const double v = decode_element(data, t.dtype, i);
    if (!std::isfinite(v)) {
      if (non_finite++ == 0) first_bad = i;
      continue;
    }
    all_zero = all_zero && v == 0.0;
    constant = constant && v == first;
  }
  if (non_finite > 0)
    return std::to_string(non_finite) + " of " + std::to_string(n) +
           " weights are NaN or Inf (first at element " + std::to_string(first_bad) + ")";
  if (all_zero) return "all weights are zero";
  if (constant) return "all weights are equal (a rank-1 matrix has no spectrum to fit)";
  return std::nullopt;
}

}  // namespace ws
