#include "report/fields.h"

#include <stdexcept>

namespace ws {
namespace {

using T = FieldType;
using S = ShareKeep;

// Eigenvalues of X = W^T W carry the square of the weights' unit.
constexpr const char* kEval = "weight\u00b2";
constexpr const char* kLogEval = "log10 weight\u00b2";

const char* kFit = "the fit succeeded";
const char* kFingers = "fix_fingers = clip_xmax";
const char* kMp = "mp_fit (default on) and the fit succeeded";
const char* kTpl = "fit = tpl and the fit succeeded";
const char* kRand = "randomize";
const char* kDetx = "detX (default on)";
const char* kHill = "the estimator is defined on the layer (docs/methods.md, \"Hill alpha\")";
const char* kDetxFit = "detX (default on) and the fit succeeded";
const char* kVec = "vectors (null when that side of xmin has no eigenvalue)";
const char* kLora = "a LoRA adapter (adapter_config.json beside the weights)";
const char* kBase = "base (the layer is dW = W_ft - W_base)";
const char* kBaseFit = "base, and that matrix's own fit succeeded";

}  // namespace

// Table order is the CSV's column order and the page table's column order.
const std::vector<Field>& layer_fields() {
  static const std::vector<Field> f = {
      {"index", T::Integer, "", "position of the tensor in the model (0-based)", "", false, "#", S::Exact},
      {"name", T::String, "", "layer name: the tensor key without .weight", "", true, "layer", S::Exact},
      {"tensor", T::String, "", "tensor key in the model file", "", false, "", S::Exact},
      {"type", T::String, "", "\"dense\" or \"conv2d\"", "", true, "type", S::Exact},
      {"shape", T::IntArray, "", "tensor shape as stored, row-major (GGUF: its ne reversed)", "", false, "", S::Exact},
      {"dtype", T::String, "", "element type analyzed: as stored (F32, BF16, F16, ...), F32 for a dequantized GGUF type",
       "", false, "", S::Exact},
      {"quant_type", T::String, "", "ggml type the weights are stored in (Q4_K, Q8_0, F16, ...)", "a GGUF model", true,
       "quant", S::Exact},
      {"N", T::Integer, "", "larger side of the layer matrix", "", true, "N", S::Exact},
      {"M", T::Integer, "", "smaller side of the layer matrix", "", true, "M", S::Exact},
      {"rf", T::Integer, "", "receptive field kh*kw (1 for dense)", "", true, "rf", S::Exact},
      {"Q", T::Number, "", "aspect ratio N/M", "", false, "", S::Dropped},
      {"num_evals", T::Integer, "", "eigenvalues in the ESD (M*rf)", "", true, "evals", S::Exact},
      {"status", T::String, "", "\"success\" or \"failed\" (the power-law fit)", "", true, "", S::Exact},
      {"failure_reason", T::String, "", "why the fit failed", "the fit failed", true, "", S::Exact},
      {"alpha", T::Number, "", "power-law exponent of the ESD tail", kFit, true, "\u03b1", S::Exact},
      {"alpha_weighted", T::Number, "", "alpha-hat: alpha * log10(lambda_max)", kFit, true, "\u03b1\u0302", S::Approximate},
      {"D", T::Number, "", "Kolmogorov-Smirnov distance of the fit", kFit, true, "D", S::Exact},
      {"sigma", T::Number, "", "standard error of alpha: (alpha-1)/sqrt(num_pl_spikes)", kFit, true, "\u03c3", S::Approximate},
      {"xmin", T::Number, kEval, "start of the power-law tail", kFit, true, "xmin", S::Exact},
      {"xmax", T::Number, kEval, "largest eigenvalue fitted", kFit, true, "xmax", S::Exact},
      {"num_pl_spikes", T::Integer, "", "eigenvalues in the power-law tail (>= xmin)", kFit, true, "tail", S::Exact},
      {"log_alpha_norm", T::Number, kLogEval, "log10 of the sum of evals^alpha", kFit, true, "log \u03b1-norm", S::Approximate},
      {"warning", T::String, "", "\"over-trained\" (alpha < 2), \"under-trained\" (alpha > 6) or \"\"", "", true, "warning", S::Exact},
      // Exact in share links: allocation plans are computed from them (report/plan.h).
      {"alpha_hill", T::Number, "", "Hill alpha with xmin = the median eigenvalue (AlphaPruning alpha_mid, TempBalance "
       "'median'), float64, eigenvalues > 1e-5 (their filter_zeros=True: their float32 default fails or moves alpha "
       "by up to 14% on rank-deficient layers)", kHill, true, "\u03b1 Hill", S::Approximate},
      {"alpha_hill_peak", T::Number, "", "Hill alpha, KS scan near the log-histogram peak (AlphaPruning alpha_peak, "
       "TempBalance 'fix-finger'), float64, eigenvalues > 1e-5 (as alpha_hill)", kHill, true, "\u03b1 Hill peak", S::Approximate},
      {"alpha_base", T::Number, "", "alpha of the base model's W_base, fitted as its own layer (the row's other "
       "fields are dW's; on a LoRA W_plus_BA row, W_base + dW's)", kBaseFit, true, "\u03b1 base", S::Approximate},
      {"alpha_ft", T::Number, "", "alpha of the fine-tuned W_ft, fitted as its own layer", kBaseFit, true,
       "\u03b1 ft", S::Approximate},
      {"delta_W", T::Number, "weight", "||W_ft - W_base||_F of the raw tensor, float64 (weightwatcher distances() "
       "delta_W, there float32)", kBase, true, "\u2016\u0394W\u2016", S::Approximate},
      {"delta_rel", T::Number, "", "delta_W / ||W_base||_F", "base and W_base is not all zero", true,
       "\u0394W rel", S::Approximate},
      {"delta_b", T::Number, "weight", "||b_ft - b_base||_F of the layer's bias (distances() delta_b)",
       "base and both models have the bias \"<name>.bias\" in the same shape", true, "", S::Dropped},
      {"lora_update", T::String, "", "a LoRA adapter's module (docs/methods.md, \"LoRA adapters\"): \"BA\" = the update "
       "dW = lora_scaling * B A, its r nonzero eigenvalues; \"W_plus_BA\" = the base weight plus dW, full ESD", kLora,
       true, "LoRA", S::Exact},
      {"lora_r", T::Integer, "", "the module's LoRA rank r (rank_pattern applied)", kLora, true, "r", S::Exact},
      {"lora_alpha", T::Number, "", "the module's lora_alpha (alpha_pattern applied)", kLora, true, "", S::Exact},
      {"lora_scaling", T::Number, "", "scaling of B A: lora_alpha / r (use_rslora: lora_alpha / sqrt(r))", kLora, true,
       "", S::Exact},
      {"base_tensor", T::String, "", "the base model's tensor the LoRA update is added to", "lora_update = W_plus_BA",
       false, "", S::Exact},
      {"num_fingers", T::Integer, "", "largest eigenvalues clipped off as fingers", kFingers, true, "", S::Dropped},
      {"raw_alpha", T::Number, "", "alpha before the fingers were clipped", kFingers, true, "", S::Dropped},
      {"lambda_max", T::Number, kEval, "largest eigenvalue", "", true, "\u03bb_max", S::Approximate},
      {"spectral_norm", T::Number, kEval, "squared spectral norm of W (= lambda_max)", "", false, "spectral norm", S::Approximate},
      {"sv_max", T::Number, "weight", "largest singular value of W", "", true, "", S::Dropped},
      {"norm", T::Number, kEval, "squared Frobenius norm of W (sum of evals)", "", false, "norm", S::Approximate},
      {"log_norm", T::Number, kLogEval, "log10 of norm", "", true, "log norm", S::Approximate},
      {"log_spectral_norm", T::Number, kLogEval, "log10 of lambda_max", "", true, "log spectral norm", S::Approximate},
      {"stable_rank", T::Number, "", "norm / lambda_max", "", true, "stable rank", S::Approximate},
      {"matrix_rank", T::Integer, "", "singular values above sv_max * N * eps", "", true, "rank", S::Exact},
      {"entropy", T::Number, "", "matrix entropy of the spectrum in [0, 1] (1 = flat)", "", true, "entropy", S::Approximate},
      {"detX_num", T::Integer, "", "eigenvalues above the det X_eff = 1 point", kDetx, true, "detX #", S::Exact},
      {"detX_val", T::Number, kEval, "eigenvalue at the det X_eff = 1 point", kDetx, true, "detX \u03bb", S::Exact},
      {"detX_val_rescaled", T::Number, "", "the same on the mean-1 scale", kDetx, false, "", S::Dropped},
      {"ERG_gap", T::Integer, "", "detX_num - num_pl_spikes: tail sizes of the detX point and the fit", kDetxFit, true,
       "ERG gap", S::Exact},
      {"detX_gap_decades", T::Number, "decades", "log10(detX_val / xmin): 0 when the detX point is xmin", kDetxFit,
       true, "detX gap", S::Approximate},
      {"sigma_mp", T::Number, "", "Marchenko-Pastur fit: bulk scale of the normalized matrix", kMp, true, "", S::Approximate},
      {"W_scale", T::Number, "", "Marchenko-Pastur fit: normalization of W", kMp, false, "", S::Dropped},
      {"bulk_min", T::Number, kEval, "Marchenko-Pastur bulk lower edge", kMp, true, "", S::Dropped},
      {"bulk_max", T::Number, kEval, "Marchenko-Pastur bulk upper edge", kMp, true, "", S::Dropped},
      {"num_spikes", T::Integer, "", "eigenvalues above the Marchenko-Pastur bulk", kMp, true, "MP spikes", S::Exact},
      {"mp_softrank", T::Number, "", "bulk_max / lambda_max", kMp, true, "MP softrank", S::Approximate},
      {"tpl_alpha", T::Number, "", "truncated power law: exponent", kTpl, true, "", S::Dropped},
      {"tpl_lambda", T::Number, "1/weight\u00b2", "truncated power law: exponential cut-off rate", kTpl, true, "", S::Dropped},
      {"tpl_R", T::Number, "", "log-likelihood ratio, power law against truncated power law", kTpl, true, "", S::Dropped},
      {"tpl_p", T::Number, "", "p-value of tpl_R", kTpl, true, "", S::Dropped},
      {"rand_distance", T::Number, "", "Jensen-Shannon distance to the ESD of the element-shuffled W", kRand, true, "", S::Dropped},
      {"max_rand_eval", T::Number, kEval, "largest eigenvalue of the shuffled W", kRand, false, "", S::Approximate},
      {"ww_softrank", T::Number, "", "max_rand_eval / lambda_max", kRand, false, "", S::Dropped},
      {"ww_maxdist", T::Number, kEval, "lambda_max - max_rand_eval", kRand, false, "", S::Dropped},
      {"bulk_mean_vec_entropy", T::Number, "", "mean of the vector entropy (nats) over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"bulk_var_vec_entropy", T::Number, "", "variance of the vector entropy (nats) over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"tail_mean_vec_entropy", T::Number, "", "mean of the vector entropy (nats) over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"tail_var_vec_entropy", T::Number, "", "variance of the vector entropy (nats) over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"bulk_mean_loc_ratio", T::Number, "", "mean of the localization ratio ||v||_1/||v||_inf over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"bulk_var_loc_ratio", T::Number, "", "variance of the localization ratio ||v||_1/||v||_inf over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"tail_mean_loc_ratio", T::Number, "", "mean of the localization ratio ||v||_1/||v||_inf over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"tail_var_loc_ratio", T::Number, "", "variance of the localization ratio ||v||_1/||v||_inf over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"bulk_mean_part_ratio", T::Number, "", "mean of the participation ratio ||v||_2/||v||_4 over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"bulk_var_part_ratio", T::Number, "", "variance of the participation ratio ||v||_2/||v||_4 over the bulk eigenvectors (eigenvalue < xmin)",
       kVec, true, "", S::Dropped},
      {"tail_mean_part_ratio", T::Number, "", "mean of the participation ratio ||v||_2/||v||_4 over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"tail_var_part_ratio", T::Number, "", "variance of the participation ratio ||v||_2/||v||_4 over the tail eigenvectors (the top num_pl_spikes)",
       kVec, true, "", S::Dropped},
      {"seconds", T::Number, "s", "time spent on this layer", "", false, "", S::Dropped},
      {"timings", T::Object, "s", "seconds per phase: read, decode, gram, reduction, tridiagonal, svd, fit, "
       "randomize, json (summed over the layer's matrices)", "timings", false, "", S::Dropped},
      {"spectra", T::Object, "", "plot data: evals (ascending), the KS scan {xmin, D, alpha}, rand_evals with randomize, "
       "loc_ratio/part_ratio/vec_entropy per eigenvector with vectors", "spectra (default on)",
       false, "", S::Approximate},
  };
  return f;
}

const std::vector<Field>& summary_fields() {
  const char* ok = "a layer's fit succeeded";
  static const std::vector<Field> f = {
      {"num_layers", T::Integer, "", "layers analyzed", "", false, "", S::Exact},
      {"num_failed", T::Integer, "", "layers whose fit failed", "", false, "", S::Exact},
      {"num_skipped", T::Integer, "", "layer tensors not analyzed (listed in skipped)", "", false, "", S::Exact},
      {"num_ignored", T::Integer, "", "tensors that are not layers (biases, norms, ...)", "", false, "", S::Exact},
      {"alpha", T::Number, "", "mean alpha", ok, false, "", S::Exact, true},
      {"alpha_weighted", T::Number, "", "mean alpha-hat", ok, false, "", S::Exact, true},
      {"log_norm", T::Number, kLogEval, "mean log_norm", ok, false, "", S::Exact, true},
      {"log_alpha_norm", T::Number, kLogEval, "mean log_alpha_norm", ok, false, "", S::Exact, true},
      {"log_spectral_norm", T::Number, kLogEval, "mean log_spectral_norm", ok, false, "", S::Exact, true},
      {"stable_rank", T::Number, "", "mean stable_rank", ok, false, "", S::Exact, true},
      {"mp_softrank", T::Number, "", "mean mp_softrank", ok, false, "", S::Exact, true},
      {"num_under_trained", T::Integer, "", "layers with alpha > 6", "", false, "", S::Exact},
      {"num_over_trained", T::Integer, "", "layers with alpha < 2", "", false, "", S::Exact},
      {"num_detx_coincide", T::Integer, "", "layers whose detX point and xmin are the same or adjacent eigenvalues",
       "", false, "", S::Exact},
      {"frac_detx_near_xmin", T::Number, "", "share of layers with |detX_gap_decades| <= 0.1", "detX and a fit succeeded",
       false, "", S::Exact},
      {"detx_gap_alpha_spearman", T::Number, "",
       "Spearman correlation of |detX_gap_decades| with |alpha - 2| over the layers", "detX and 2+ fits succeeded",
       false, "", S::Exact},
      {"seconds", T::Number, "s", "time of the whole run", "", false, "", S::Exact},
      {"complete", T::Boolean, "", "every tensor was read (false for a cancelled run)", "", false, "", S::Exact},
      {"latent_rank_K", T::Integer, "", "rank K of the latent space: eigenpairs in the power-law tail",
       "a single .npy matrix whose fit succeeded", false, "", S::Exact},
      {"avg_delta_W", T::Number, "weight", "mean delta_W over the layers compared, unchanged ones (skipped, "
       "delta_W = 0) included: weightwatcher distances()' avg_delta_W", "base", false, "", S::Exact},
      {"avg_delta_b", T::Number, "weight", "mean delta_b over the same layers, 0 for a layer without a bias pair "
       "(distances()' avg_delta_b)", "base", false, "", S::Exact},
  };
  return f;
}

const std::vector<Field>& skipped_fields() {
  static const std::vector<Field> f = {
      {"index", T::Integer, "", "position of the tensor in the model (0-based), as a layer's index", "", false, "",
       S::Exact},
      {"name", T::String, "", "layer name", "", false, "", S::Exact},
      {"tensor", T::String, "", "tensor key", "", false, "", S::Exact},
      {"shape", T::IntArray, "", "tensor shape as stored, row-major (GGUF: its ne reversed)", "", false, "", S::Exact},
      {"dtype", T::String, "", "element type as stored (GGUF: the ggml type, e.g. Q4_K or IQ2_XXS)", "", false, "", S::Exact},
      {"reason", T::String, "", "why the layer was not analyzed", "", false, "", S::Exact},
      {"delta_W", T::Number, "weight", "0: an unchanged layer of a fine-tune (counted in avg_delta_W)",
       "base and the layer is unchanged", false, "", S::Exact},
      {"delta_b", T::Number, "weight", "its bias distance, as a layer's delta_b",
       "base, the layer is unchanged and has a bias pair", false, "", S::Exact},
  };
  return f;
}

const char* type_name(FieldType t) {
  switch (t) {
    case T::Integer: return "integer";
    case T::Number: return "number";
    case T::String: return "string";
    case T::Boolean: return "boolean";
    case T::IntArray: return "integer[]";
    case T::Object: return "object";
  }
  return "";
}

const char* share_name(ShareKeep s) {
  switch (s) {
    case S::Exact: return "exact";
    case S::Approximate: return "approximate";
    case S::Dropped: return "dropped";
  }
  return "";
}

namespace {

// JSON has no NaN: nlohmann writes a non-finite double as null, which every reader accepts.
bool has_type(const nlohmann::json& v, FieldType t) {
  switch (t) {
    case T::Integer: return v.is_number_integer();
    case T::Number: return v.is_number() || v.is_null();
    case T::String: return v.is_string();
    case T::Boolean: return v.is_boolean();
    case T::IntArray:
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_number_integer()) return false;
      return true;
    case T::Object: return v.is_object();
  }
  return false;
}

void check_field(const std::vector<Field>& fields, std::string_view key, const nlohmann::json& value) {
  for (const Field& f : fields) {
    if (key != f.key) continue;
    if (!has_type(value, f.type))
      throw std::logic_error("report field '" + std::string(key) + "' must be " + type_name(f.type) + ", got " +
                             value.type_name());
    return;
  }
  throw std::logic_error("report field '" + std::string(key) + "' is not in the field table (core/report/fields.cpp)");
}

}  // namespace

FieldWriter::FieldWriter(const std::vector<Field>& fields, nlohmann::json start) : fields_(fields) {
  if (!start.is_object()) throw std::logic_error("a report entry must be a JSON object");
  for (const auto& [key, value] : start.items()) check_field(fields_, key, value);
  j_ = std::move(start);
}

FieldWriter& FieldWriter::set(std::string_view key, nlohmann::json value) {
  check_field(fields_, key, value);
  j_[std::string(key)] = std::move(value);
  return *this;
}

FieldWriter& FieldWriter::set(std::initializer_list<std::pair<std::string_view, nlohmann::json>> values) {
  for (const auto& [key, value] : values) set(key, value);
  return *this;
}

}  // namespace ws
