#pragma once
// The Hill-estimator alphas of AlphaPruning and TempBalance (their shared net_esd_estimator),
// computed in float64 over the eigenvalues > 1e-5 (their filter_zeros=True): docs/methods.md,
// "Hill alpha (AlphaPruning, TempBalance)".
#include <vector>

#include "fit/powerlaw_fit.h"

namespace ws {

class ThreadPool;

struct HillAlphas {
  // 'xmin_mid' / TempBalance 'median': xmin = x[int(n/2)] of the n kept eigenvalues, no search.
  double mid;
  // 'xmin_peak' / TempBalance 'fix-finger': the KS scan limited to xmin in
  // [log10(0.95 p), 1.5 p] around the left edge p of the fullest bin of a 100-bin log10 histogram.
  double peak;
};

// sorted_evals: the layer's ESD, ascending. Each alpha is NaN where the estimator is undefined:
// fewer than 2 eigenvalues > 1e-5, a non-finite eigenvalue, a tail of one repeated value, or
// (peak) no candidate with alpha > 1 in the window. The peak's KS scan runs on pool.
HillAlphas hill_alphas(const std::vector<double>& sorted_evals, ThreadPool& pool);

// The same numbers, taking the peak's D and alpha from fit (fit_power_law(sorted_evals, opt)) when
// it scanned every candidate of the same eigenvalues (WeightWatcher convention, no fix_fingers,
// evals_thresh 1e-5): the window is then part of that scan, and the layer's O(n^2) scan runs once.
HillAlphas hill_alphas(const std::vector<double>& sorted_evals, const PowerLawFit& fit, const PowerLawOptions& opt,
                       ThreadPool& pool);

}  // namespace ws
