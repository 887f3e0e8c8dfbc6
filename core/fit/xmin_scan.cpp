#include "fit/xmin_scan.h"

#include <algorithm>
#include <cmath>

#include "fit/fast_exp.h"
#include "util/thread_pool.h"

namespace ws {
namespace {

// About 1 ns per KS term natively: below ~64k terms (a 360-point scan) waking the workers costs
// more than it saves.
constexpr double kMinParallelTerms = 65536;
constexpr int64_t kCandidatesPerChunk = 16;

// max over m in [0, count) of |(1 - exp(-a (L[m] - L[0]))) - (P[m] - P[0]) / n|: the KS distance of
// one candidate (L = ln x at the compared points, P = their index in the sorted data).
// Same shape as the reference's 1 - (x/xmin)^(1-alpha) - k/n: tied points give exactly -k/n there and
// here, so exact ties in D between candidates (tied data) stay exact and argmin breaks them the same way.
double ks_distance(const double* L, const double* P, size_t count, double a, double n) {
  constexpr size_t kLanes = 8;
  double acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  const double L0 = L[0], P0 = P[0];
  size_t m = 0;
  for (; m + kLanes <= count; m += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      const double d = std::fabs((1.0 - exp_nonpositive(-a * (L[m + l] - L0))) - (P[m + l] - P0) / n);
      acc[l] = d > acc[l] ? d : acc[l];
    }
  }
  double best = 0;
  for (; m < count; ++m) {
    const double d = std::fabs((1.0 - exp_nonpositive(-a * (L[m] - L0))) - (P[m] - P0) / n);
    best = d > best ? d : best;
  }
  for (double v : acc) best = v > best ? v : best;
  return best;
}

}  // namespace

XminScan scan_xmin(const std::vector<double>& x, XminConvention convention, double lo, double hi, ThreadPool& pool) {
  const size_t N = x.size();
  // Compared points: all of them (WWFit) or the first of each tie group (powerlaw).
  std::vector<double> L, P;
  std::vector<size_t> point_index;
  for (size_t j = 0; j < N; ++j) {
    if (convention == XminConvention::Powerlaw && j > 0 && x[j] == x[j - 1]) continue;
    L.push_back(std::log(x[j]));
    P.push_back(static_cast<double>(j));
    point_index.push_back(j);
  }

  // Tail sums T_i = sum_{j>=i} ln x_j - n ln x_i, from a compensated (Neumaier) suffix sum so that
  // alpha_i = 1 + n / T_i matches the reference's pairwise np.sum to ~1e-15 relative.
  std::vector<double> suffix(N + 1, 0.0);
  double sum = 0, comp = 0;
  for (size_t j = N; j-- > 0;) {
    const double v = std::log(x[j]);
    const double t = sum + v;
    comp += std::fabs(sum) >= std::fabs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
    suffix[j] = sum + comp;
  }

  // Candidates, as positions among the compared points. WWFit: every point but the last.
  // powerlaw: the unique values in [lo, hi] minus the largest of them ("at least two points to fit").
  const bool ww = convention == XminConvention::WeightWatcher;
  std::vector<size_t> cand;
  for (size_t m = 0; m < point_index.size(); ++m) {
    const double v = x[point_index[m]];
    if (v >= lo && v <= hi && (!ww || point_index[m] + 1 < N)) cand.push_back(m);
  }
  if (!ww && !cand.empty()) cand.pop_back();

  XminScan s;
  s.candidate_index.resize(cand.size());
  s.D.resize(cand.size());
  s.alpha.resize(cand.size());
  // Each candidate's alpha and D depend on x alone, so splitting the candidates over threads gives
  // the serial scan's numbers bit for bit, in any order.
  const auto scan = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const size_t m = cand[c];
      const size_t i = point_index[m];
      const double n = static_cast<double>(N - i);
      // A tail that is one tied value has T_i = 0 exactly (rounding could make it +-tiny).
      const double T = x[i] == x[N - 1] ? 0.0 : suffix[i] - n * L[m];
      const double alpha = 1.0 + n / T;
      double D = 1.0;  // WWFit's value for alpha <= 1 (cannot happen for the Hill estimator; kept as guard)
      if (alpha > 1.0 && std::isfinite(alpha)) {
        D = ks_distance(&L[m], &P[m], L.size() - m, alpha - 1.0, n);
      } else if (alpha > 1.0) {
        // Whole tail tied at xmin (T_i = 0, alpha = inf): the model CDF is 1 at every point, as
        // (x/xmin)^-inf = 1 in the reference, so D = max_k k/n over the compared points.
        D = (P.back() - P[m]) / n;
      }
      s.candidate_index[c] = i;
      s.alpha[c] = alpha;
      s.D[c] = D;
    }
  };
  // Candidate c costs L.size() - cand[c] terms, falling with c; the pool's small chunks, claimed
  // dynamically in order, balance that. A scan too small to repay waking the workers runs here.
  const double first_tail = cand.empty() ? 0.0 : static_cast<double>(L.size() - cand.front());
  const double terms = 0.5 * first_tail * static_cast<double>(cand.size());
  if (terms < kMinParallelTerms) scan(0, static_cast<int64_t>(cand.size()));
  else pool.parallel_for(static_cast<int64_t>(cand.size()), scan, kCandidatesPerChunk);

  // First minimum of D (numpy argmin); powerlaw masks alpha <= 1 unless nothing is left.
  bool have = false;
  for (size_t c = 0; c < s.D.size(); ++c) {
    if (convention == XminConvention::Powerlaw && !(s.alpha[c] > 1.0)) continue;
    if (!have || s.D[c] < s.D[s.best]) {
      s.best = c;
      have = true;
    }
  }
  if (!have) {
    for (size_t c = 1; c < s.D.size(); ++c)
      if (s.D[c] < s.D[s.best]) s.best = c;
  }
  return s;
}

}  // namespace ws
