#include "report/plot_data.h"

namespace ws {

nlohmann::json plot_data(const std::vector<double>& sorted_evals, const PowerLawFit& fit,
                         const std::vector<double>* rand_evals) {
  nlohmann::json out = {{"evals", sorted_evals},
                        {"ks", {{"xmin", fit.candidate_xmin}, {"D", fit.candidate_D}, {"alpha", fit.candidate_alpha}}}};
  if (rand_evals) out["rand_evals"] = *rand_evals;
  return out;
}

nlohmann::json vector_plot_data(const std::vector<VectorMetrics>& ascending) {
  nlohmann::json loc = nlohmann::json::array(), part = nlohmann::json::array(), entropy = nlohmann::json::array();
  for (const VectorMetrics& v : ascending) {
    loc.push_back(v.loc_ratio);
    part.push_back(v.part_ratio);
    entropy.push_back(v.vec_entropy);
  }
  return {{"loc_ratio", loc}, {"part_ratio", part}, {"vec_entropy", entropy}};
}

}  // namespace ws
