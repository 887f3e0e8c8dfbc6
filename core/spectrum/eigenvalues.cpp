#include "spectrum/eigenvalues.h"

#include <Eigen/SVD>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "spectrum/gram.h"
#include "spectrum/tridiagonal.h"
#include "spectrum/tridiagonal_eigenvalues.h"

namespace ws {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// WS_SPECTRUM_TIMING=1 prints the time of each phase per matrix to stderr (for the benchmark).
bool timing_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("WS_SPECTRUM_TIMING");
    return v && *v && *v != '0';
  }();
  return on;
}

// Backward-error bound of the Gram route, as a multiple of m * eps * lambda_max: eigenvalues below
// it are indistinguishable from 0 (see README.md, "Numerical zeros").
constexpr double kZeroBound = 1.0;
// Matrices up to this smaller side that have such eigenvalues are redone by an SVD of W.
constexpr int64_t kExactMax = 1024;

// Squared singular values of W (double, elements converted like MatrixView::at) by Eigen's
// bidiagonal divide and conquer: absolute error ~ eps * sv_max in each singular value, like the
// reference's LAPACK SVD, so sv far below sqrt(m * eps) * sv_max are resolved.
std::vector<double> svd_eigenvalues(const MatrixView& w) {
  Eigen::MatrixXd a(w.rows, w.cols);
  for (int64_t c = 0; c < w.cols; ++c)
    for (int64_t r = 0; r < w.rows; ++r) a(r, c) = w.at(r, c);
  const Eigen::VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(a).singularValues();
  std::vector<double> ev(static_cast<size_t>(s.size()));
  for (Eigen::Index i = 0; i < s.size(); ++i) ev[static_cast<size_t>(s.size() - 1 - i)] = s[i] * s[i];
  return ev;
}

// X = Gram of the smaller side (double), Householder tridiagonal reduction (double), then the
// eigenvalues of the tridiagonal matrix (root-free QL). Sorted ascending.
std::vector<double> matrix_eigenvalues(const MatrixView& w, ThreadPool& pool) {
  const int64_t m = spectrum::gram_size(w);
  if (m == 0) return {};
  const auto t0 = Clock::now();
  std::vector<double> x(static_cast<size_t>(m * m));
  spectrum::gram_lower(w, x.data(), m, pool);
  const double t_gram = seconds_since(t0);
  const auto t1 = Clock::now();
  std::vector<double> ev(static_cast<size_t>(m)), e(static_cast<size_t>(std::max<int64_t>(m - 1, 0)));
  spectrum::tridiagonalize(x.data(), m, m, ev.data(), e.data(), pool);
  x = std::vector<double>();  // release X before the (small) tridiagonal solve
  const double t_tri = seconds_since(t1);
  const auto t2 = Clock::now();
  spectrum::tridiagonal_eigenvalues(ev.data(), e.data(), m);
  const double t_qr = seconds_since(t2);
  if (timing_enabled())
    std::fprintf(stderr, "spectrum %lldx%lld: gram %.3f s, tridiagonal %.3f s, tridiagonal eigenvalues %.3f s\n",
                 static_cast<long long>(w.rows), static_cast<long long>(w.cols), t_gram, t_tri, t_qr);
  const double zero = kZeroBound * double(m) * std::numeric_limits<double>::epsilon() * std::max(ev.back(), 0.0);
  if (ev.front() < zero && m <= kExactMax) return svd_eigenvalues(w);
  for (double& v : ev)
    if (v < zero) v = 0.0;  // within the error bound of 0 (this also clamps rounding below 0)
  return ev;
}

}  // namespace

std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool) {
  std::vector<std::vector<double>> per(mats.size());
  // Large matrices use the whole pool each; small ones (conv slices) run one per thread, where
  // the kernels' own parallel_for calls then run inline.
  constexpr int64_t kSmall = 256;
  std::vector<size_t> small;
  for (size_t i = 0; i < mats.size(); ++i) {
    if (spectrum::gram_size(mats[i]) >= kSmall) per[i] = matrix_eigenvalues(mats[i], pool);
    else small.push_back(i);
  }
  pool.parallel_for(static_cast<int64_t>(small.size()), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) per[small[i]] = matrix_eigenvalues(mats[small[i]], pool);
  });
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace ws
