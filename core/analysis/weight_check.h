#pragma once
// Reasons a layer's weights cannot give a meaningful spectrum, found before any eigenvalue work.
#include <optional>
#include <string>

#include "formats/tensor_info.h"

namespace ws {

// A skip reason for NaN/Inf, all-zero or constant weights; nullopt when the weights are usable.
std::optional<std::string> check_weights(const uint8_t* data, const TensorInfo& t);

}  // namespace ws
