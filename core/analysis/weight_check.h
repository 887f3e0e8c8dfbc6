#pragma once
// Reasons a layer's weights cannot give a meaningful spectrum, found before any eigenvalue work.
#include <optional>
#include <string>

#include "formats/tensor_info.h"

namespace ws {

// A skip reason for NaN/Inf, all-zero or constant weights; nullopt when the weights are usable.
std::optional<std::string> check_weights(const uint8_t* data, const TensorInfo& t);

// The same check over a tensor seen in pieces, in any order (analysis/streamed_layer.h): the
// reason is check_weights' for the whole tensor once every element was added.
class WeightScan {
 public:
  struct Counts {
    uint64_t non_finite = 0, first_bad = 0;
    bool all_zero = true, constant = true;
  };
  explicit WeightScan(Dtype dtype) : dtype_(dtype) {}
  // n elements of the tensor's dtype at data, the first being element first_index of the tensor.
  void add(const uint8_t* data, uint64_t n, uint64_t first_index);
  std::optional<std::string> reason() const;
  bool finite() const { return counts_.non_finite == 0; }  // so far

 private:
  Dtype dtype_;
  uint64_t elements_ = 0;
  double reference_ = 0;  // the first element added
  Counts counts_;
};

}  // namespace ws
