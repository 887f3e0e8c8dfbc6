#pragma once
// Eigenvector metrics as weightwatcher computes them with vectors=True (docs/methods.md,
// "Eigenvector metrics"): per eigenvector of X its localization ratio, participation ratio and
// vector entropy; per layer their means and variances over the bulk and the tail of the ESD.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ws {

struct VectorMetrics {
  double loc_ratio = 0;    // ||v||_1 / ||v||_inf: 1 for a basis vector, m when all |v_i| are equal
  double part_ratio = 0;   // ||v||_2 / ||v||_4 (not squared): 1 .. m^(1/4)
  double vec_entropy = 0;  // entropy of the 100-bin histogram of |v_i| - mean |v|, natural log
};

// The three metrics of one vector of length m (any scale and sign).
VectorMetrics vector_metrics(const double* v, int64_t m);

// One matrix's eigenvectors (m x m column-major, column j for values[j]) as (eigenvalue, metrics).
std::vector<std::pair<double, VectorMetrics>> eigenvector_metrics(const std::vector<double>& values,
                                                                  const double* vectors, int64_t m);

// All matrices' pairs in ascending eigenvalue order (conv slices pooled as the ESD is); the
// eigenvalues then equal the layer's sorted ESD entry by entry.
std::vector<VectorMetrics> pooled_vector_metrics(const std::vector<std::vector<std::pair<double, VectorMetrics>>>& per);

// The 12 layer columns {bulk,tail}_{mean,var}_{vec_entropy,loc_ratio,part_ratio} (population
// variance) over `ascending` split into the bulk (all but the last num_tail) and the tail (the
// last num_tail); an empty side gives NaN, as the reference's np.mean of nothing.
std::vector<std::pair<std::string, double>> vector_columns(const std::vector<VectorMetrics>& ascending,
                                                           size_t num_tail);

}  // namespace ws
