#include "analysis/layer_analysis.h"

#include <chrono>
#include <cmath>

#include "analysis/randomize.h"
#include "fit/truncated_power_law.h"
#include "layers/matrix_view.h"
#include "metrics/fit_metrics.h"
#include "metrics/mp_fit.h"
#include "metrics/spectral_metrics.h"
#include "report/fields.h"
#include "report/plot_data.h"
#include "spectrum/eigenvalues.h"

namespace ws {
namespace {

void add_fit(FieldWriter& j, const PowerLawFit& fit, const std::vector<double>& evals, double lambda_max) {
  j.set({{"alpha", fit.alpha},
         {"alpha_weighted", alpha_weighted(fit.alpha, lambda_max)},
         {"D", fit.D},
         {"sigma", fit.sigma},
         {"xmin", fit.xmin},
         {"xmax", fit.xmax},
         {"num_pl_spikes", fit.num_pl_spikes},
         {"log_alpha_norm", log_alpha_norm(evals, fit.alpha)},
         {"warning", training_warning(fit.alpha)}});
  if (fit.num_fingers > 0 || fit.raw_alpha != 0) {
    j.set("num_fingers", fit.num_fingers);
    j.set("raw_alpha", fit.raw_alpha);
  }
}

void add_mp_fit(FieldWriter& j, const std::vector<double>& evals, const LayerPlan& plan) {
  const MpFit mp = fit_marchenko_pastur(evals, static_cast<double>(plan.N) / plan.M, plan.M);
  if (!mp.ok) return;
  j.set({{"sigma_mp", mp.sigma_mp},
         {"W_scale", mp.W_scale},
         {"bulk_min", mp.bulk_min},
         {"bulk_max", mp.bulk_max},
         {"num_spikes", mp.num_spikes},
         {"mp_softrank", mp.mp_softrank}});
}

void add_tpl(FieldWriter& j, const std::vector<double>& evals, const PowerLawFit& fit) {
  std::vector<double> tail;
  for (double v : evals)
    if (v >= fit.xmin && v <= fit.xmax) tail.push_back(v);
  const TruncatedPowerLawFit tpl = fit_truncated_power_law(tail, fit.xmin);
  if (!tpl.ok) return;
  j.set({{"tpl_alpha", tpl.alpha},
         {"tpl_lambda", tpl.lambda},
         {"tpl_R", tpl.R},
         {"tpl_p", tpl.p}});
}

// Returns the shuffled matrix's eigenvalues (for the plot data).
std::vector<double> add_randomized(FieldWriter& j, const std::vector<MatrixView>& mats, const std::vector<double>& evals,
                                   double lambda_max, const AnalyzeOptions& opt, ThreadPool& pool) {
  std::vector<double> rand = shuffled_eigenvalues(mats, opt.seed, pool);
  const double max_rand = rand.empty() ? 0.0 : rand.back();
  j.set({{"rand_distance", jensen_shannon_distance(evals, rand)},
         {"max_rand_eval", max_rand},
         {"ww_softrank", max_rand / lambda_max},
         {"ww_maxdist", lambda_max - max_rand}});
  return rand;
}

}  // namespace

nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<MatrixView> mats = layer_matrices(data, t, plan, opt.layers);
  const std::vector<double> evals = pooled_eigenvalues(mats, pool);
  const SpectralMetrics m = spectral_metrics(evals, plan.N);

  FieldWriter j(layer_fields());
  j.set({{"name", plan.name},
         {"tensor", t.name},
         {"type", plan.type},
         {"shape", t.shape},
         {"dtype", dtype_name(t.dtype)},
         {"N", plan.N},
         {"M", plan.M},
         {"rf", plan.rf},
         {"Q", static_cast<double>(plan.N) / plan.M},
         {"num_evals", m.num_evals},
         {"lambda_max", m.lambda_max},
         {"spectral_norm", m.spectral_norm},
         {"sv_max", m.sv_max},
         {"norm", m.norm},
         {"log_norm", m.log_norm},
         {"log_spectral_norm", m.log_spectral_norm},
         {"stable_rank", m.stable_rank},
         {"matrix_rank", m.matrix_rank},
         {"entropy", m.entropy}});
  if (!t.storage.empty()) j.set("quant_type", t.storage);  // GGUF: the ggml type the weights were stored in

  const PowerLawFit fit = fit_power_law(evals, opt.powerlaw);
  j.set("status", fit.ok ? "success" : "failed");
  if (fit.ok) {
    add_fit(j, fit, evals, m.lambda_max);
  } else {
    j.set("failure_reason", fit.failure_reason);
    j.set("warning", "");
  }
  if (opt.detx) {
    const DetX d = detx_point(evals);
    j.set({{"detX_num", d.num},
           {"detX_val", d.val},
           {"detX_val_rescaled", d.val_rescaled}});
    if (fit.ok) j.set({{"ERG_gap", d.num - fit.num_pl_spikes}, {"detX_gap_decades", detx_gap_decades(d.val, fit.xmin)}});
  }
  if (opt.mp_fit) add_mp_fit(j, evals, plan);
  if (opt.fit_tpl && fit.ok) add_tpl(j, evals, fit);
  std::vector<double> rand;
  if (opt.randomize) rand = add_randomized(j, mats, evals, m.lambda_max, opt, pool);
  if (opt.spectra) j.set("spectra", plot_data(evals, fit, opt.randomize ? &rand : nullptr));
  j.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return j.take();
}

}  // namespace ws
