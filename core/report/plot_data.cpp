#include "report/plot_data.h"

namespace ws {

nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit,
                         const std::vector<double>* rand_evals) {
  nlohmann::json out = {{"evals", sorted_evals},
                        {"ks", {{"xmin", fit.candidate_xmin}, {"D", fit.candidate_D}, {"alpha", fit.candidate_alpha}}}};
  if (rand_evals) out["rand_evals"] = *rand_evals;
  return out;
}

}  // namespace ws
