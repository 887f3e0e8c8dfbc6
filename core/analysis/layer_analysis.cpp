#include "analysis/layer_analysis.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "analysis/randomize.h"
#include "fit/truncated_power_law.h"
#include "layers/matrix_view.h"
#include "metrics/fit_metrics.h"
#include "metrics/hill.h"
#include "metrics/mp_fit.h"
#include "metrics/spectral_metrics.h"
#include "metrics/vector_metrics.h"
#include "report/fields.h"
#include "report/plot_data.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/eigenvectors.h"
#include "util/progress.h"

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

void add_mp_fit(FieldWriter& j, const std::vector<double>& evals, const LayerPlan& plan, ThreadPool& pool) {
  const MpFit mp = fit_marchenko_pastur(evals, static_cast<double>(plan.N) / plan.M, plan.M, pool);
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

// The ESD from the eigenvector route, and each eigenvalue's eigenvector metrics in the same order.
std::vector<double> eigenvalues_and_vector_metrics(const std::vector<MatrixView>& mats, ThreadPool& pool,
                                                   std::vector<VectorMetrics>& vectors) {
  std::vector<std::vector<std::pair<double, VectorMetrics>>> per(mats.size());
  std::vector<double> evals = pooled_eigenpairs(mats, pool, [&](size_t i, const Eigenpairs& p) {
    per[i] = eigenvector_metrics(p.values, p.vectors.data(), p.m);
  });
  vectors = pooled_vector_metrics(per);
  return evals;
}

// The tail is the top num_pl_spikes eigenvectors (docs/methods.md, "Eigenvector metrics"); a
// failed fit has no xmin, and the reference then puts every vector in the tail.
size_t vector_tail(bool fit_ok, int64_t num_pl_spikes, size_t num_vectors) {
  return fit_ok ? static_cast<size_t>(num_pl_spikes) : num_vectors;
}

void add_vector_columns(FieldWriter& j, const std::vector<VectorMetrics>& vectors, size_t num_tail) {
  for (const auto& [key, value] : vector_columns(vectors, num_tail)) j.set(key, value);
}

}  // namespace

nlohmann::json timings_json(const PhaseTimes& t) {
  return {{"read", t.read}, {"decode", t.decode}, {"gram", t.gram}, {"reduction", t.reduction},
          {"tridiagonal", t.tridiagonal}, {"svd", t.svd}, {"fit", t.fit}, {"randomize", t.randomize}, {"json", t.json}};
}

namespace {

// The fields that follow from the eigenvalues alone: identity, norms, the fit, Hill, detX, MP.
PowerLawFit add_eigenvalue_fields(FieldWriter& j, const std::vector<double>& evals, const SpectralMetrics& m,
                                  const TensorInfo& t, const LayerPlan& plan, const AnalyzeOptions& opt,
                                  ThreadPool& pool) {
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

  const PowerLawFit fit = fit_power_law(evals, opt.powerlaw, pool);
  j.set("status", fit.ok ? "success" : "failed");
  if (fit.ok) {
    add_fit(j, fit, evals, m.lambda_max);
  } else {
    j.set("failure_reason", fit.failure_reason);
    j.set("warning", "");
  }
  const HillAlphas hill = hill_alphas(evals, fit, opt.powerlaw, pool);
  if (std::isfinite(hill.mid)) j.set("alpha_hill", hill.mid);
  if (std::isfinite(hill.peak)) j.set("alpha_hill_peak", hill.peak);
  if (opt.detx) {
    const DetX d = detx_point(evals);
    j.set({{"detX_num", d.num},
           {"detX_val", d.val},
           {"detX_val_rescaled", d.val_rescaled}});
    if (fit.ok) j.set({{"ERG_gap", d.num - fit.num_pl_spikes}, {"detX_gap_decades", detx_gap_decades(d.val, fit.xmin)}});
  }
  if (opt.mp_fit) add_mp_fit(j, evals, plan, pool);
  return fit;
}

}  // namespace

nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool, PhaseTimes times) {
  const auto start = std::chrono::steady_clock::now();
  PhaseTimes* timed = opt.timings ? &times : nullptr;
  PhaseClock clock(timed);
  const std::vector<MatrixView> mats = layer_matrices(data, t, plan, opt.layers);
  clock.lap(&PhaseTimes::decode);
  std::vector<VectorMetrics> vectors;  // per eigenvalue of evals, with opt.vectors
  const std::vector<double> evals =
      opt.vectors ? eigenvalues_and_vector_metrics(mats, pool, vectors) : pooled_eigenvalues(mats, pool, timed);
  clock.restart();
  report_progress("fit", 0.0);
  FieldWriter j(layer_fields());
  const SpectralMetrics m = spectral_metrics(evals, plan.N);
  const PowerLawFit fit = add_eigenvalue_fields(j, evals, m, t, plan, opt, pool);
  if (opt.vectors) add_vector_columns(j, vectors, vector_tail(fit.ok, fit.num_pl_spikes, vectors.size()));
  if (opt.fit_tpl && fit.ok) add_tpl(j, evals, fit);
  clock.lap(&PhaseTimes::fit);
  std::vector<double> rand;
  if (opt.randomize) rand = add_randomized(j, mats, evals, m.lambda_max, opt, pool);
  clock.lap(&PhaseTimes::randomize);
  if (opt.spectra) {
    nlohmann::json spectra = plot_data(evals, fit, opt.randomize ? &rand : nullptr);
    if (opt.vectors) spectra.update(vector_plot_data(vectors));
    j.set("spectra", std::move(spectra));
  }
  clock.lap(&PhaseTimes::json);
  if (timed) j.set("timings", timings_json(times));
  j.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return j.take();
}

nlohmann::json analyze_eigenvalues(const std::vector<double>& evals, const TensorInfo& t, const LayerPlan& plan,
                                   const AnalyzeOptions& opt, ThreadPool& pool) {
  const auto start = std::chrono::steady_clock::now();
  FieldWriter j(layer_fields());
  const PowerLawFit fit = add_eigenvalue_fields(j, evals, spectral_metrics(evals, plan.N), t, plan, opt, pool);
  if (opt.fit_tpl && fit.ok) add_tpl(j, evals, fit);
  if (opt.spectra) j.set("spectra", plot_data(evals, fit, nullptr));
  j.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return j.take();
}

nlohmann::json layer_vector_fields(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                                   const AnalyzeOptions& opt, size_t num_tail, ThreadPool& pool) {
  std::vector<VectorMetrics> vectors;
  eigenvalues_and_vector_metrics(layer_matrices(data, t, plan, opt.layers), pool, vectors);
  FieldWriter j(layer_fields());
  j.set("name", plan.name);
  add_vector_columns(j, vectors, std::min(num_tail, vectors.size()));
  j.set("spectra", vector_plot_data(vectors));
  return j.take();
}

}  // namespace ws
