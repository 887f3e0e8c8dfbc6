#include "analysis/lora_analysis.h"

#include <algorithm>

#include "analysis/layer_analysis.h"
#include "analysis/weight_check.h"
#include "io/input_error.h"
#include "report/fields.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/low_rank_eigenvalues.h"

namespace ws {
namespace {

constexpr char kUpdateSuffix[] = ".lora_BA";         // weightwatcher's peft=True row name
constexpr char kWithBaseSuffix[] = ".lora_W_plus_AB";  // its peft='with_base' row name

MatrixView view(const std::vector<uint8_t>& data, const TensorInfo& t) {
  MatrixView v;
  v.data = data.data();
  v.dtype = t.dtype;
  v.rows = static_cast<int64_t>(t.shape[0]);
  v.cols = static_cast<int64_t>(t.shape[1]);
  v.row_stride = v.cols;
  return v;
}

// Why factor t (A or B) cannot be read as a 2-D float matrix, or "".
std::string factor_problem(const TensorInfo& t, const char* which) {
  const std::string what = std::string(which) + " '" + t.name + "' " + shape_text(t.shape);
  if (t.shape.size() == 4) return what + ": a Conv2d LoRA factor (4-D); only Linear and Embedding adapters are analyzed";
  if (t.shape.size() != 2) return what + ": a LoRA factor must be 2-D";
  if (t.shape[0] == 0 || t.shape[1] == 0) return what + ": empty";
  if (!t.unsupported.empty()) return what + ": " + t.unsupported;
  if (!dtype_is_analyzable(t.dtype)) return what + ": dtype " + dtype_name(t.dtype) + " is not a float type read here";
  return "";
}

// The update's shape as PEFT's get_delta_weight gives it: [out, in] = B A, transposed for
// Embedding and for fan_in_fan_out (the base weight is then stored [in, out]).
bool transposed(const LoraModule& m, const LoraConfig& c) { return m.embedding || c.fan_in_fan_out; }

// W + dW in float64, laid out as the base tensor w: row by row, base row widened plus
// scaling * (B A) (its transpose when t_out), so only the result is held beside the inputs.
std::vector<double> merged_weight(const uint8_t* w, const TensorInfo& tw, const MatrixView& b, const MatrixView& a,
                                  double scaling, bool t_out) {
  const int64_t r = a.rows, in = a.cols, out = b.rows;
  std::vector<double> av(static_cast<size_t>(r * in));
  for (int64_t k = 0; k < r; ++k)
    for (int64_t i = 0; i < in; ++i) av[static_cast<size_t>(k * in + i)] = a.at(k, i);
  std::vector<double> sum(static_cast<size_t>(out * in), 0.0), row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t k = 0; k < r; ++k) {
      const double bk = scaling * b.at(o, k);
      const double* ak = &av[static_cast<size_t>(k * in)];
      for (int64_t i = 0; i < in; ++i) row[static_cast<size_t>(i)] += bk * ak[i];
    }
    for (int64_t i = 0; i < in; ++i) {
      const size_t at = static_cast<size_t>(t_out ? i * out + o : o * in + i);
      sum[at] = decode_element(w, tw.dtype, at) + row[static_cast<size_t>(i)];
    }
  }
  return sum;
}

}  // namespace

LoraAdapter::LoraAdapter(const ModelInput& model)
    : config_(parse_lora_config(model.adapter_config.value(), "adapter_config.json")),
      modules_(lora_modules(model.tensors)) {}

bool LoraAdapter::owns(size_t index) const {
  return index < modules_.factor_of_tensor.size() && modules_.factor_of_tensor[index].has_value();
}

bool LoraAdapter::adapts(const std::string& base_key) const {
  return std::any_of(modules_.modules.begin(), modules_.modules.end(),
                     [&](const LoraModule& m) { return lora_base_key(m) == base_key; });
}

