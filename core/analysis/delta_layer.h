#pragma once
// One layer of a fine-tuned model against its base (the `base` option): reads the tensor pair one
// after the other, builds dW = float64(W_ft) - float64(W_base) (layers/base_pairing.h) and fits
// each side's own spectrum on the way, so the layer is analyzed as dW with W_base's and W_ft's
// alpha beside it and only one input tensor is resident next to dW at any time.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "layers/base_pairing.h"
#include "util/thread_pool.h"

namespace ws {

struct DeltaLayer {
  DeltaTensor delta;        // dW for analyze_layer; empty when skip_reason is set
  std::string skip_reason;  // no partner, shape mismatch, or unchanged (dW == 0)
  // Layer fields (report/fields.cpp) computed here: delta_W, delta_b, delta_rel, and with
  // fit_sides alpha_base / alpha_ft where their fits succeed. An unchanged layer's skipped entry
  // keeps delta_W and delta_b (distances() counts it in its means).
  nlohmann::json fields = nlohmann::json::object();
};

// t: a fine-tuned tensor whose plan passed every gate. ft_bias: the layer's bias in the fine-tuned
// model, or nullptr; with a base bias of the same name and shape, delta_b = ||b_ft - b_base||_F
// (weightwatcher's distances()).
// Read errors of either model throw InputError.
DeltaLayer read_delta_layer(BaseModel& base, ModelInput& ft, const TensorInfo& t, const LayerPlan& plan,
                            const TensorInfo* ft_bias, const AnalyzeOptions& opt, ThreadPool& pool, bool fit_sides);

// The bias of the weight tensor `weight` ("x.weight" -> "x.bias") among tensors found by `find`
// (nullptr when absent or the weight has no ".weight" suffix).
template <class Find>
const TensorInfo* bias_of(const TensorInfo& weight, Find&& find) {
  const std::string suffix = ".weight";
  const std::string& n = weight.name;
  if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0) return nullptr;
  return find(n.substr(0, n.size() - suffix.size()) + ".bias");
}

// delta_b of weightwatcher's distances(): ||b_ft - b_base||_F when the base has ft_bias's name in
// the same shape; nullopt otherwise (distances() then counts 0).
std::optional<double> bias_distance(BaseModel& base, ModelInput& ft, const TensorInfo* ft_bias);

}  // namespace ws
