#include "report/plot_data.h"

#include <algorithm>
#include <cmath>

namespace ws {
namespace {

constexpr int kBins = 100;  // the reference's ESD plots use 100 bins

// Histogram of values on [lo, hi] with kBins equal bins; the top edge is inclusive.
std::vector<double> bin_counts(const std::vector<double>& values, double lo, double hi) {
  std::vector<double> counts(kBins, 0.0);
  const double width = (hi - lo) / kBins;
  for (double v : values) {
    int b = width > 0 ? static_cast<int>((v - lo) / width) : 0;
    counts[std::clamp(b, 0, kBins - 1)] += 1;
  }
  return counts;
}

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) out[i] = n == 1 ? lo : lo + (hi - lo) * i / (n - 1);
  return out;
}

}  // namespace

nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit, double evals_thresh) {
  nlohmann::json out;
  out["evals"] = sorted_evals;

  // Both ESD histograms cover the eigenvalues the fit sees (> evals_thresh): zeros have no log.
  std::vector<double> logs;
  for (double v : sorted_evals)
    if (v > evals_thresh) logs.push_back(std::log10(v));
  if (!logs.empty()) {
    const double lo = logs.front(), hi = logs.back() > logs.front() ? logs.back() : logs.front() + 1.0;
    const std::vector<double> log_edges = linspace(lo, hi, kBins + 1);
    const std::vector<double> counts = bin_counts(logs, lo, hi);
    // Log-binned density per unit lambda: count / (n * bin width in lambda).
    std::vector<double> edges(kBins + 1), density(kBins);
    for (int i = 0; i <= kBins; ++i) edges[i] = std::pow(10.0, log_edges[i]);
    for (int i = 0; i < kBins; ++i) density[i] = counts[i] / (logs.size() * (edges[i + 1] - edges[i]));
    out["esd"] = {{"edges", edges}, {"density", density}};
    out["log_esd"] = {{"edges", log_edges}, {"counts", counts}};
  }

  out["ks"] = {{"xmin", fit.candidate_xmin}, {"D", fit.candidate_D}, {"alpha", fit.candidate_alpha}};
  if (fit.ok) {
    // The fitted law on [xmin, xmax]: pdf (alpha-1)/xmin (x/xmin)^-alpha, ccdf (x/xmin)^(1-alpha).
    const int n = 64;
    const std::vector<double> lx = linspace(std::log10(fit.xmin), std::log10(fit.xmax), n);
    std::vector<double> x(n), pdf(n), ccdf(n);
    for (int i = 0; i < n; ++i) {
      x[i] = std::pow(10.0, lx[i]);
      pdf[i] = (fit.alpha - 1.0) / fit.xmin * std::pow(x[i] / fit.xmin, -fit.alpha);
      ccdf[i] = std::pow(x[i] / fit.xmin, 1.0 - fit.alpha);
    }
    out["fit"] = {{"x", x}, {"pdf", pdf}, {"ccdf", ccdf}};
  }
  return out;
}

}  // namespace ws
