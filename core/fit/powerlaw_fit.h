#pragma once
// Clauset-Shalizi-Newman power-law tail fit of an eigenvalue spectrum
// (docs/methods.md, "Power-law fit" and "Fix fingers").
#include <cstdint>
#include <string>
#include <vector>

namespace ws {

class ThreadPool;

enum class XminConvention {
  WeightWatcher,  // reference default (WWFit): every sorted point but the largest is a candidate
  Powerlaw        // powerlaw package 1.5: unique values but the largest; KS at unique values
};

// weightwatcher's fix_fingers (details in powerlaw_fit.cpp): XminPeak limits the xmin candidates to
// [log10(0.95 p), 1.5 p] around the log-histogram peak p, as the reference writes it; ClipXmax refits
// without the top 2..max_fingers-1 eigenvalues until alpha drops by finger_thresh.
enum class Fingers { None, XminPeak, ClipXmax };

struct PowerLawOptions {
  XminConvention convention = XminConvention::WeightWatcher;
  double evals_thresh = 1e-5;  // reference EVALS_THRESH: only evals > this are fitted
  Fingers fix_fingers = Fingers::None;
  double finger_thresh = 1.0;  // clip_xmax: stop when alpha drops by this much
  int max_fingers = 10;
};

struct PowerLawFit {
  bool ok = false;
  std::string failure_reason;  // set when !ok
  double alpha = 0, xmin = 0, xmax = 0, D = 0, sigma = 0;
  int64_t num_pl_spikes = 0;  // #(evals >= xmin)
  int num_fingers = 0;        // clip_xmax only
  double raw_alpha = 0;       // clip_xmax: alpha before clipping
  // The scan, for plots: one entry per candidate xmin.
  std::vector<double> candidate_xmin, candidate_D, candidate_alpha;
};

// sorted_evals: ascending, all eigenvalues of the layer (the threshold is applied inside; unsorted
// input is sorted). Fails (ok = false, failure_reason set, numbers 0) on non-finite values, fewer
// than 2 eigenvalues above evals_thresh, or all of them equal. The scan is exact: D for every
// candidate, O(n^2) vectorized (n = 4096: ~9 ms native, ~35 ms wasm simd128), spread over pool
// with results independent of its size.
PowerLawFit fit_power_law(const std::vector<double>& sorted_evals, const PowerLawOptions& opt, ThreadPool& pool);

}  // namespace ws
