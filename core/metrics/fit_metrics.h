#pragma once
// Per-layer metrics that follow from the power-law fit (docs/methods.md, "Metrics").
#include <cstdint>
#include <string>

namespace ws {

// alpha-hat: alpha * log10(lambda_max) (the reference's alpha_weighted).
double alpha_weighted(double alpha, double lambda_max);

// The reference's warning thresholds (OVER_TRAINED_THRESH 2, UNDER_TRAINED_THRESH 6):
// "over-trained", "under-trained" or "".
std::string training_warning(double alpha);

// The detX point and the power-law xmin pick the same tail, give or take one eigenvalue.
bool detx_coincides(int64_t detx_num, int64_t num_pl_spikes);

}  // namespace ws
