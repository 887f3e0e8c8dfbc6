#include "report/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>
#include <vector>

#include "io/input_error.h"
#include "metrics/allocation.h"
#include "report/csv.h"

namespace ws {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void bad(const std::string& what) { throw InputError("plan: " + what); }

double number_in(const json& j, const char* key, double fallback, double lo, double hi) {
  if (!j.contains(key)) return fallback;
  const json& v = j[key];
  if (!v.is_number()) bad(std::string(key) + " must be a number, got " + v.dump());
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) bad(std::string(key) + " must be in [" + json(lo).dump() + ", " + json(hi).dump() + "], got " + v.dump());
  return x;
}

std::string choice_in(const json& j, const char* key, const std::string& fallback, const std::set<std::string>& choices) {
  if (!j.contains(key)) return fallback;
  const json& v = j[key];
  if (!v.is_string() || !choices.count(v.get<std::string>())) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
    bad(std::string(key) + " must be one of " + list + ", got " + v.dump());
  }
  return v.get<std::string>();
}

// One analyzed layer as a plan sees it.
struct Row {
  std::string tensor, name;
  int64_t params = 1;    // weight.numel()
  int64_t num_evals = 0;
  double metric = kNaN;  // NaN: the layer has no such value
  std::string missing;   // why metric is NaN
};

