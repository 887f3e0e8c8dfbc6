#pragma once
// The exact Clauset xmin scan behind fit_power_law: Hill alpha and KS distance D for every candidate
// xmin (docs/methods.md, "Power-law fit", "xmin candidates" and "KS distance D").
#include <cstddef>
#include <vector>

#include "fit/powerlaw_fit.h"

namespace ws {

class ThreadPool;

struct XminScan {
  std::vector<size_t> candidate_index;  // index into the sorted data of each candidate xmin
  std::vector<double> D, alpha;         // per candidate; D = 1 where alpha <= 1 (WWFit convention)
  size_t best = 0;                      // position in candidate_index of the selected xmin
  bool empty() const { return candidate_index.empty(); }
};

// x: ascending, finite, > 0, at least 2 points. Candidate xmins are restricted to values in
// [lo, hi] (pass -inf/+inf for the full scan); the scan itself always uses all of x >= xmin.
//  WeightWatcher: every sorted point but the last (ties not merged), KS against k/n at every point.
//  Powerlaw: unique values in [lo, hi] minus the largest of them, KS at unique values against the
//            fraction of the tail strictly below (powerlaw 1.5).
// D is computed exactly for every candidate (all O(n^2) terms, vectorized): the plots need the
// whole curve and n = 4096 costs ~10 ms. The candidates are spread over pool (the result does not
// depend on its size); called from inside a pool job, the scan runs on the calling thread.
XminScan scan_xmin(const std::vector<double>& x, XminConvention convention, double lo, double hi, ThreadPool& pool);

}  // namespace ws
