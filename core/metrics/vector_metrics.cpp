#include "metrics/vector_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/numpy_sum.h"

namespace ws {
namespace {

// RMT_Util.discrete_entropy's bin count and the constant it adds to every bin's density.
constexpr int kBins = 100;
constexpr double kEntropyEpsilon = 1e-10;

// numpy.histogram(a, bins=100, density=True) (numpy 1.24, uniform bins): edges from linspace over
// [min, max] (widened by 0.5 each way when they are equal), each value's bin from its scaled offset,
// corrected against the edges, the last bin closed; density = count / (n * bin width).
std::vector<double> numpy_density_histogram(const std::vector<double>& a) {
  double first = *std::min_element(a.begin(), a.end()), last = *std::max_element(a.begin(), a.end());
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  double edges[kBins + 1];
  const double step = (last - first) / kBins;
  for (int i = 0; i < kBins; ++i) edges[i] = i * step + first;
  edges[kBins] = last;
  std::vector<double> count(kBins, 0.0);
  const double denom = last - first;
  for (double x : a) {
    auto bin = static_cast<int64_t>((x - first) / denom * kBins);
    if (bin == kBins) --bin;
    if (x < edges[bin]) --bin;
    if (x >= edges[bin + 1] && bin != kBins - 1) ++bin;
    count[bin] += 1;
  }
  const double n = static_cast<double>(a.size());
  for (int i = 0; i < kBins; ++i) count[i] = count[i] / (edges[i + 1] - edges[i]) / n;
  return count;
}

double mean_of(const std::vector<double>& x) {
  return numpy_sum(x.size(), [&](size_t i) { return x[i]; }) / static_cast<double>(x.size());
}

// np.var (ddof 0): the mean of squared deviations from the mean.
double variance_of(const std::vector<double>& x) {
  const double mu = mean_of(x);
  return numpy_sum(x.size(), [&](size_t i) { return (x[i] - mu) * (x[i] - mu); }) / static_cast<double>(x.size());
}

}  // namespace

VectorMetrics vector_metrics(const double* v, int64_t m) {
  VectorMetrics r;
  const size_t n = static_cast<size_t>(m);
  if (n == 0 || !std::all_of(v, v + n, [](double x) { return std::isfinite(x); })) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};  // no vector (a solver fed non-finite numbers): no metrics, never a bad bin index
  }
  std::vector<double> a(n);
  double inf_norm = 0, sq = 0;
  for (size_t i = 0; i < n; ++i) {
    a[i] = std::abs(v[i]);
    inf_norm = std::max(inf_norm, a[i]);
    sq += a[i] * a[i];
  }
  const double l1 = numpy_sum(n, [&](size_t i) { return a[i]; });
  const double l4 = std::pow(numpy_sum(n, [&](size_t i) { return std::pow(a[i], 4.0); }), 0.25);
  r.loc_ratio = l1 / inf_norm;
  r.part_ratio = std::sqrt(sq) / l4;
  // discrete_entropy: histogram of |v| - mean |v|, densities + epsilon normalized to a
  // distribution p (its division by sqrt(2 pi) cancels), entropy -sum p ln p.
  const double mu = l1 / static_cast<double>(n);
  for (double& x : a) x -= mu;
  std::vector<double> p = numpy_density_histogram(a);
  for (double& x : p) x += kEntropyEpsilon;
  const double total = numpy_sum(p.size(), [&](size_t i) { return p[i]; });
  for (double& x : p) x /= total;
  r.vec_entropy = -numpy_sum(p.size(), [&](size_t i) { return p[i] * std::log(p[i]); });
  return r;
}

std::vector<std::pair<double, VectorMetrics>> eigenvector_metrics(const std::vector<double>& values,
                                                                  const double* vectors, int64_t m) {
  std::vector<std::pair<double, VectorMetrics>> out(values.size());
  for (size_t j = 0; j < values.size(); ++j) out[j] = {values[j], vector_metrics(vectors + j * m, m)};
  return out;
}

std::vector<VectorMetrics> pooled_vector_metrics(const std::vector<std::vector<std::pair<double, VectorMetrics>>>& per) {
  std::vector<std::pair<double, VectorMetrics>> all;
  for (const auto& p : per) all.insert(all.end(), p.begin(), p.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<VectorMetrics> out(all.size());
  for (size_t i = 0; i < all.size(); ++i) out[i] = all[i].second;
  return out;
}

std::vector<std::pair<std::string, double>> vector_columns(const std::vector<VectorMetrics>& ascending,
                                                           size_t num_tail) {
  const size_t bulk = ascending.size() - std::min(num_tail, ascending.size());
  const std::pair<const char*, double VectorMetrics::*> metrics[] = {
      {"vec_entropy", &VectorMetrics::vec_entropy},
      {"loc_ratio", &VectorMetrics::loc_ratio},
      {"part_ratio", &VectorMetrics::part_ratio}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::pair<std::string, double>> cols;
  for (const auto& [name, member] : metrics) {
    std::vector<double> b, t;
    for (size_t i = 0; i < ascending.size(); ++i) (i < bulk ? b : t).push_back(ascending[i].*member);
    cols.emplace_back(std::string("bulk_mean_") + name, b.empty() ? nan : mean_of(b));
    cols.emplace_back(std::string("bulk_var_") + name, b.empty() ? nan : variance_of(b));
    cols.emplace_back(std::string("tail_mean_") + name, t.empty() ? nan : mean_of(t));
    cols.emplace_back(std::string("tail_var_") + name, t.empty() ? nan : variance_of(t));
  }
  return cols;
}

}  // namespace ws