std::vector<Row> rows_of(const json& report, const std::string& metric) {
  if (!report.is_object() || !report.contains("layers") || !report["layers"].is_array())
    bad("not a weightscope report (no \"layers\" array)");
  std::vector<Row> rows;
  for (const json& l : report["layers"]) {
    Row r;
    try {
      r.tensor = l.at("tensor").get<std::string>();
      r.name = l.at("name").get<std::string>();
      for (const json& d : l.at("shape")) r.params *= d.get<int64_t>();
      r.num_evals = l.at("num_evals").get<int64_t>();
      const json v = l.value(metric, json());
      if (v.is_number() && std::isfinite(v.get<double>())) r.metric = v.get<double>();
      else r.missing = "no " + metric + " on this layer";
      if (r.missing.size() && metric == "alpha" && l.contains("failure_reason"))
        r.missing += " (fit failed: " + l["failure_reason"].get<std::string>() + ")";
    } catch (const json::exception& e) {
      bad("layer " + std::to_string(rows.size()) + " of the report lacks tensor, name, shape or num_evals (" + e.what() + ")");
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

json entry(const Row& r, double ratio) {
  return {{"tensor", r.tensor}, {"name", r.name}, {"params", r.params}, {"metric", r.metric}, {"ratio", ratio}};
}

json excluded_entry(const Row& r, const std::string& reason) {
  return {{"tensor", r.tensor}, {"name", r.name}, {"reason", reason}};
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

json alphapruning_plan(const std::vector<Row>& rows, const PlanOptions& opt, json plan) {
  json excluded = json::array();
  std::vector<const Row*> use;
  std::vector<std::string> block;
  std::set<std::string> blocks;
  for (const Row& r : rows) {
    if (std::isnan(r.metric)) {
      excluded.push_back(excluded_entry(r, r.missing));
      continue;
    }
    use.push_back(&r);
    block.push_back(transformer_block(r.tensor));
    if (!block.back().empty()) blocks.insert(block.back());
  }
  // AlphaPruning prunes inside the transformer blocks only (model.model.layers): where the names have
  // blocks, embeddings and heads are left out, layer-wise or block-wise.
  const bool has_blocks = blocks.size() >= 2;
  const std::string mapping = opt.mapping == "auto" ? (has_blocks ? "block_wise" : "layer_wise") : opt.mapping;
  if (mapping == "block_wise" && !has_blocks)
    bad("mapping block_wise needs at least 2 transformer blocks in the tensor names (found " +
        std::to_string(blocks.size()) + "; docs/plans.md, \"AlphaPruning\")");
  if (has_blocks) {
    std::vector<const Row*> in;
    std::vector<std::string> in_block;
    for (size_t i = 0; i < use.size(); ++i) {
      if (block[i].empty()) {
        excluded.push_back(excluded_entry(*use[i], "outside the transformer blocks (AlphaPruning prunes inside the blocks only)"));
        continue;
      }
      in.push_back(use[i]);
      in_block.push_back(block[i]);
    }
    use = std::move(in);
    block = std::move(in_block);
  }
  if (use.empty()) bad("no layer has " + opt.metric + ": nothing to plan");

  std::vector<double> metric, params;
  for (const Row* r : use) metric.push_back(r->metric), params.push_back(static_cast<double>(r->params));
  const std::vector<double> mapped = mapping == "block_wise" ? block_means(metric, block) : metric;
  const std::vector<double> ratio = alphapruning_sparsities(mapped, params, opt.target, opt.epsilon);
  const bool constant = *std::min_element(mapped.begin(), mapped.end()) == *std::max_element(mapped.begin(), mapped.end());

  json layers = json::array();
  for (size_t i = 0; i < use.size(); ++i) {
    json e = entry(*use[i], ratio[i]);
    if (mapping == "block_wise") e["block"] = block[i], e["block_metric"] = mapped[i];
    if (constant) e["warning"] = "every " + opt.metric + " is equal: uniform sparsity (AlphaPruning would divide by zero)";
    else if (ratio[i] > 1)
      e["warning"] = "sparsity " + fmt(ratio[i]) + " > 1: more weights than the layer has; not clipped (AlphaPruning does not clip)";
    layers.push_back(std::move(e));
  }
  plan["mapping"] = mapping;
  plan["layers"] = std::move(layers);
  plan["excluded"] = std::move(excluded);
  return plan;
}

json tempbalance_plan(const std::vector<Row>& rows, const PlanOptions& opt, json plan) {
  std::vector<double> metric;
  std::vector<int64_t> num_evals;
  for (const Row& r : rows) metric.push_back(r.metric), num_evals.push_back(r.num_evals);
  const TempBalanceFactors t = tempbalance_factors(metric, num_evals, opt.epsilon);
  json layers = json::array();
  bool any_tuned = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    json e = entry(rows[i], t.factor[i]);
    if (t.untuned[i] == Untuned::NoMetric) e["untuned"] = rows[i].missing;
    else if (t.untuned[i] != Untuned::No) e["untuned"] = untuned_reason(t.untuned[i], rows[i].num_evals);
    else if (t.constant_metric)
      e["warning"] = "every tuned " + opt.metric + " is equal: factor 1 (TempBalance's np.interp would give " +
                     fmt(1 + opt.epsilon) + ")";
    any_tuned = any_tuned || t.untuned[i] == Untuned::No;
    layers.push_back(std::move(e));
  }
  if (!any_tuned) bad("no layer can be tuned with " + opt.metric + " (TempBalance leaves out the first and last layer and layers under 50 eigenvalues)");
  plan["layers"] = std::move(layers);
  plan["excluded"] = json::array();
  return plan;
}

}  // namespace

PlanOptions plan_options_from_json(const json& j) {
  if (!j.is_object()) bad("options must be a JSON object");
  static const std::set<std::string> keys = {"method", "sparsity", "epsilon", "metric", "mapping"};
  for (const auto& [key, value] : j.items())
    if (!keys.count(key)) bad("unknown option '" + key + "'");
  if (!j.contains("method")) bad("method is required (alphapruning|tempbalance)");
  PlanOptions o;
  o.method = choice_in(j, "method", "", {"alphapruning", "tempbalance"});
  const bool ap = o.method == "alphapruning";
  if (!ap && j.contains("sparsity")) bad("sparsity applies to alphapruning only");
  if (!ap && j.contains("mapping")) bad("mapping applies to alphapruning only");
  // Defaults: AlphaPruning's main.py (epsilon 0.3, alpha_peak, block_wise) and scripts/llama_7b.sh
  // (sparsity 0.7); TempBalance's lr_min_ratio 0.5 / lr_max_ratio 1.5 and pl_fitting 'median'.
  o.metric = choice_in(j, "metric", ap ? "alpha_hill_peak" : "alpha_hill", {"alpha_hill_peak", "alpha_hill", "alpha"});
  o.target = ap ? number_in(j, "sparsity", 0.7, 0.0, 1.0) : 0.0;
  o.epsilon = number_in(j, "epsilon", ap ? 0.3 : 0.5, 0.0, 1.0);
  o.mapping = ap ? choice_in(j, "mapping", "auto", {"auto", "layer_wise", "block_wise"}) : "";
  return o;
}

json allocation_plan(const json& report, const PlanOptions& opt) {
  const std::vector<Row> rows = rows_of(report, opt.metric);
  if (rows.empty()) bad("the report has no analyzed layer");
  json plan = {{"method", opt.method}, {"metric", opt.metric}, {"target", nullptr}, {"epsilon", opt.epsilon}};
  if (opt.method == "alphapruning") {
    plan["target"] = opt.target;
    return alphapruning_plan(rows, opt, std::move(plan));
  }
  return tempbalance_plan(rows, opt, std::move(plan));
}

std::string plan_csv(const json& plan) {
  std::vector<std::string> columns = {"tensor", "name", "params", "metric", "ratio"};
  if (plan.value("mapping", "") == "block_wise") columns.insert(columns.end(), {"block", "block_metric"});
  if (plan.value("method", "") == "tempbalance") columns.push_back("untuned");
  columns.push_back("warning");
  return csv_table(columns, plan.at("layers"));
}

}  // namespace ws
