#include "spectrum/eigenvalues.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>

#include "spectrum/bidiagonal.h"
#include "spectrum/gram.h"
#include "spectrum/phase_timing.h"
#include "spectrum/tridiagonal.h"
#include "spectrum/tridiagonal_eigenvalues.h"
#include "util/progress.h"

namespace ws {

namespace {

using spectrum::Clock;
using spectrum::seconds_since;

// Backward-error bound of the Gram route, as a multiple of m * eps * lambda_max: eigenvalues below
// it are indistinguishable from 0 (see README.md, "Numerical zeros").
constexpr double kZeroBound = 1.0;
// Matrices up to this smaller side that have such eigenvalues are redone by an SVD of W.
constexpr int64_t kExactMax = 1024;

// Squared singular values of W (double, elements converted like MatrixView::at, laid out as the
// tall one of W and W^T) by Householder bidiagonalization and the bidiagonal's singular values
// (bidiagonal.h): absolute error ~ eps * sv_max in each singular value, like the reference's LAPACK
// SVD, so sv far below sqrt(m * eps) * sv_max are resolved. On one thread: a layer this small may
// run inside another pool job (where parallel_for goes inline) or alone, and its per-thread partial
// sums would make the last bits depend on that; two threads measured no faster at 480 x 480.
std::vector<double> svd_eigenvalues(const MatrixView& w) {
  const bool tall = w.rows >= w.cols;
  const int64_t n = tall ? w.rows : w.cols, m = tall ? w.cols : w.rows;
  std::vector<double> a(static_cast<size_t>(n * m));
  for (int64_t c = 0; c < w.cols; ++c)
    for (int64_t r = 0; r < w.rows; ++r) a[static_cast<size_t>(tall ? c * n + r : r * n + c)] = w.at(r, c);
  ThreadPool serial(1);
  return spectrum::squared_singular_values(std::move(a), n, m, serial);
}

// X = the Gram matrix fill writes (double), Householder tridiagonal reduction (double), then the
// eigenvalues of the tridiagonal matrix (root-free QL). Sorted ascending, before the zero policy.
std::vector<double> gram_route(int64_t rows, int64_t cols, const std::function<void(double*)>& fill,
                               ThreadPool& pool, PhaseTimes* times) {
  const int64_t m = std::min(rows, cols);
  if (m == 0) return {};
  const auto t0 = Clock::now();
  std::vector<double> x(static_cast<size_t>(m * m));
  fill(x.data());
  const double t_gram = seconds_since(t0);
  const auto t1 = Clock::now();
  std::vector<double> ev(static_cast<size_t>(m)), e(static_cast<size_t>(std::max<int64_t>(m - 1, 0)));
  spectrum::tridiagonalize(x.data(), m, m, ev.data(), e.data(), pool);
  x = std::vector<double>();  // release X before the (small) tridiagonal solve
  const double t_tri = seconds_since(t1);
  const auto t2 = Clock::now();
  report_progress("eigenvalues", 0.0);
  spectrum::tridiagonal_eigenvalues(ev.data(), e.data(), m);
  report_progress("eigenvalues", 1.0);
  const double t_qr = seconds_since(t2);
  if (spectrum::timing_enabled())
    std::fprintf(stderr, "spectrum %lldx%lld: gram %.3f s, tridiagonal %.3f s, tridiagonal eigenvalues %.3f s\n",
                 static_cast<long long>(rows), static_cast<long long>(cols), t_gram, t_tri, t_qr);
  if (times) times->gram += t_gram, times->reduction += t_tri, times->tridiagonal += t_qr;
  return ev;
}

// The Gram route of W, then the zero policy.
std::vector<double> matrix_eigenvalues(const MatrixView& w, ThreadPool& pool, PhaseTimes* times) {
  std::vector<double> ev = gram_route(
      w.rows, w.cols, [&](double* x) { spectrum::gram_lower(w, x, spectrum::gram_size(w), pool); }, pool, times);
  if (!times) return spectrum::apply_zero_policy(w, std::move(ev));
  const auto t3 = Clock::now();
  ev = spectrum::apply_zero_policy(w, std::move(ev));
  times->svd += seconds_since(t3);  // the SVD when it is redone, else a pass over m values
  return ev;
}

}  // namespace

namespace spectrum {

namespace {

double zero_bound(const std::vector<double>& ev) {
  return kZeroBound * double(ev.size()) * std::numeric_limits<double>::epsilon() * std::max(ev.back(), 0.0);
}

std::vector<double> clamp_zeros(std::vector<double> ev, double zero) {
  for (double& v : ev)
    if (v < zero) v = 0.0;  // within the error bound of 0 (this also clamps rounding below 0)
  return ev;
}

}  // namespace

std::vector<double> apply_zero_policy(const MatrixView& w, std::vector<double> ev) {
  if (ev.empty()) return ev;
  const double zero = zero_bound(ev);
  if (ev.front() < zero && static_cast<int64_t>(ev.size()) <= kExactMax) return svd_eigenvalues(w);
  return clamp_zeros(std::move(ev), zero);
}

std::vector<double> gram_eigenvalues(int64_t rows, int64_t cols, const std::function<void(double*)>& fill,
                                     ThreadPool& pool, PhaseTimes* times) {
  if (std::min(rows, cols) <= kExactMax)
    throw std::logic_error("gram_eigenvalues: a matrix this small may need the SVD of W; use pooled_eigenvalues");
  std::vector<double> ev = gram_route(rows, cols, fill, pool, times);
  if (ev.empty()) return ev;
  // The bound first: in clamp_zeros(std::move(ev), zero_bound(ev)) clang may move ev out before
  // zero_bound reads it (argument order is unspecified; the wasm build crashed on ev.back()).
  const double zero = zero_bound(ev);
  return clamp_zeros(std::move(ev), zero);
}

void for_each_matrix(const std::vector<MatrixView>& mats, ThreadPool& pool, const std::function<void(size_t)>& fn) {
  // Large matrices use the whole pool each; small ones (conv slices) run one per thread, where
  // the kernels' own parallel_for calls then run inline.
  constexpr int64_t kSmall = 256;
  std::vector<size_t> small;
  for (size_t i = 0; i < mats.size(); ++i) {
    if (gram_size(mats[i]) >= kSmall) fn(i);
    else small.push_back(i);
  }
  pool.parallel_for(static_cast<int64_t>(small.size()), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(small[i]);
  });
}

std::vector<double> pool_sorted(const std::vector<std::vector<double>>& per_matrix) {
  std::vector<double> all;
  for (const auto& v : per_matrix) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace spectrum

std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool, PhaseTimes* times) {
  std::vector<std::vector<double>> per(mats.size());
  std::vector<PhaseTimes> per_times(times ? mats.size() : 0);  // small matrices run on several threads
  // Progress of one matrix of several (conv slices) would start over for each: none is reported.
  std::optional<ProgressScope> quiet;
  if (mats.size() > 1) quiet.emplace(nullptr);
  spectrum::for_each_matrix(mats, pool, [&](size_t i) {
    per[i] = matrix_eigenvalues(mats[i], pool, times ? &per_times[i] : nullptr);
  });
  for (const PhaseTimes& t : per_times) *times += t;
  return spectrum::pool_sorted(per);
}

}  // namespace ws
