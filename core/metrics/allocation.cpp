#include "metrics/allocation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "metrics/numpy_sum.h"

namespace ws {

std::vector<double> alphapruning_sparsities(const std::vector<double>& metric, const std::vector<double>& params,
                                            double target, double epsilon) {
  const double lo = *std::min_element(metric.begin(), metric.end());
  const double hi = *std::max_element(metric.begin(), metric.end());
  const double s1 = 1.0 - epsilon, s2 = 1.0 + epsilon;
  std::vector<double> r(metric.size());
  for (size_t i = 0; i < r.size(); ++i) r[i] = hi > lo ? (metric[i] - lo) / (hi - lo) * (s2 - s1) + s1 : 1.0;
  // The scaler in float64 (theirs is float32: int64 tensor times a Python float, ~3e-8 off).
  const double total = numpy_sum(params.size(), [&](size_t i) { return params[i]; });
  const double weighted = numpy_sum(r.size(), [&](size_t i) { return params[i] * r[i]; });
  const double scaler = total * target / weighted;
  for (double& v : r) v *= scaler;
  return r;
}

std::vector<double> block_means(const std::vector<double>& metric, const std::vector<std::string>& block) {
  std::map<std::string, std::vector<double>> members;
  for (size_t i = 0; i < metric.size(); ++i) members[block[i]].push_back(metric[i]);
  std::map<std::string, double> mean;
  for (const auto& m : members) {
    const std::vector<double>& v = m.second;
    mean[m.first] = numpy_sum(v.size(), [&](size_t k) { return v[k]; }) / v.size();
  }
  std::vector<double> out(metric.size());
  for (size_t i = 0; i < metric.size(); ++i) out[i] = mean[block[i]];
  return out;
}

std::string transformer_block(const std::string& tensor_name) {
  static const char* const kContainers[] = {"layers", "layer", "h", "blk", "blocks", "block"};
  size_t start = 0;  // of the current dot-separated component
  while (start < tensor_name.size()) {
    const size_t dot = tensor_name.find('.', start);
    if (dot == std::string::npos) break;
    const std::string part = tensor_name.substr(start, dot - start);
    const size_t num_end = tensor_name.find('.', dot + 1);
    const bool is_container = std::find(std::begin(kContainers), std::end(kContainers), part) != std::end(kContainers);
    if (is_container && num_end != std::string::npos && num_end > dot + 1 &&
        std::all_of(tensor_name.begin() + dot + 1, tensor_name.begin() + num_end,
                    [](unsigned char c) { return std::isdigit(c); }))
      return tensor_name.substr(0, num_end);
    start = dot + 1;
  }
  return "";
}

namespace {
constexpr int64_t kEigsThresh = 50;  // TempBalance's eigs_thresh
}  // namespace

TempBalanceFactors tempbalance_factors(const std::vector<double>& metric, const std::vector<int64_t>& num_evals,
                                       double epsilon) {
  const size_t n = metric.size();
  TempBalanceFactors t{std::vector<double>(n, 1.0), std::vector<Untuned>(n, Untuned::No)};
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (i == 0) t.untuned[i] = Untuned::FirstLayer;
    else if (i + 1 == n) t.untuned[i] = Untuned::LastLayer;
    else if (num_evals[i] < kEigsThresh) t.untuned[i] = Untuned::FewEigenvalues;
    else if (std::isnan(metric[i])) t.untuned[i] = Untuned::NoMetric;
    else lo = std::min(lo, metric[i]), hi = std::max(hi, metric[i]);
  }
  if (!(hi > lo)) {
    t.constant_metric = hi == lo;
    return t;
  }
  // np.interp's arithmetic: slope * (x - xp[0]) + fp[0], the right end exactly at x = xp[1].
  const double f_lo = 1.0 - epsilon, f_hi = 1.0 + epsilon;
  const double slope = (f_hi - f_lo) / (hi - lo);
  for (size_t i = 0; i < n; ++i)
    if (t.untuned[i] == Untuned::No) t.factor[i] = metric[i] >= hi ? f_hi : slope * (metric[i] - lo) + f_lo;
  return t;
}

std::string untuned_reason(Untuned u, int64_t num_evals) {
  switch (u) {
    case Untuned::FirstLayer: return "first layer (TempBalance remove_first_layer)";
    case Untuned::LastLayer: return "last layer (TempBalance remove_last_layer)";
    case Untuned::FewEigenvalues:
      return std::to_string(num_evals) + " eigenvalues < eigs_thresh " + std::to_string(kEigsThresh);
    default: return "";
  }
}

}  // namespace ws
