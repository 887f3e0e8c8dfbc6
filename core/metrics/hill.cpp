#include "metrics/hill.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "fit/xmin_scan.h"
#include "metrics/numpy_sum.h"

namespace ws {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEvalsThresh = 1e-5;  // their EVALS_THRESH
constexpr int kBins = 100;             // their bins

// xmin = x[int(n / xmin_pos)] with xmin_pos = 2; alpha = 1 + t / (sum_{j>=i} ln x_j - t ln x_i).
double alpha_mid(const std::vector<double>& x) {
  const size_t i = x.size() / 2;
  if (x[i] == x.back()) return kNaN;  // a tail of one repeated value: alpha = inf
  const double t = static_cast<double>(x.size() - i);
  const double sum = numpy_pairwise_sum(i, x.size() - i, [&](size_t j) { return std::log(x[j]); });
  const double alpha = 1.0 + t / (sum - t * std::log(x[i]));
  return std::isfinite(alpha) && alpha > 1.0 ? alpha : kNaN;
}

// Left edge of the fullest bin (first one on ties, torch.argmax) of torch.histc(lx, 100, min, max),
// with the edges of torch.linspace(min, max, 101). Not numpy's histogram (fit/powerlaw_fit.cpp,
// weightwatcher's xmin_peak): histc truncates (v - min) * bins / (max - min) with no edge correction,
// and torch's linspace computes the upper half of the edges back from max.
double histc_peak_left_edge(const std::vector<double>& lx) {
  const double first = lx.front(), last = lx.back();  // ascending
  std::vector<int64_t> count(kBins, 0);
  for (double v : lx) {
    int64_t pos = static_cast<int64_t>((v - first) * kBins / (last - first));
    if (pos == kBins) pos = kBins - 1;  // the last bin holds its right edge
    ++count[pos];
  }
  int peak = 0;
  for (int b = 1; b < kBins; ++b)
    if (count[b] > count[peak]) peak = b;
  const int steps = kBins + 1;
  const double step = (last - first) / (steps - 1);
  return peak < steps / 2 ? first + step * peak : last - step * (steps - peak - 1);
}

// Their 'xmin_peak' scan: candidates x_i (all but the largest) with log10(0.95 p) <= x_i <= 1.5 p.
// The lower bound compares an eigenvalue with a log10 value; weightwatcher writes the same, and it
// is kept as written. The scan is weightwatcher's (D = 1 where alpha <= 1, first minimum of D).
// whole_scan, when given, is the scan of every candidate of x: the window's candidates are a run of
// it with the very same D and alpha, so its first minimum there is the windowed scan's choice.
double alpha_peak(const std::vector<double>& x, ThreadPool& pool, const PowerLawFit* whole_scan) {
  std::vector<double> lx(x.size());
  for (size_t i = 0; i < x.size(); ++i) lx[i] = std::log10(x[i]);
  const double xmin2 = std::pow(10.0, histc_peak_left_edge(lx));
  const double lo = std::log10(0.95 * xmin2), hi = 1.5 * xmin2;
  double alpha = kNaN;
  if (whole_scan) {
    const std::vector<double>& xmin = whole_scan->candidate_xmin, &D = whole_scan->candidate_D;
    const size_t none = xmin.size();
    size_t best = none;
    for (size_t c = 0; c < xmin.size(); ++c)
      if (xmin[c] >= lo && xmin[c] <= hi && (best == none || D[c] < D[best])) best = c;
    if (best == none) return kNaN;
    alpha = whole_scan->candidate_alpha[best];
  } else {
    const XminScan s = scan_xmin(x, XminConvention::WeightWatcher, lo, hi, pool);
    if (s.empty()) return kNaN;
    alpha = s.alpha[s.best];
  }
  return std::isfinite(alpha) && alpha > 1.0 ? alpha : kNaN;
}

// The kept eigenvalues, or none where the estimators are undefined (non-finite, fewer than 2, all equal).
std::vector<double> kept_eigenvalues(const std::vector<double>& sorted_evals) {
  std::vector<double> x;
  x.reserve(sorted_evals.size());
  for (double v : sorted_evals) {
    if (!std::isfinite(v)) return {};
    if (v > kEvalsThresh) x.push_back(v);
  }
  // Their code falls back to every eigenvalue when none passes the filter; its result is then the
  // noise's, so it is not reported. All equal: the histogram has no width and every tail is tied.
  if (x.size() < 2 || x.front() == x.back()) return {};
  return x;
}

}  // namespace

HillAlphas hill_alphas(const std::vector<double>& sorted_evals, ThreadPool& pool) {
  const std::vector<double> x = kept_eigenvalues(sorted_evals);
  if (x.empty()) return {kNaN, kNaN};
  return {alpha_mid(x), alpha_peak(x, pool, nullptr)};
}

HillAlphas hill_alphas(const std::vector<double>& sorted_evals, const PowerLawFit& fit, const PowerLawOptions& opt,
                       ThreadPool& pool) {
  const std::vector<double> x = kept_eigenvalues(sorted_evals);
  if (x.empty()) return {kNaN, kNaN};
  // fit scanned the same x (its threshold, no clipping) over every point but the largest.
  const bool whole = fit.ok && opt.convention == XminConvention::WeightWatcher && opt.fix_fingers == Fingers::None &&
                     opt.evals_thresh == kEvalsThresh && fit.candidate_xmin.size() + 1 == x.size();
  return {alpha_mid(x), alpha_peak(x, pool, whole ? &fit : nullptr)};
}

}  // namespace ws
