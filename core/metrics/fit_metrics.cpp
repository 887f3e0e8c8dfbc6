#include "metrics/fit_metrics.h"

#include <cmath>
#include <cstdlib>

namespace ws {

double alpha_weighted(double alpha, double lambda_max) { return alpha * std::log10(lambda_max); }

std::string training_warning(double alpha) {
  if (alpha < 2.0) return "over-trained";
  if (alpha > 6.0) return "under-trained";
  return "";
}

bool detx_coincides(int64_t detx_num, int64_t num_pl_spikes) { return std::llabs(detx_num - num_pl_spikes) <= 1; }

double detx_gap_decades(double detx_val, double xmin) { return std::log10(detx_val / xmin); }

}  // namespace ws
