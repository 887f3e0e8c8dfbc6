#include "layers/layer_plan.h"

#include <algorithm>
#include <limits>

#include "layers/conv_layout.h"

namespace ws {

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

constexpr const char* kSuffix = ".weight";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Shapes come from untrusted headers: saturate instead of overflowing, the gates then reject.
int64_t clamp_dim(uint64_t d) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(d, kMax));
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::numeric_limits<int64_t>::max();
  return r;
}

bool is_integer_dtype(Dtype d) {
  switch (d) {
    case Dtype::BOOL: case Dtype::U8: case Dtype::I8: case Dtype::I16: case Dtype::U16:
    case Dtype::I32: case Dtype::U32: case Dtype::I64: case Dtype::U64:
      return true;
    default:
      return false;
  }
}

// The first reason this candidate is not analyzed, or "" (checks in the reference's order:
// layer type, then size gates; dtype and empty tensors are ours, the reference would crash).
std::string skip_reason(const TensorInfo& t, const LayerPlan& p, const LayerOptions& opt) {
  const size_t rank = t.shape.size();
  if (rank != 2 && rank != 4)
    return std::to_string(rank) + "-D tensor " + shape_text(t.shape) + ": not a dense (2-D) or conv2d (4-D) layer";
  if (!t.unsupported.empty()) return t.unsupported;  // a stored type the reader cannot decode
  if (is_integer_dtype(t.dtype))
    return std::string("dtype ") + dtype_name(t.dtype) + " is not a float type";
  if (!dtype_is_analyzable(t.dtype)) return std::string("dtype ") + dtype_name(t.dtype) + " is not supported";
  if (std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end())
    return "empty tensor " + shape_text(t.shape);
  const std::string count = "num_evals M*rf = " + std::to_string(p.M) + "*" + std::to_string(p.rf) + " = " +
                            std::to_string(p.num_evals);
  if (p.num_evals < opt.min_evals) return count + " < min_evals = " + std::to_string(opt.min_evals);
  if (p.num_evals > opt.max_evals) return count + " > max_evals = " + std::to_string(opt.max_evals);
  if (p.N > opt.max_N) return "N = " + std::to_string(p.N) + " > max_N = " + std::to_string(opt.max_N);
  return "";
}

}  // namespace

LayerPlan plan_layer(const TensorInfo& t, const LayerOptions& opt) {
  LayerPlan p;
  const bool has_suffix = ends_with(t.name, kSuffix);
  // The format's own answer (ONNX: the consuming op) wins over the name rule.
  p.candidate = t.is_weight ? *t.is_weight : has_suffix || !opt.require_weight_suffix;
  if (!p.candidate) return p;
  p.name = has_suffix ? t.name.substr(0, t.name.size() - std::char_traits<char>::length(kSuffix)) : t.name;

  // N, M of one matrix, rf matrices pooled (reference: N = max side, M = min side, num_evals = M*rf).
  // The reference's N/M swap for even kernel counts with O < I is not reproduced: no reference
  // output shows it, and it changes nothing in the spectrum.
  if (t.shape.size() == 2) {
    p.type = "dense";
    p.kind = LayerKind::Dense;
    const int64_t a = clamp_dim(t.shape[0]), b = clamp_dim(t.shape[1]);
    p.N = std::max(a, b);
    p.M = std::min(a, b);
    p.rf = 1;
  } else if (t.shape.size() == 4) {
    p.type = "conv2d";
    p.kind = LayerKind::Conv2d;
    const ConvLayout c = conv_layout(t.shape);
    const int64_t a = clamp_dim(c.rows), b = clamp_dim(c.cols);
    p.N = std::max(a, b);
    p.M = std::min(a, b);
    p.rf = saturating_mul(clamp_dim(c.slices_i), clamp_dim(c.slices_j));
  } else {
    p.type = "unknown";
  }
  p.num_evals = saturating_mul(p.M, p.rf);
  p.skip_reason = skip_reason(t, p, opt);
  p.analyze = p.skip_reason.empty();
  return p;
}

}  // namespace ws
