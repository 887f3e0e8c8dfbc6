#include "fit/powerlaw_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "fit/xmin_scan.h"

namespace ws {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

PowerLawFit failed(std::string reason) {
  PowerLawFit f;
  f.failure_reason = std::move(reason);
  return f;
}

// One scan over x (ascending, > thresh, not all equal) with candidate xmins limited to [lo, hi].
PowerLawFit fit_data(const std::vector<double>& x, XminConvention convention, double lo, double hi, ThreadPool& pool) {
  const XminScan s = scan_xmin(x, convention, lo, hi, pool);
  if (s.empty()) return failed("no candidate xmin in [" + fmt(lo) + ", " + fmt(hi) + "]");
  PowerLawFit f;
  const size_t i = s.candidate_index[s.best];
  const double n = static_cast<double>(x.size() - i);
  f.alpha = s.alpha[s.best];
  f.D = s.D[s.best];
  f.xmin = x[i];
  f.xmax = x.back();
  f.sigma = (f.alpha - 1.0) / std::sqrt(n);  // Clauset eq. 3.2 with the reference's n = N - i
  if (!std::isfinite(f.alpha) || !(f.alpha > 1.0))
    return failed("power-law fit degenerate: alpha = " + fmt(f.alpha) + " at xmin = " + fmt(f.xmin));
  f.ok = true;
  f.candidate_xmin.reserve(s.candidate_index.size());
  for (size_t c : s.candidate_index) f.candidate_xmin.push_back(x[c]);
  f.candidate_D = s.D;
  f.candidate_alpha = s.alpha;
  return f;
}

// numpy.histogram(v, bins) bin of the first maximum count; returns its left edge.
// Edges as np.linspace (k * step + first, last edge exact), bin index as numpy computes it.
double histogram_peak_left_edge(const std::vector<double>& v, int bins) {
  double first = *std::min_element(v.begin(), v.end()), last = *std::max_element(v.begin(), v.end());
  if (first == last) first -= 0.5, last += 0.5;
  std::vector<double> edges(bins + 1);
  const double step = (last - first) / bins;
  for (int k = 0; k < bins; ++k) edges[k] = k * step + first;
  edges[bins] = last;
  const double norm = bins / (last - first);
  std::vector<int64_t> count(bins, 0);
  for (double t : v) {
    int b = std::min(static_cast<int>((t - first) * norm), bins - 1);
    if (t < edges[b]) --b;
    else if (b != bins - 1 && t >= edges[b + 1]) ++b;
    ++count[b];
  }
  return edges[std::max_element(count.begin(), count.end()) - count.begin()];
}

// fix_fingers='xmin_peak' as weightwatcher fit_powerlaw does it: xmin2 = left edge of the peak bin of
// a 100-bin histogram of log10(evals), candidate range (log10(0.95 xmin2), 1.5 xmin2). The reference
// mixes a log10 and a linear bound; powerlaw takes [min, max] of the pair, so in practice this is
// "xmin <= 1.5 x peak". Reproduced as written. (The reference runs this only with pl_package=
// 'powerlaw'; here it applies to the chosen convention.)
PowerLawFit fit_xmin_peak(const std::vector<double>& x, XminConvention convention, ThreadPool& pool) {
  std::vector<double> lx(x.size());
  for (size_t i = 0; i < x.size(); ++i) lx[i] = std::log10(x[i]);
  const double xmin2 = std::pow(10.0, histogram_peak_left_edge(lx, 100));
  const double a = std::log10(0.95 * xmin2), b = 1.5 * xmin2;
  return fit_data(x, convention, std::min(a, b), std::max(a, b), pool);
}

// fix_fingers='clip_xmax' as weightwatcher's RMT_Util.fit_clipped_powerlaw: fit everything (raw fit),
// then for idx = 2 .. max_fingers-1 refit without the top idx eigenvalues; stop at the first idx with
// alpha + finger_thresh < raw alpha (num_fingers = idx - 1, the reference's count) or when alpha <= 2.
// Deviation: the reference errors out when fewer than 2 points would remain; here clipping stops.
PowerLawFit fit_clip_xmax(const std::vector<double>& x, const PowerLawOptions& opt, ThreadPool& pool) {
  constexpr double kMinAlpha = 2.0;
  const PowerLawFit raw = fit_data(x, opt.convention, -kInf, kInf, pool);
  if (!raw.ok) return raw;
  PowerLawFit best = raw;
  for (int idx = 2; idx < opt.max_fingers; ++idx) {
    if (x.size() < static_cast<size_t>(idx) + 2) break;
    const std::vector<double> clipped(x.begin(), x.end() - idx);
    if (clipped.front() == clipped.back()) break;
    const PowerLawFit f = fit_data(clipped, opt.convention, -kInf, kInf, pool);
    if (!f.ok) break;
    if (f.alpha + opt.finger_thresh < raw.alpha) {
      best = f;
      best.num_fingers = idx - 1;
      break;
    }
    if (f.alpha <= kMinAlpha) break;
  }
  best.raw_alpha = raw.alpha;
  return best;
}

}  // namespace

PowerLawFit fit_power_law(const std::vector<double>& sorted_evals, const PowerLawOptions& opt, ThreadPool& pool) {
  size_t non_finite = 0;
  for (double v : sorted_evals) non_finite += !std::isfinite(v);
  if (non_finite > 0) return failed(std::to_string(non_finite) + " non-finite eigenvalue(s) (nan/inf)");
  if (!(opt.evals_thresh >= 0)) return failed("evals_thresh must be >= 0, got " + fmt(opt.evals_thresh));

  std::vector<double> x;
  x.reserve(sorted_evals.size());
  for (double v : sorted_evals)
    if (v > opt.evals_thresh) x.push_back(v);
  if (!std::is_sorted(x.begin(), x.end())) std::sort(x.begin(), x.end());  // tolerate unsorted input
  if (x.size() < 2)
    return failed("only " + std::to_string(x.size()) + " eigenvalue" + (x.size() == 1 ? "" : "s") +
                  " above " + fmt(opt.evals_thresh));
  if (x.front() == x.back())
    return failed("all " + std::to_string(x.size()) + " eigenvalues above " + fmt(opt.evals_thresh) +
                  " are equal (" + fmt(x.front()) + ")");

  PowerLawFit f;
  switch (opt.fix_fingers) {
    case Fingers::None: f = fit_data(x, opt.convention, -kInf, kInf, pool); break;
    case Fingers::XminPeak: f = fit_xmin_peak(x, opt.convention, pool); break;
    case Fingers::ClipXmax: f = fit_clip_xmax(x, opt, pool); break;
  }
  if (!f.ok) return f;
  // Counted over all eigenvalues, clipped fingers included, as the reference does.
  f.num_pl_spikes = std::count_if(sorted_evals.begin(), sorted_evals.end(), [&](double v) { return v >= f.xmin; });
  return f;
}

}  // namespace ws