LoraAdapter::Step LoraAdapter::step(size_t index, ModelInput& model, BaseModel* base, const AnalyzeOptions& opt,
                                    ThreadPool& pool) const {
  const LoraModule& m = modules_.modules[modules_.factor_of_tensor.at(index)->module];
  const bool first = !m.a || !m.b || index == std::min(*m.a, *m.b);
  if (!first && !base) return {};
  Step s;
  s.name = m.prefix + (first ? kUpdateSuffix : kWithBaseSuffix);
  const auto skip = [&](std::string reason) {
    s.skip_reason = std::move(reason);
    return s;
  };
  if (!m.a || !m.b)
    return skip(std::string(m.a ? "lora_A" : "lora_B") + " of module '" + m.module + "' has no " + (m.a ? "lora_B" : "lora_A") +
                " partner in the adapter");
  const TensorInfo& ta = model.tensors[*m.a];
  const TensorInfo& tb = model.tensors[*m.b];
  for (const auto& [t, which] : {std::pair{&ta, "lora_A"}, std::pair{&tb, "lora_B"}})
    if (auto p = factor_problem(*t, which); !p.empty()) return skip(p);
  const int64_t r = static_cast<int64_t>(ta.shape[0]);
  if (tb.shape[1] != ta.shape[0])
    return skip("lora_A " + shape_text(ta.shape) + " has r = " + std::to_string(r) + " rows but lora_B " +
                shape_text(tb.shape) + " has " + std::to_string(tb.shape[1]) + " columns");
  const int64_t r_config = config_.rank_of(m.module);
  if (r != r_config)
    return skip("lora_A " + shape_text(ta.shape) + " has rank " + std::to_string(r) + " but adapter_config.json gives r = " +
                std::to_string(r_config) + " for module '" + m.module + "'");
  const int64_t in = static_cast<int64_t>(ta.shape[1]), out = static_cast<int64_t>(tb.shape[0]);
  const int64_t num_evals = std::min({r, in, out});
  if (first && num_evals < opt.layers.min_evals)
    return skip("num_evals = min(r, in, out) = " + std::to_string(num_evals) + " < min_evals = " +
                std::to_string(opt.layers.min_evals) + " (dW = scaling * B A has at most r nonzero eigenvalues)");

  const std::vector<uint8_t> a = read_tensor(model, ta);
  if (auto bad = check_weights(a.data(), ta)) return skip("lora_A: " + *bad);
  const std::vector<uint8_t> b = read_tensor(model, tb);
  if (auto bad = check_weights(b.data(), tb))
    return skip("lora_B: " + *bad + (*bad == "all weights are zero" ? " (an untrained adapter: PEFT starts B at 0)" : ""));
  const double scaling = config_.scaling_of(m.module);
  const bool t_out = transposed(m, config_);
  const uint64_t rows = static_cast<uint64_t>(t_out ? in : out), cols = static_cast<uint64_t>(t_out ? out : in);

  FieldWriter lora(layer_fields());
  lora.set({{"lora_r", r}, {"lora_alpha", config_.alpha_of(m.module)}, {"lora_scaling", scaling}});
  if (first) {
    TensorInfo update = ta;  // the update as the layer: A's dtype, dW's shape
    update.shape = {rows, cols};
    LayerPlan plan;
    plan.name = s.name;
    plan.type = "dense";
    plan.N = std::max(in, out);
    plan.M = std::min(in, out);
    if (plan.N > opt.layers.max_N)
      return skip("N = " + std::to_string(plan.N) + " > max_N = " + std::to_string(opt.layers.max_N));
    AnalyzeOptions o = opt;
    o.mp_fit = false;  // the Marchenko-Pastur bulk is not in r nonzero eigenvalues
    const std::vector<double> evals = low_rank_eigenvalues(view(b, tb), view(a, ta), scaling);
    s.layer = analyze_eigenvalues(evals, update, plan, o, pool);
    lora.set("lora_update", "BA");
  } else {
    const TensorInfo* tw = base->find(lora_base_key(m));
    if (!tw) return skip("the base model has no tensor '" + lora_base_key(m) + "' for module '" + m.module + "'");
    if (tw->shape != std::vector<uint64_t>{rows, cols})
      return skip("base tensor '" + tw->name + "' " + shape_text(tw->shape) + " is not the update's " +
                  shape_text({rows, cols}) + (config_.fan_in_fan_out ? " (fan_in_fan_out: stored [in, out])" : ""));
    if (!tw->unsupported.empty() || !dtype_is_analyzable(tw->dtype))
      return skip("base tensor '" + tw->name + "': " + (tw->unsupported.empty() ? std::string("dtype ") + dtype_name(tw->dtype) + " is not supported" : tw->unsupported));
    const std::vector<uint8_t> w = base->read(*tw);
    // W_base's own alpha beside W + dW's, as a fine-tune's rows have it (analysis/delta_layer.h).
    if (const LayerPlan bp = plan_layer(*tw, opt.layers); bp.analyze && !check_weights(w.data(), *tw)) {
      const std::vector<double> evals = pooled_eigenvalues(layer_matrices(w.data(), *tw, bp, opt.layers), pool);
      const PowerLawFit fit = fit_power_law(evals, opt.powerlaw, pool);
      if (fit.ok) lora.set("alpha_base", fit.alpha);
    }
    const std::vector<double> sum = merged_weight(w.data(), *tw, view(b, tb), view(a, ta), scaling, t_out);
    TensorInfo merged = *tw;  // the base tensor's name and shape, holding W + dW as F64
    merged.dtype = Dtype::F64;
    merged.nbytes = sum.size() * sizeof(double);
    merged.storage.clear();
    merged.stored_nbytes = 0;
    merged.onnx_encoding = 0;
    merged.transposed = false;
    const auto* bytes = reinterpret_cast<const uint8_t*>(sum.data());
    LayerPlan plan = plan_layer(merged, opt.layers);
    plan.name = s.name;
    if (!plan.analyze) return skip(plan.skip_reason);
    if (auto bad = check_weights(bytes, merged)) return skip("W + dW: " + *bad);
    s.layer = analyze_layer(bytes, merged, plan, opt, pool);
    lora.set({{"lora_update", "W_plus_BA"}, {"base_tensor", tw->name}});
  }
  s.layer["tensor"] = model.tensors[index].name;  // the step's factor; the base's key is base_tensor
  s.layer.update(lora.take());
  return s;
}

}  // namespace ws
