#include "metrics/spectral_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/numpy_sum.h"

namespace ws {
namespace {

// The reference's RMT_Util.matrix_entropy adds this to every probability and to the rank.
constexpr double kEntropyEpsilon = 1e-10;

}  // namespace

SpectralMetrics spectral_metrics(const std::vector<double>& ev, int64_t N) {
  SpectralMetrics m;
  m.num_evals = static_cast<int64_t>(ev.size());
  if (ev.empty()) return m;
  const size_t n = ev.size();
  m.norm = numpy_sum(n, [&](size_t i) { return ev[i]; });
  m.log_norm = std::log10(m.norm);
  m.lambda_max = ev.back();
  m.spectral_norm = m.lambda_max;
  m.log_spectral_norm = std::log10(m.lambda_max);
  m.sv_max = std::sqrt(m.lambda_max);
  m.stable_rank = m.norm / m.lambda_max;

  // matrix_rank(sqrt(evals), N): numpy's matrix_rank tolerance on the pooled singular values
  // (for conv layers the reference also pools first, so this is not a per-slice sum).
  const double tol = m.sv_max * static_cast<double>(N) * std::numeric_limits<double>::epsilon();
  m.matrix_rank = std::count_if(ev.begin(), ev.end(), [&](double v) { return std::sqrt(v) > tol; });

  // matrix_entropy: p_i = ev_i / sum + eps, H = -sum p ln p / ln(rank + eps), in [0, 1] for a full
  // rank spectrum (1 = flat).
  const double h = numpy_sum(n, [&](size_t i) {
    const double p = ev[i] / m.norm + kEntropyEpsilon;
    return p * std::log(p);
  });
  m.entropy = -h / std::log(static_cast<double>(m.matrix_rank) + kEntropyEpsilon);
  return m;
}

double log_alpha_norm(const std::vector<double>& evals, double alpha) {
  return std::log10(numpy_sum(evals.size(), [&](size_t i) { return std::pow(evals[i], alpha); }));
}

DetX detx_point(const std::vector<double>& ev) {
  DetX d;
  const size_t n = ev.size();
  if (n == 0) return d;
  // rescale_eigenvalues: ev' = Wscale^2 ev with Wscale = sqrt(n) / sqrt(sum), so mean(ev') = 1.
  const double sum = numpy_sum(n, [&](size_t i) { return ev[i]; });
  const double wscale = std::sqrt(static_cast<double>(n)) / std::sqrt(sum);
  const double f = wscale * wscale;
  // Walk down from the top: the first idx whose tail product prod(ev'[idx:]) drops below 1.
  // The product is kept as a sum of logs: the reference's plain product can overflow to inf for
  // long heavy tails (then it never drops below 1); everywhere else the two agree.
  size_t idx = n > 1 ? 1 : 0;  // the reference's loop variable when the product never drops
  d.num = static_cast<int64_t>(n);
  double log_prod = 0.0;
  for (size_t i = n - 1; i >= 1; --i) {
    log_prod += std::log(f * ev[i]);
    if (log_prod < 0.0) {
      d.num = static_cast<int64_t>(n - i);
      idx = i;
      break;
    }
  }
  d.val = ev[idx];
  d.val_rescaled = f * ev[idx];
  return d;
}

double jensen_shannon_distance(const std::vector<double>& p, const std::vector<double>& q) {
  if (p.size() != q.size() || p.empty()) return std::numeric_limits<double>::quiet_NaN();
  // RMT_Util.jensen_shannon_distance: m = (p + q) / 2 from the raw vectors, then
  // scipy.stats.entropy normalizes each argument to sum 1 (natural log). For spectra of equal
  // Frobenius norm (a shuffled W) this equals scipy.spatial.distance.jensenshannon.
  const size_t n = p.size();
  auto m = [&](size_t i) { return (p[i] + q[i]) / 2; };
  const double sp = numpy_sum(n, [&](size_t i) { return p[i]; });
  const double sq = numpy_sum(n, [&](size_t i) { return q[i]; });
  const double sm = numpy_sum(n, m);
  auto kl_to_m = [&](const std::vector<double>& x, double sx) {
    return numpy_sum(n, [&](size_t i) {
      const double a = x[i] / sx, b = m(i) / sm;
      return a > 0 ? a * std::log(a / b) : 0.0;  // scipy rel_entr: 0 log 0 = 0
    });
  };
  const double js = (kl_to_m(p, sp) + kl_to_m(q, sq)) / 2;
  return std::sqrt(std::max(js, 0.0));  // rounding can leave -1e-17 for identical spectra
}

}  // namespace ws
