#pragma once
// Per-layer scalars from the eigenvalues, named as the reference tool names its columns
// (docs/methods.md, "Metrics" and "detX point").
#include <cstdint>
#include <vector>

namespace ws {

struct SpectralMetrics {
  int64_t num_evals = 0;
  double norm = 0, log_norm = 0;                    // sum evals (= ||W||_F^2), log10
  double lambda_max = 0, spectral_norm = 0, log_spectral_norm = 0, sv_max = 0;
  double stable_rank = 0;                            // sum / max
  int64_t matrix_rank = 0;                           // #(sv > sv_max * N * eps)
  double entropy = 0;                                // matrix_entropy
};

// sorted_evals ascending; N = the larger matrix side (for the rank tolerance).
SpectralMetrics spectral_metrics(const std::vector<double>& sorted_evals, int64_t N);

// log10(sum evals^alpha), alpha * log10(lambda_max).
double log_alpha_norm(const std::vector<double>& evals, double alpha);

struct DetX {
  int64_t num = 0;       // detX_num: eigenvalues in the det X_eff = 1 tail
  double val = 0;        // detX_val: the eigenvalue at that point, original scale
  double val_rescaled = 0;  // the same on the mean-1 scale (reference: detX_val_unrescaled)
};
DetX detx_point(const std::vector<double>& sorted_evals);

// Jensen-Shannon distance between two sorted eigenvalue vectors taken as unnormalized
// probability vectors (scipy.spatial.distance.jensenshannon convention, natural log).
double jensen_shannon_distance(const std::vector<double>& p, const std::vector<double>& q);

}  // namespace ws
