#pragma once
// The data behind the per-layer plots, computed once in the core so the CLI's JSON, the page and
// shared reports draw the same thing.
#include <nlohmann/json.hpp>
#include <vector>

#include "fit/powerlaw_fit.h"

namespace ws {

// {"evals", "esd", "log_esd", "ks", "fit"} as documented in docs/report-schema.md.
nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit, double evals_thresh);

}  // namespace ws
