#pragma once
// Nelder-Mead simplex minimiser (the algorithm of scipy.optimize.fmin: reflection 1, expansion 2,
// contraction 1/2, shrink 1/2), used with tight tolerances for small maximum-likelihood fits.
#include <functional>
#include <vector>

namespace ws {

struct NelderMeadOptions {
  double xatol = 1e-10;  // stop when every vertex is within xatol of the best (each coordinate) ...
  double fatol = 1e-12;  // ... and every value within fatol of the best
  int max_evals = 20000;
  double initial_step = 0.05;  // initial simplex: x0 with coordinate i scaled by 1 + step (0.00025 if 0)
};

struct NelderMeadResult {
  std::vector<double> x;
  double f = 0;
  int evals = 0;
  bool converged = false;
};

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                             std::vector<double> x0, const NelderMeadOptions& opt = {});

}  // namespace ws
