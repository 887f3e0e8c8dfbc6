#include "metrics/mp_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/numpy_sum.h"
#include "util/thread_pool.h"

// The reference's MP fit (weightwatcher.py mp_fit, RMT_Util.fit_density_with_range / resid_mp),
// reproduced step by step so sigma_mp, bulk edges and num_spikes agree with it:
//   1. rescale evals to mean 1 (Wscale^2 = n / sum);
//   2. a linear-kernel KDE (bandwidth 0.1) of the evals (of their square roots when Q == 1) on
//      1000 points of [0, max + 0.5]; points with density < 0.01 are dropped;
//   3. scipy.optimize.brute over sigma = arange(0.05 s0, 2 s0, 0.01 s0), s0 = sqrt(lmax)/(1+1/sqrt Q),
//      minimizing the squared residual MP(sigma) - KDE, then scipy's fmin (Nelder-Mead) polish
//      from the best grid point (brute's default finish);
//   4. spikes: rescaled evals above bulk_max + sqrt(TW), TW = Q^-1/2 bulk_max^2/3 M^-2/3.
// Unlike the reference (which refits the KDE for every sigma), the KDE is computed once: each
// residual then costs O(grid), so the whole fit is O(n + grid * (sigmas + fmin steps)).
namespace ws {
namespace {

constexpr double kPi = 3.141592653589793;  // np.pi
constexpr double kBandwidth = 0.1;
constexpr int kGrid = 1000;
constexpr double kDensityFloor = 0.01;     // resid_mp THRESH
constexpr double kPenalty = 1000.0;        // resid_mp: residual of an implausible sigma

// np.nan_to_num: NaN -> 0, +-inf -> +-DBL_MAX.
double nan_to_num(double v) {
  if (std::isnan(v)) return 0.0;
  if (std::isinf(v)) return v > 0 ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
  return v;
}

double quarter_circle(double x, double sigma) {
  return nan_to_num((1 / (kPi * sigma * sigma)) * std::sqrt(4 - x * x));
}

using Iter = std::vector<double>::const_iterator;

// Up to this many points sklearn's KD-tree (leaf_size 40) is a single leaf, and its KDE is a plain
// log-space chain over the points in input order. Reproducing that rounding matters: small
// layers have flat KDE maxima (as many kernels rising as falling), where the last bit decides
// the peak, the reference's plausibility guard, and with it sigma_mp.
constexpr size_t kSklearnLeafMax = 80;

// sklearn's logaddexp (sklearn/neighbors/_binary_tree.pxi).
double logaddexp(double a, double b) {
  const double m = std::max(a, b);
  if (m == -std::numeric_limits<double>::infinity()) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

double sklearn_leaf_density(Iter lo, Iter hi, double x, size_t n) {
  // Linear kernel norm in 1-D: -(logVn(1) - log 2) - log h, logVn(1) = log(pi)/2 - lgamma(3/2).
  const double log_knorm = -((0.5 * std::log(kPi) - std::lgamma(1.5)) - std::log(2.0)) - std::log(kBandwidth);
  double acc = -std::numeric_limits<double>::infinity();
  for (Iter it = lo; it != hi; ++it) {
    const double d = x - *it;
    const double dist = std::sqrt(d * d);  // sklearn's euclidean distance in one dimension
    if (dist < kBandwidth) acc = logaddexp(acc, std::log(1 - dist / kBandwidth));
  }
  return std::exp(acc + log_knorm - std::log(static_cast<double>(n)));
}

double direct_density(Iter lo, Iter hi, double x, size_t n) {
  double k = 0.0;
  for (Iter it = lo; it != hi; ++it) {
    const double dist = std::abs(x - *it);
    if (dist < kBandwidth) k += 1 - dist / kBandwidth;
  }
  return k / (static_cast<double>(n) * kBandwidth);
}

// The empirical density on the kept grid points, and the sigma-dependent residual.
class DensityFit {
 public:
  DensityFit(const std::vector<double>& to_fit, double Q) : Q_(Q) {
    const size_t n = to_fit.size();
    const double stop = to_fit.back() + 0.5;
    const double step = stop / (kGrid - 1);  // np.linspace(0, stop, 1000)
    for (int g = 0; g < kGrid; ++g) {
      const double x = g == kGrid - 1 ? stop : g * step;
      // sklearn KernelDensity(kernel='linear'): (1 / (n h)) sum max(0, 1 - |x - x_i| / h).
      // Candidates within 2h; the kernels themselves test |x - x_i| < h as sklearn does.
      const auto lo = std::lower_bound(to_fit.begin(), to_fit.end(), x - 2 * kBandwidth);
      const auto hi = std::upper_bound(lo, to_fit.end(), x + 2 * kBandwidth);
      const double y = n <= kSklearnLeafMax ? sklearn_leaf_density(lo, hi, x, n) : direct_density(lo, hi, x, n);
      if (y > kDensityFloor) {
        x_.push_back(x);
        y_.push_back(y);
      }
    }
    if (x_.empty()) return;
    x_peak_ = x_[static_cast<size_t>(std::max_element(y_.begin(), y_.end()) - y_.begin())];
    x_last_ = x_.back();
    const size_t kept = x_.size();
    penalty_ = numpy_sum(kGrid, [&](size_t i) { return i < kept ? kPenalty * kPenalty : 0.0; });
  }

  bool usable() const { return !x_.empty(); }

  // Sum of squared residuals over the 1000-long vector (kept points, then zeros for the dropped
  // ones), summed in numpy's order.
  double residual(double sigma) const {
    const size_t kept = x_.size();
    if (Q_ == 1.0) {
      return numpy_sum(kGrid, [&](size_t i) {
        if (i >= kept) return 0.0;
        const double r = quarter_circle(x_[i], sigma) - y_[i];
        return r * r;
      });
    }
    const double y = 1 / Q_;
    const double b = std::pow(sigma * (1 + std::sqrt(1 / Q_)), 2);
    const double a = std::pow(sigma * (1 - std::sqrt(1 / Q_)), 2);
    // issue #60 guard of the reference: the bulk must cover the KDE peak and end inside the grid.
    // Its residual does not depend on sigma: summed once, in the constructor.
    if (b < x_peak_ || b > x_last_ || a > x_peak_) return penalty_;
    return numpy_sum(kGrid, [&](size_t i) {
      if (i >= kept) return 0.0;
      const double x = x_[i];
      const double mp = nan_to_num((1 / (2 * kPi * sigma * sigma * x * y)) * std::sqrt((b - x) * (x - a)));
      const double r = mp - y_[i];
      return r * r;
    });
  }

 private:
  double Q_;
  std::vector<double> x_, y_;
  double x_peak_ = 0, x_last_ = 0;
  double penalty_ = 0;  // the residual of an implausible sigma
};

// scipy.optimize.fmin (Nelder-Mead, scipy 1.10 defaults: xatol = fatol = 1e-4, 200 iterations
// and 200 evaluations) in one dimension, as scipy.optimize.brute's finish step runs it.
template <typename F>
double nelder_mead_1d(const F& f, double x0) {
  constexpr int kMaxCalls = 200, kMaxIter = 200;
  constexpr double kTol = 1e-4;
  int calls = 0;
  bool out_of_calls = false;
  auto eval = [&](double x) {
    if (calls >= kMaxCalls) {
      out_of_calls = true;
      return std::numeric_limits<double>::infinity();
    }
    ++calls;
    return f(x);
  };
  double s[2] = {x0, x0 != 0 ? 1.05 * x0 : 0.00025};
  double fs[2] = {eval(s[0]), eval(s[1])};
  auto sort = [&] {  // numpy argsort of two values is stable
    if (fs[1] < fs[0]) std::swap(s[0], s[1]), std::swap(fs[0], fs[1]);
  };
  sort();
  for (int iter = 1; calls < kMaxCalls && iter < kMaxIter; ++iter) {
    if (std::abs(s[1] - s[0]) <= kTol && std::abs(fs[0] - fs[1]) <= kTol) break;
    const double xbar = s[0];
    const double xr = 2 * xbar - s[1];
    const double fxr = eval(xr);
    if (out_of_calls) break;
    if (fxr < fs[0]) {
      const double xe = 3 * xbar - 2 * s[1];
      const double fxe = eval(xe);
      if (out_of_calls) break;
      if (fxe < fxr) s[1] = xe, fs[1] = fxe;
      else s[1] = xr, fs[1] = fxr;
    } else {  // scipy's "fxr < fsim[-2]" accept step cannot fire in 1-D (fsim[-2] is fsim[0])
      bool shrink = false;
      if (fxr < fs[1]) {
        const double xc = 1.5 * xbar - 0.5 * s[1];
        const double fxc = eval(xc);
        if (out_of_calls) break;
        if (fxc <= fxr) s[1] = xc, fs[1] = fxc;
        else shrink = true;
      } else {
        const double xcc = 0.5 * xbar + 0.5 * s[1];
        const double fxcc = eval(xcc);
        if (out_of_calls) break;
        if (fxcc < fs[1]) s[1] = xcc, fs[1] = fxcc;
        else shrink = true;
      }
      if (shrink) {
        s[1] = s[0] + 0.5 * (s[1] - s[0]);
        fs[1] = eval(s[1]);
        if (out_of_calls) break;
      }
    }
    sort();
  }
  return s[0];
}

// scipy.optimize.brute over np.mgrid[start:stop:step] (= np.arange), first minimum wins,
// then the fmin polish. The grid's residuals are independent of each other: computed on the pool,
// then the first minimum is taken in grid order, so the result does not depend on the pool's size.
template <typename F>
double brute_then_fmin(const F& f, double start, double stop, double step, ThreadPool& pool) {
  constexpr int64_t kPointsPerChunk = 8;
  const auto count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((stop - start) / step)));
  const double delta = (start + step) - start;  // numpy arange fills start + i * (a[1] - a[0])
  std::vector<double> grid(static_cast<size_t>(count)), values(grid.size());
  for (int64_t i = 0; i < count; ++i) grid[i] = start + static_cast<double>(i) * delta;
  pool.parallel_for(count, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) values[i] = f(grid[i]);
  }, kPointsPerChunk);
  double best_x = start, best_f = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < count; ++i)
    if (values[i] < best_f) best_x = grid[i], best_f = values[i];
  return nelder_mead_1d(f, best_x);
}

}  // namespace

