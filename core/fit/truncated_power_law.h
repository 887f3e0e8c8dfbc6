#pragma once
// Truncated power law p(x) ~ x^-alpha e^(-lambda x), x >= xmin, and the log-likelihood-ratio test
// against the pure power law (docs/methods.md, "Truncated power law").
#include <vector>

namespace ws {

struct TruncatedPowerLawFit {
  bool ok = false;
  double alpha = 0, lambda = 0, loglik = 0;
  double pl_loglik = 0;           // pure power law on the same tail (Hill alpha)
  double R = 0, p = 1;            // powerlaw's distribution_compare(power_law, truncated_power_law,
                                  // normalized_ratio=True): R < 0 favours the TPL; nested (Wilks) p
};

// tail: the data x >= xmin (any order). alpha, lambda: the maximum-likelihood estimate (tight
// Nelder-Mead); ok = false for fewer than 2 points, non-finite or below-xmin data, all points equal.
TruncatedPowerLawFit fit_truncated_power_law(const std::vector<double>& tail, double xmin);

// The same quantities at given TPL parameters (alpha > 1, lambda > 0) instead of the MLE: checks the
// likelihood-ratio test at another optimizer's optimum (the reference stops fmin early).
TruncatedPowerLawFit truncated_power_law_at(const std::vector<double>& tail, double xmin, double alpha,
                                            double lambda);

}  // namespace ws
