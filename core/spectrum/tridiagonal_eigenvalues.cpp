#include "spectrum/tridiagonal_eigenvalues.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ws::spectrum {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon() / 2;  // unit roundoff, as LAPACK's dlamch('E')

// Eigenvalues of [[a, b], [b, c]]: the larger in magnitude from the mean and half-gap, the other
// from the determinant a c - b^2 = r1 r2, arranged so that nothing cancels.
void eigen2x2(double a, double b, double c, double& r1, double& r2) {
  const double mean = 0.5 * (a + c), half_gap = std::hypot(0.5 * (a - c), b);
  r1 = mean >= 0 ? mean + half_gap : mean - half_gap;
  const double big = std::abs(a) > std::abs(c) ? a : c, small = std::abs(a) > std::abs(c) ? c : a;
  r2 = r1 == 0.0 ? 0.0 : (big / r1) * small - (b / r1) * b;
}

// QL iteration on the unreduced block [l, end] (inclusive) with squared off-diagonals e2; returns
// false when the step budget runs out.
bool ql_block(double* d, double* e2, int64_t l, int64_t end, int64_t& budget) {
  const double eps2 = kEps * kEps;
  while (l <= end) {
    // The first negligible off-diagonal at or after l splits off [l, m].
    int64_t m = l;
    while (m < end && std::abs(e2[m]) > eps2 * std::abs(d[m] * d[m + 1])) ++m;
    if (m < end) e2[m] = 0.0;
    if (m == l) {  // d[l] is an eigenvalue
      ++l;
      continue;
    }
    if (m == l + 1) {
      eigen2x2(d[l], std::sqrt(e2[l]), d[l + 1], d[l], d[l + 1]);
      e2[l] = 0.0;
      l += 2;
      continue;
    }
    if (budget-- <= 0) return false;
    // Wilkinson-like shift from the leading 2x2 block: its eigenvalue nearer d[l].
    const double rte = std::sqrt(e2[l]);
    double sigma = (d[l + 1] - d[l]) / (2 * rte);
    sigma = d[l] - rte / (sigma + std::copysign(std::hypot(sigma, 1.0), sigma));
    // One implicit QL step from the bottom of [l, m], carried in squared quantities (c = cos^2,
    // s = sin^2, p = gamma^2 / c) so that no square root is needed.
    double c = 1, s = 0, gamma = d[m] - sigma, p = gamma * gamma;
    for (int64_t i = m - 1; i >= l; --i) {
      const double bb = e2[i], r = p + bb;
      if (i != m - 1) e2[i + 1] = s * r;
      const double old_c = c, old_gamma = gamma, alpha = d[i];
      c = p / r;
      s = bb / r;
      gamma = c * (alpha - sigma) - s * old_gamma;
      d[i + 1] = old_gamma + (alpha - gamma);
      p = c != 0 ? gamma * gamma / c : old_c * bb;
    }
    e2[l] = s * p;
    d[l] = sigma + gamma;
  }
  return true;
}

}  // namespace

void tridiagonal_eigenvalues(double* d, double* e, int64_t n) {
  if (n <= 1) return;
  const std::vector<double> d0(d, d + n), e0(e, e + n - 1);
  int64_t budget = 30 * n;
  bool ok = true;
  for (int64_t l = 0; l < n && ok;) {
    // Unreduced block [l, end]: off-diagonals negligible relative to their diagonal neighbours end it.
    int64_t end = l;
    while (end + 1 < n && std::abs(e[end]) > std::sqrt(std::abs(d[end])) * std::sqrt(std::abs(d[end + 1])) * kEps) ++end;
    if (end > l) {
      // Scale the block by a power of two near its largest entry (exact) so that squares neither
      // overflow nor underflow, iterate on squared off-diagonals, scale back.
      double norm = 0;
      for (int64_t i = l; i <= end; ++i) norm = std::max(norm, std::abs(d[i]));
      for (int64_t i = l; i < end; ++i) norm = std::max(norm, std::abs(e[i]));
      const int shift = std::ilogb(norm);
      for (int64_t i = l; i <= end; ++i) d[i] = std::scalbn(d[i], -shift);
      for (int64_t i = l; i < end; ++i) e[i] = std::scalbn(e[i], -shift) * std::scalbn(e[i], -shift);
      ok = ql_block(d, e, l, end, budget);
      for (int64_t i = l; i <= end; ++i) d[i] = std::scalbn(d[i], shift);
    }
    l = end + 1;
  }
  if (!ok) {  // not converged: the slower, unconditionally robust implicit QR
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
    es.computeFromTridiagonal(Eigen::Map<const Eigen::VectorXd>(d0.data(), n),
                              Eigen::Map<const Eigen::VectorXd>(e0.data(), n - 1), Eigen::EigenvaluesOnly);
    std::copy(es.eigenvalues().data(), es.eigenvalues().data() + n, d);
    return;
  }
  std::sort(d, d + n);
}

}  // namespace ws::spectrum