double marchenko_pastur_pdf(double x, double Q, double sigma) {
  const double y = 1 / Q;
  const double b = std::pow(sigma * (1 + std::sqrt(1 / Q)), 2);
  const double a = std::pow(sigma * (1 - std::sqrt(1 / Q)), 2);
  if (!(x > a && x < b)) return 0.0;
  return (1 / (2 * kPi * sigma * sigma * x * y)) * std::sqrt((b - x) * (x - a));
}

MpFit fit_marchenko_pastur(const std::vector<double>& ev, double Q, int64_t M, ThreadPool& pool) {
  MpFit out;
  const size_t n = ev.size();
  if (n == 0 || !(Q >= 1.0) || M <= 0) return out;
  const double sum = numpy_sum(n, [&](size_t i) { return ev[i]; });
  if (!(sum > 0) || !std::isfinite(sum)) return out;

  const double wscale = std::sqrt(static_cast<double>(n)) / std::sqrt(sum);
  const double f = wscale * wscale;
  std::vector<double> rescaled(n);
  for (size_t i = 0; i < n; ++i) rescaled[i] = f * ev[i];
  const double lambda_max = rescaled.back();

  // Q == 1 fits the quarter-circle law to the singular values.
  std::vector<double> to_fit = rescaled;
  if (Q == 1.0)
    for (double& v : to_fit) v = std::sqrt(v);
  const DensityFit density(to_fit, Q);
  if (!density.usable()) return out;

  const double s0 = std::sqrt(lambda_max / std::pow(1 + 1 / std::sqrt(Q), 2));  // calc_sigma
  const double sigma =
      brute_then_fmin([&](double s) { return density.residual(s); }, 0.05 * s0, 2.0 * s0, 0.01 * s0, pool);

  const double bulk_max = std::pow(sigma * (1 + 1 / std::sqrt(Q)), 2);
  const double bulk_min = std::pow(sigma * (1 - 1 / std::sqrt(Q)), 2);
  const double tw = 1 / std::sqrt(Q) * std::pow(bulk_max, 2.0 / 3) * std::pow(static_cast<double>(M), -2.0 / 3);
  const double edge = bulk_max + std::sqrt(tw);
  out.num_spikes = std::count_if(rescaled.begin(), rescaled.end(), [&](double v) { return v > edge; });
  out.sigma_mp = sigma;
  out.W_scale = wscale;
  out.mp_softrank = bulk_max / lambda_max;
  out.bulk_max = bulk_max / f;
  out.bulk_min = bulk_min / f;
  out.ok = std::isfinite(sigma);
  return out;
}

}  // namespace ws
