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
  j.set("alpha", fit.alpha);
  j.set("alpha_weighted", alpha_weighted(fit.alpha, lambda_max));
  j.set("D", fit.D);
  j.set("sigma", fit.sigma);
  j.set("xmin", fit.xmin);
  j.set("xmax", fit.xmax);
  j.set("num_pl_spikes", fit.num_pl_spikes);
  j.set("log_alpha_norm", log_alpha_norm(evals, fit.alpha));
  j.set("warning", training_warning(fit.alpha));
  if (fit.num_fingers > 0 || fit.raw_alpha != 0) {
    j.set("num_fingers", fit.num_fingers);
    j.set("raw_alpha", fit.raw_alpha);
  }
}

void add_mp_fit(FieldWriter& j, const std::vector<double>& evals, const LayerPlan& plan) {
  const MpFit mp = fit_marchenko_pastur(evals, static_cast<double>(plan.N) / plan.M, plan.M);
  if (!mp.ok) return;
  j.set("sigma_mp", mp.sigma_mp);
  j.set("W_scale", mp.W_scale);
  j.set("bulk_min", mp.bulk_min);
  j.set("bulk_max", mp.bulk_max);
  j.set("num_spikes", mp.num_spikes);
  j.set("mp_softrank", mp.mp_softrank);
}

void add_tpl(FieldWriter& j, const std::vector<double>& evals, const PowerLawFit& fit) {
  std::vector<double> tail;
  for (double v : evals)
    if (v >= fit.xmin && v <= fit.xmax) tail.push_back(v);
  const TruncatedPowerLawFit tpl = fit_truncated_power_law(tail, fit.xmin);
  if (!tpl.ok) return;
  j.set("tpl_alpha", tpl.alpha);
  j.set("tpl_lambda", tpl.lambda);
  j.set("tpl_R", tpl.R);
  j.set("tpl_p", tpl.p);
}

void add_randomized(FieldWriter& j, const std::vector<MatrixView>& mats, const std::vector<double>& evals,
                    double lambda_max, const AnalyzeOptions& opt, ThreadPool& pool) {
  const std::vector<double> rand = shuffled_eigenvalues(mats, opt.seed, pool);
  const double max_rand = rand.empty() ? 0.0 : rand.back();
  j.set("rand_distance", jensen_shannon_distance(evals, rand));
  j.set("max_rand_eval", max_rand);
  j.set("ww_softrank", max_rand / lambda_max);
  j.set("ww_maxdist", lambda_max - max_rand);
}

}  // namespace

nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<MatrixView> mats = layer_matrices(data, t, plan, opt.layers);
  const std::vector<double> evals = pooled_eigenvalues(mats, pool);
  const SpectralMetrics m = spectral_metrics(evals, plan.N);

  FieldWriter j(layer_fields());
  j.set("name", plan.name);
  j.set("tensor", t.name);
  j.set("type", plan.type);
  j.set("shape", t.shape);
  j.set("dtype", dtype_name(t.dtype));
  j.set("N", plan.N);
  j.set("M", plan.M);
  j.set("rf", plan.rf);
  j.set("Q", static_cast<double>(plan.N) / plan.M);
  j.set("num_evals", m.num_evals);
  j.set("lambda_max", m.lambda_max);
  j.set("spectral_norm", m.spectral_norm);
  j.set("sv_max", m.sv_max);
  j.set("norm", m.norm);
  j.set("log_norm", m.log_norm);
  j.set("log_spectral_norm", m.log_spectral_norm);
  j.set("stable_rank", m.stable_rank);
  j.set("matrix_rank", m.matrix_rank);
  j.set("entropy", m.entropy);

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
    j.set("detX_num", d.num);
    j.set("detX_val", d.val);
    j.set("detX_val_rescaled", d.val_rescaled);
  }
  if (opt.mp_fit) add_mp_fit(j, evals, plan);
  if (opt.fit_tpl && fit.ok) add_tpl(j, evals, fit);
  if (opt.randomize) add_randomized(j, mats, evals, m.lambda_max, opt, pool);
  if (opt.spectra) j.set("spectra", plot_data(evals, fit));
  j.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return j.take();
}

}  // namespace ws
