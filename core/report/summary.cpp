#include "report/summary.h"

#include <cstdlib>

namespace ws {

nlohmann::json summarize(const nlohmann::json& layers, size_t num_skipped, size_t num_ignored) {
  static const char* kMeans[] = {"log_norm",          "alpha",       "alpha_weighted", "log_alpha_norm",
                                 "log_spectral_norm", "stable_rank", "mp_softrank"};
  nlohmann::json s;
  size_t ok = 0, under = 0, over = 0, coincide = 0;
  for (const auto& l : layers) {
    if (l.value("status", "") != "success") continue;
    ++ok;
    const std::string w = l.value("warning", "");
    under += w == "under-trained";
    over += w == "over-trained";
    // The detX point and xmin coincide when they pick the same tail, give or take one eigenvalue.
    if (l.contains("detX_num") && std::llabs(l["detX_num"].get<long long>() -
                                             l["num_pl_spikes"].get<long long>()) <= 1)
      ++coincide;
  }
  for (const char* key : kMeans) {
    double sum = 0;
    size_t n = 0;
    for (const auto& l : layers)
      if (l.value("status", "") == "success" && l.contains(key) && l[key].is_number()) {
        sum += l[key].get<double>();
        ++n;
      }
    if (n > 0) s[key] = sum / n;
  }
  s["num_layers"] = layers.size();
  s["num_failed"] = layers.size() - ok;
  s["num_skipped"] = num_skipped;
  s["num_ignored"] = num_ignored;
  s["num_under_trained"] = under;
  s["num_over_trained"] = over;
  s["num_detx_coincide"] = coincide;
  return s;
}

}  // namespace ws
