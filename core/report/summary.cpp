#include "report/summary.h"

#include <algorithm>
#include <cmath>

#include "metrics/fit_metrics.h"
#include "metrics/rank_correlation.h"
#include "report/fields.h"

namespace ws {
namespace {

// The SETOL claim at model level: how often the detX point sits at xmin, and whether it drifts
// away as alpha leaves 2.
void detx_thesis(const nlohmann::json& layers, FieldWriter& s) {
  std::vector<double> gap, off2;
  for (const auto& l : layers)
    if (l.contains("detX_gap_decades") && l["detX_gap_decades"].is_number()) {
      gap.push_back(std::fabs(l["detX_gap_decades"].get<double>()));
      off2.push_back(std::fabs(l["alpha"].get<double>() - 2.0));
    }
  if (gap.empty()) return;
  const auto near = std::count_if(gap.begin(), gap.end(), [](double g) { return g <= kDetxNearDecades; });
  s.set("frac_detx_near_xmin", static_cast<double>(near) / gap.size());
  if (const auto rho = spearman(gap, off2)) s.set("detx_gap_alpha_spearman", *rho);
}

}  // namespace

nlohmann::json summarize(const nlohmann::json& layers, size_t num_skipped, size_t num_ignored) {
  FieldWriter s(summary_fields());
  size_t ok = 0, under = 0, over = 0, coincide = 0;
  for (const auto& l : layers) {
    if (l.value("status", "") != "success") continue;
    ++ok;
    const std::string w = l.value("warning", "");
    under += w == "under-trained";
    over += w == "over-trained";
    if (l.contains("detX_num") &&
        detx_coincides(l["detX_num"].get<int64_t>(), l["num_pl_spikes"].get<int64_t>()))
      ++coincide;
  }
  for (const Field& f : summary_fields()) {
    if (!f.mean) continue;
    double sum = 0;
    size_t n = 0;
    for (const auto& l : layers)
      if (l.value("status", "") == "success" && l.contains(f.key) && l[f.key].is_number()) {
        sum += l[f.key].get<double>();
        ++n;
      }
    if (n > 0) s.set(f.key, sum / n);
  }
  detx_thesis(layers, s);
  s.set("num_layers", layers.size());
  s.set("num_failed", layers.size() - ok);
  s.set("num_skipped", num_skipped);
  s.set("num_ignored", num_ignored);
  s.set("num_under_trained", under);
  s.set("num_over_trained", over);
  s.set("num_detx_coincide", coincide);
  return s.take();
}

nlohmann::json distance_means(const nlohmann::json& layers, const nlohmann::json& skipped) {
  double sum_W = 0, sum_b = 0;
  size_t n = 0;
  for (const nlohmann::json* list : {&layers, &skipped})
    for (const auto& e : *list)
      if (e.contains("delta_W")) {
        sum_W += e["delta_W"].get<double>();
        sum_b += e.value("delta_b", 0.0);
        ++n;
      }
  if (n == 0) return nlohmann::json::object();
  return {{"avg_delta_W", sum_W / n}, {"avg_delta_b", sum_b / n}};
}

nlohmann::json run_summary(const std::string& model_format, const nlohmann::json& layers, size_t num_skipped,
                           size_t num_ignored, double seconds, bool complete) {
  FieldWriter s(summary_fields(), summarize(layers, num_skipped, num_ignored));
  s.set("seconds", seconds);
  s.set("complete", complete);
  // A lone matrix (TF-IDF, embeddings): its latent rank K is the number of eigenpairs in the tail.
  if (model_format == "npy" && layers.size() == 1 && layers[0]["status"] == "success")
    s.set("latent_rank_K", layers[0]["num_pl_spikes"]);
  return s.take();
}

}  // namespace ws
