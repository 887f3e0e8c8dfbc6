#include "analysis/delta_layer.h"

#include <algorithm>

#include "analysis/weight_check.h"
#include "layers/matrix_view.h"
#include "spectrum/eigenvalues.h"

namespace ws {
namespace {

// The power-law alpha of one side (W_base or W_ft) as its own layer, when its weights have a
// spectrum and the fit succeeds.
void add_side_alpha(nlohmann::json& fields, const char* key, const uint8_t* data, const TensorInfo& t,
                    const LayerPlan& plan, const AnalyzeOptions& opt, ThreadPool& pool) {
  if (check_weights(data, t)) return;
  const std::vector<double> evals = pooled_eigenvalues(layer_matrices(data, t, plan, opt.layers), pool);
  const PowerLawFit fit = fit_power_law(evals, opt.powerlaw, pool);
  if (fit.ok) fields[key] = fit.alpha;
}

bool all_zero(const DeltaTensor& d) {
  const double* v = reinterpret_cast<const double*>(d.bytes.data());
  return std::all_of(v, v + d.bytes.size() / sizeof(double), [](double x) { return x == 0.0; });
}

void add_bias_distance(nlohmann::json& fields, BaseModel& base, ModelInput& ft, const TensorInfo* ft_bias) {
  if (const auto d = bias_distance(base, ft, ft_bias)) fields["delta_b"] = *d;
}

}  // namespace

std::optional<double> bias_distance(BaseModel& base, ModelInput& ft, const TensorInfo* ft_bias) {
  if (!ft_bias || !dtype_is_analyzable(ft_bias->dtype) || !ft_bias->unsupported.empty()) return std::nullopt;
  const TensorInfo* base_bias = base.find(ft_bias->name);
  if (!pairing_problem(*ft_bias, base_bias).empty()) return std::nullopt;
  const std::vector<uint8_t> b = base.read(*base_bias), f = read_tensor(ft, *ft_bias);
  return frobenius_distance(f.data(), *ft_bias, b.data(), *base_bias);
}

DeltaLayer read_delta_layer(BaseModel& base, ModelInput& ft, const TensorInfo& t, const LayerPlan& plan,
                            const TensorInfo* ft_bias, const AnalyzeOptions& opt, ThreadPool& pool, bool fit_sides) {
  DeltaLayer out;
  const TensorInfo* b = base.find(t.name);
  out.skip_reason = pairing_problem(t, b);
  if (!out.skip_reason.empty()) return out;

  // Memory: the base bytes live only until dW holds -W_base and their fit is done, then the
  // fine-tuned bytes likewise; the peak is one input tensor + dW (8 bytes per element) + one
  // eigenproblem, never both models' tensors (tests/core/analysis/delta_layer_test.cpp).
  double base_norm = 0;
  {
    const std::vector<uint8_t> w = base.read(*b);
    out.delta = start_delta(w.data(), *b);
    base_norm = frobenius_norm(w.data(), *b);
    // (An unchanged layer's base fit is wasted: that dW = 0 is known only once W_ft is read.)
    if (fit_sides) add_side_alpha(out.fields, "alpha_base", w.data(), *b, plan, opt, pool);
  }
  {
    const std::vector<uint8_t> w = read_tensor(ft, t);
    add_to_delta(out.delta, w.data(), t);
    if (all_zero(out.delta)) {
      // weightwatcher's base_model= keeps an unchanged layer as a row with alpha -1 and status
      // failed (an all-zero dW has no eigenvalue above 1e-5). We skip it with this reason instead:
      // a "failed" fit would read as a problem of the layer, and its -1 would enter the means.
      // Its skipped entry keeps delta_W = 0 and delta_b, which distances() averages over.
      out.skip_reason = "unchanged: the fine-tuned tensor equals the base tensor element for element (dW = 0)";
      out.delta = {};
      out.fields = {{"delta_W", 0.0}};
      add_bias_distance(out.fields, base, ft, ft_bias);
      return out;
    }
    if (fit_sides) add_side_alpha(out.fields, "alpha_ft", w.data(), t, plan, opt, pool);
  }
  const double delta_W = frobenius_norm(out.delta.bytes.data(), out.delta.info);
  out.fields["delta_W"] = delta_W;
  add_bias_distance(out.fields, base, ft, ft_bias);
  if (base_norm > 0) out.fields["delta_rel"] = delta_W / base_norm;
  return out;
}

}  // namespace ws
