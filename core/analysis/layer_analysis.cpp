#include "analysis/layer_analysis.h"

#include <chrono>
#include <cmath>

#include "analysis/randomize.h"
#include "fit/truncated_power_law.h"
#include "layers/matrix_view.h"
#include "metrics/mp_fit.h"
#include "metrics/spectral_metrics.h"
#include "report/plot_data.h"
#include "spectrum/eigenvalues.h"

namespace ws {
namespace {

// The reference's warning thresholds (OVER_TRAINED_THRESH, UNDER_TRAINED_THRESH).
const char* warning_for(double alpha) {
  if (alpha < 2.0) return "over-trained";
  if (alpha > 6.0) return "under-trained";
  return "";
}

void add_fit(nlohmann::json& j, const PowerLawFit& fit, const std::vector<double>& evals, double lambda_max) {
  j["alpha"] = fit.alpha;
  j["alpha_weighted"] = fit.alpha * std::log10(lambda_max);
  j["D"] = fit.D;
  j["sigma"] = fit.sigma;
  j["xmin"] = fit.xmin;
  j["xmax"] = fit.xmax;
  j["num_pl_spikes"] = fit.num_pl_spikes;
  j["log_alpha_norm"] = log_alpha_norm(evals, fit.alpha);
  j["warning"] = warning_for(fit.alpha);
  if (fit.num_fingers > 0 || fit.raw_alpha != 0) {
    j["num_fingers"] = fit.num_fingers;
    j["raw_alpha"] = fit.raw_alpha;
  }
}

void add_mp_fit(nlohmann::json& j, const std::vector<double>& evals, const LayerPlan& plan) {
  const MpFit mp = fit_marchenko_pastur(evals, static_cast<double>(plan.N) / plan.M, plan.M);
  if (!mp.ok) return;
  j["sigma_mp"] = mp.sigma_mp;
  j["W_scale"] = mp.W_scale;
  j["bulk_min"] = mp.bulk_min;
  j["bulk_max"] = mp.bulk_max;
  j["num_spikes"] = mp.num_spikes;
  j["mp_softrank"] = mp.mp_softrank;
}

void add_tpl(nlohmann::json& j, const std::vector<double>& evals, const PowerLawFit& fit) {
  std::vector<double> tail;
  for (double v : evals)
    if (v >= fit.xmin && v <= fit.xmax) tail.push_back(v);
  const TruncatedPowerLawFit tpl = fit_truncated_power_law(tail, fit.xmin);
  if (!tpl.ok) return;
  j["tpl_alpha"] = tpl.alpha;
  j["tpl_lambda"] = tpl.lambda;
  j["tpl_R"] = tpl.R;
  j["tpl_p"] = tpl.p;
}

void add_randomized(nlohmann::json& j, const std::vector<MatrixView>& mats, const std::vector<double>& evals,
                    double lambda_max, const AnalyzeOptions& opt, ThreadPool& pool) {
  const std::vector<double> rand = shuffled_eigenvalues(mats, opt.seed, pool);
  const double max_rand = rand.empty() ? 0.0 : rand.back();
  j["rand_distance"] = jensen_shannon_distance(evals, rand);
  j["max_rand_eval"] = max_rand;
  j["ww_softrank"] = max_rand / lambda_max;
  j["ww_maxdist"] = lambda_max - max_rand;
}

}  // namespace

nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<MatrixView> mats = layer_matrices(data, t, plan, opt.layers);
  const std::vector<double> evals = pooled_eigenvalues(mats, pool);
  const SpectralMetrics m = spectral_metrics(evals, plan.N);

  nlohmann::json j;
  j["name"] = plan.name;
  j["tensor"] = t.name;
  j["type"] = plan.type;
  j["shape"] = t.shape;
  j["dtype"] = dtype_name(t.dtype);
  j["N"] = plan.N;
  j["M"] = plan.M;
  j["rf"] = plan.rf;
  j["Q"] = static_cast<double>(plan.N) / plan.M;
  j["num_evals"] = m.num_evals;
  j["lambda_max"] = m.lambda_max;
  j["spectral_norm"] = m.spectral_norm;
  j["sv_max"] = m.sv_max;
  j["norm"] = m.norm;
  j["log_norm"] = m.log_norm;
  j["log_spectral_norm"] = m.log_spectral_norm;
  j["stable_rank"] = m.stable_rank;
  j["matrix_rank"] = m.matrix_rank;
  j["entropy"] = m.entropy;

  const PowerLawFit fit = fit_power_law(evals, opt.powerlaw);
  j["status"] = fit.ok ? "success" : "failed";
  if (fit.ok) {
    add_fit(j, fit, evals, m.lambda_max);
  } else {
    j["failure_reason"] = fit.failure_reason;
    j["warning"] = "";
  }
  if (opt.detx) {
    const DetX d = detx_point(evals);
    j["detX_num"] = d.num;
    j["detX_val"] = d.val;
    j["detX_val_rescaled"] = d.val_rescaled;
  }
  if (opt.mp_fit) add_mp_fit(j, evals, plan);
  if (opt.fit_tpl && fit.ok) add_tpl(j, evals, fit);
  if (opt.randomize) add_randomized(j, mats, evals, m.lambda_max, opt, pool);
  if (opt.spectra) j["spectra"] = plot_data(evals, fit, opt.powerlaw.evals_thresh);
  j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return j;
}

}  // namespace ws
