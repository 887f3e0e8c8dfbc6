#include "report/summary.h"

#include "metrics/fit_metrics.h"
#include "report/fields.h"

namespace ws {

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
  s.set("num_layers", layers.size());
  s.set("num_failed", layers.size() - ok);
  s.set("num_skipped", num_skipped);
  s.set("num_ignored", num_ignored);
  s.set("num_under_trained", under);
  s.set("num_over_trained", over);
  s.set("num_detx_coincide", coincide);
  return s.take();
}

}  // namespace ws
