#pragma once
// The Hill-estimator alphas of AlphaPruning and TempBalance (their shared net_esd_estimator),
// computed in float64 over the eigenvalues > 1e-5 (their filter_zeros=True): docs/methods.md,
// "Hill alpha (AlphaPruning, TempBalance)".
#include <vector>

namespace ws {

struct HillAlphas {
  // 'xmin_mid' / TempBalance 'median': xmin = x[int(n/2)] of the n kept eigenvalues, no search.
  double mid;
  // 'xmin_peak' / TempBalance 'fix-finger': the KS scan limited to xmin in
  // [log10(0.95 p), 1.5 p] around the left edge p of the fullest bin of a 100-bin log10 histogram.
  double peak;
};

// sorted_evals: the layer's ESD, ascending. Each alpha is NaN where the estimator is undefined:
// fewer than 2 eigenvalues > 1e-5, a non-finite eigenvalue, a tail of one repeated value, or
// (peak) no candidate with alpha > 1 in the window.
HillAlphas hill_alphas(const std::vector<double>& sorted_evals);

}  // namespace ws
