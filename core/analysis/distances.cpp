#include "analysis/distances.h"

#include <unordered_map>

#include "analysis/delta_layer.h"
#include "report/fields.h"
#include "report/summary.h"

namespace ws {
namespace {

nlohmann::json file_names(const ModelInput& m) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& src : m.sources) files.push_back(src->name());
  return {{"files", files}};
}

}  // namespace

nlohmann::json model_distances(BaseModel& base, ModelInput& ft, const LayerOptions& opt) {
  std::unordered_map<std::string, size_t> by_name;
  for (size_t i = 0; i < ft.tensors.size(); ++i) by_name.emplace(ft.tensors[i].name, i);
  const auto find_ft = [&](const std::string& name) -> const TensorInfo* {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &ft.tensors[it->second];
  };
  nlohmann::json layers = nlohmann::json::array(), skipped = nlohmann::json::array();
  for (size_t index = 0; index < ft.tensors.size(); ++index) {
    const TensorInfo& t = ft.tensors[index];
    const LayerPlan plan = plan_layer(t, opt);
    if (!plan.candidate) continue;
    FieldWriter s(skipped_fields());
    s.set({{"index", index}, {"name", plan.name}, {"tensor", t.name}, {"shape", t.shape},
           {"dtype", t.storage.empty() ? dtype_name(t.dtype) : t.storage}});
    const TensorInfo* b = base.find(t.name);
    const std::string problem = plan.analyze ? pairing_problem(t, b) : plan.skip_reason;
    if (!problem.empty()) {
      skipped.push_back(s.set("reason", problem).take());
      continue;
    }
    FieldWriter l(layer_fields());
    l.set({{"index", index}, {"name", plan.name}, {"tensor", t.name}, {"N", plan.N}, {"M", plan.M}});
    {
      const std::vector<uint8_t> wb = base.read(*b), wf = read_tensor(ft, t);
      l.set("delta_W", frobenius_distance(wf.data(), t, wb.data(), *b));
    }
    if (const auto db = bias_distance(base, ft, bias_of(t, find_ft))) l.set("delta_b", *db);
    layers.push_back(l.take());
  }
  nlohmann::json out = {{"base", file_names(base.model())}, {"model", file_names(ft)}};
  out.update(distance_means(layers, skipped));
  out["layers"] = std::move(layers);
  out["skipped"] = std::move(skipped);
  return out;
}

}  // namespace ws
