#include "analysis/weight_check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ws {

namespace {

// One pass with the dtype fixed at compile time (the tensor can be hundreds of MB). Values are
// compared with `reference`: all equal to it means all equal.
template <Dtype D>
void scan(const uint8_t* data, uint64_t n, uint64_t first_index, double reference, WeightScan::Counts& s) {
  for (uint64_t i = 0; i < n; ++i) {
    const double v = decode<D>(data, i);
    if (!std::isfinite(v)) {
      s.first_bad = s.non_finite++ == 0 ? first_index + i : std::min(s.first_bad, first_index + i);
      continue;
    }
    s.all_zero = s.all_zero && v == 0.0;
    s.constant = s.constant && v == reference;
  }
}

}  // namespace

void WeightScan::add(const uint8_t* data, uint64_t n, uint64_t first_index) {
  if (n == 0) return;
  visit_analyzable(dtype_, [&](auto D) {
    if (elements_ == 0) reference_ = decode<D.value>(data, 0);
    scan<D.value>(data, n, first_index, reference_, counts_);
  });
  elements_ += n;
}

std::optional<std::string> WeightScan::reason() const {
  const Counts& s = counts_;
  if (elements_ == 0) return "tensor has no elements";
  if (s.non_finite > 0)
    return std::to_string(s.non_finite) + " of " + std::to_string(elements_) +
           " weights are NaN or Inf (first at element " + std::to_string(s.first_bad) + ")";
  if (s.all_zero) return "all weights are zero";
  if (s.constant) return "all weights are equal (a rank-1 matrix has no spectrum to fit)";
  return std::nullopt;
}

std::optional<std::string> check_weights(const uint8_t* data, const TensorInfo& t) {
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  WeightScan s(t.dtype);
  s.add(data, bits ? t.nbytes * 8 / bits : 0, 0);
  return s.reason();
}

}  // namespace ws
