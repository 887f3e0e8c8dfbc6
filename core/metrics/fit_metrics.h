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

// How far the detX point is from xmin on the eigenvalue axis: log10(detX_val / xmin), in decades
// (the SETOL post's claim is that it is near 0 when alpha is near 2).
double detx_gap_decades(double detx_val, double xmin);

// Within this many decades the detX point and xmin count as coinciding in the summary's share.
constexpr double kDetxNearDecades = 0.1;

}  // namespace ws
