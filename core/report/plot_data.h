#pragma once
// The raw data behind the per-layer plots: the eigenvalues and the fit's KS scan. The series the
// page draws (histograms, the fitted line, the tail's PDF and CCDF) are derived from these and the
// layer's fit fields in one place, web/js/report/spectra.js, which share links need anyway.
#include <nlohmann/json.hpp>
#include <vector>

#include "fit/powerlaw_fit.h"
#include "metrics/vector_metrics.h"

namespace ws {

// {"evals", "ks": {"xmin", "D", "alpha"}} as documented in docs/report-schema.md, plus
// "rand_evals" (ascending) when the shuffled matrix's eigenvalues are given.
nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit,
                         const std::vector<double>* rand_evals = nullptr);

// {"loc_ratio", "part_ratio", "vec_entropy"}: one entry per eigenvector, in the order of evals.
nlohmann::json vector_plot_data(const std::vector<VectorMetrics>& ascending);

}  // namespace ws
