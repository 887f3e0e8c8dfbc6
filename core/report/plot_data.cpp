#include "report/plot_data.h"

namespace ws {

nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit) {
  return {{"evals", sorted_evals},
          {"ks", {{"xmin", fit.candidate_xmin}, {"D", fit.candidate_D}, {"alpha", fit.candidate_alpha}}}};
}

}  // namespace ws
