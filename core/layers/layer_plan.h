#pragma once
// Which tensors are layers, with the reference tool's state-dict conventions
// (docs/methods.md, "Layers", "Conv2d handling", "Size gates"): 2-D -> dense, 4-D -> conv2d (kh*kw slices pooled),
// others skipped; size gates min_evals / max_evals / max_N.
#include <cstdint>
#include <string>

#include "formats/tensor_info.h"

namespace ws {

enum class LayerKind { Dense, Conv2d };

struct LayerOptions {
  int64_t min_evals = 10;     // reference DEFAULT_MIN_EVALS
  int64_t max_evals = 15000;
  int64_t max_N = 50000;
  bool conv2d_norm = true;    // pooled conv eigenvalues x 1/2, the reference default
  bool require_weight_suffix = true;  // state-dict rule: only "*.weight" keys are candidates
};

struct LayerPlan {
  bool candidate = false;  // a "*.weight" tensor (or any tensor when the suffix is not required; or as the format's is_weight says)
  bool analyze = false;    // candidate that passes every gate
  std::string name;        // key without its trailing ".weight"
  std::string type;        // "dense", "conv2d", or "unknown"
  std::string skip_reason; // set when candidate && !analyze
  LayerKind kind = LayerKind::Dense;
  int64_t N = 0, M = 0, rf = 1, num_evals = 0;
};

LayerPlan plan_layer(const TensorInfo& t, const LayerOptions& opt);

// "[360, 120]": a shape as messages show it.
std::string shape_text(const std::vector<uint64_t>& shape);

}  // namespace ws
