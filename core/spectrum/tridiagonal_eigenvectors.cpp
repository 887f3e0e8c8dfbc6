#include "spectrum/tridiagonal_eigenvectors.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "io/input_error.h"
#include "spectrum/packed_gemm.h"

#include "spectrum/fma_contract.h"

#include "spectrum/vector_ops.h"

namespace ws::spectrum {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
// Leaves up to this size are solved by Eigen's implicit QR (LAPACK's smlsiz is 25).
constexpr int64_t kLeaf = 32;
// Merges smaller than this run side by side, one per thread; larger ones use the whole pool.
constexpr int64_t kSmallMerge = 512;
// Rows (or roots) per task in the merge's O(k^2) loops.
constexpr int64_t kChunk = 64;
// Steps of the secular equation's rational model before it falls back to plain bisection.
constexpr int kModelSteps = 30;

// Which half of the merged block a column of Q is nonzero in: after a deflating rotation mixes a
// top and a bottom column, both rows ranges. The products skip the zero halves.
enum : uint8_t { kTop = 1, kBottom = 2 };

void solve_leaf(const double* d, const double* e, int64_t n, double* eval, double* q, int64_t ldq) {
  if (n == 1) {
    eval[0] = d[0];
    q[0] = 1.0;
    return;
  }
  Eigen::VectorXd diag = Eigen::Map<const Eigen::VectorXd>(d, n);
  Eigen::VectorXd sub = Eigen::Map<const Eigen::VectorXd>(e, n - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success)
    throw InputError("eigenvector solver: the QR iteration of a " + std::to_string(n) + " x " + std::to_string(n) +
                     " tridiagonal block did not converge");
  for (int64_t j = 0; j < n; ++j) {
    eval[j] = es.eigenvalues()[j];
    for (int64_t i = 0; i < n; ++i) q[j * ldq + i] = es.eigenvectors()(i, j);
  }
}

// Sums over poles [from, to) of t_i = w_i / delta_i and t_i / delta_i, delta_i = diff_i - tau.
void secular_sums(const double* diff, const double* w, int64_t from, int64_t to, double tau, double& sum,
                  double& dsum) {
  constexpr int L = simd::kLanes;
  const simd::vd vt = simd::splat(tau);
  simd::vd s{}, ds{};
  int64_t i = from;
  for (; i + L <= to; i += L) {
    const simd::vd delta = simd::load(diff + i) - vt;
    const simd::vd t = simd::load(w + i) / delta;
    s += t;
    ds += t / delta;
  }
  sum = simd::hsum(s);
  dsum = simd::hsum(ds);
  for (; i < to; ++i) {
    const double delta = diff[i] - tau, t = w[i] / delta;
    sum += t;
    dsum += t / delta;
  }
}

// Root j of f(lambda) = 1 + sum_i w_i / (d_i - lambda) (d ascending and distinct, w > 0, wsum =
// sum w): lambda_j in (d_j, d_{j+1}), the last in (d_{k-1}, d_{k-1} + wsum]. The root is found as
// tau = lambda - d_o from the nearer pole d_o, so that delta_i = (d_i - d_o) - tau keeps its
// relative accuracy where it is small; delta (k entries) receives those differences, and diff
// (k entries) is workspace. Iteration: Li's "middle way" (psi and phi each modelled by one pole
// with matched value and slope, a quadratic for the step), safeguarded by bisection of a bracket.
double secular_root(const double* d, const double* w, int64_t k, int64_t j, double wsum, double* delta,
                    double* diff) {
  int64_t o = j;
  double lo = 0, hi = wsum * (1 + 4 * kEps);  // the last root is at most wsum above d_{k-1}
  if (j + 1 < k) {
    const double h = d[j + 1] - d[j];
    for (int64_t i = 0; i < k; ++i) diff[i] = d[i] - d[j];
    double s, ds1, phi, ds2;
    secular_sums(diff, w, 0, j + 1, 0.5 * h, s, ds1);
    secular_sums(diff, w, j + 1, k, 0.5 * h, phi, ds2);
    if (1 + s + phi >= 0) {
      hi = 0.5 * h;  // the root lies in the half next to d_j
    } else {
      o = j + 1;
      lo = -0.5 * h;
      hi = 0;
    }
  }
  for (int64_t i = 0; i < k; ++i) diff[i] = d[i] - d[o];
  double tau = 0.5 * (lo + hi);
  for (int iter = 0; iter < 200; ++iter) {
    double psi, dpsi, phi = 0, dphi = 0;
    secular_sums(diff, w, 0, j + 1, tau, psi, dpsi);
    if (j + 1 < k) secular_sums(diff, w, j + 1, k, tau, phi, dphi);
    const double f = 1 + psi + phi;
    // Rounding in f: each term to a few ulps, plus the ulp of tau times the slope.
    const double err = kEps * (8 * (1 + phi - psi) + std::abs(tau) * (dpsi + dphi));
    if (std::abs(f) <= err) break;
    (f < 0 ? lo : hi) = tau;
    const double da = diff[j] - tau, db = j + 1 < k ? diff[j + 1] - tau : 0;
    const double s = da * da * dpsi, big_s = db * db * dphi, c = f - da * dpsi - db * dphi;
    double eta = std::numeric_limits<double>::quiet_NaN();
    if (j + 1 == k) {
      if (c > 0) eta = da + s / c;  // c + s / (da - eta) = 0
    } else {
      // c (da - eta)(db - eta) + s (db - eta) + S (da - eta) = 0, the root between da and db.
      const double a2 = c, b2 = c * (da + db) + s + big_s, c2 = c * da * db + s * db + big_s * da;
      const double sq = std::sqrt(std::max(b2 * b2 - 4 * a2 * c2, 0.0));
      const double q = b2 >= 0 ? b2 + sq : b2 - sq;
      const double r1 = a2 != 0 ? q / (2 * a2) : eta, r2 = q != 0 ? 2 * c2 / q : eta;
      eta = r1 > da && r1 < db ? r1 : r2;
    }
    double next = tau + eta;
    // Bisection when the model's step leaves the bracket, and always after kModelSteps steps (the
    // model converges in a handful; past that, halving is sure to finish within ~60 more).
    if (!(next > lo && next < hi) || iter >= kModelSteps) next = 0.5 * (lo + hi);
    if (next == tau || next <= lo || next >= hi) break;  // no representable point left in the bracket
    tau = next;
  }
  for (int64_t i = 0; i < k; ++i) delta[i] = diff[i] - tau;
  return d[o] + tau;
}

// Column rotation of q's columns a and b over rows [r0, r1): a <- c a - s b, b <- s a + c b.
void rotate(double* q, int64_t ldq, int64_t r0, int64_t r1, int64_t a, int64_t b, double c, double s) {
  double* qa = q + a * ldq;
  double* qb = q + b * ldq;
  for (int64_t r = r0; r < r1; ++r) {
    const double x = qa[r], y = qb[r];
    qa[r] = c * x - s * y;
    qb[r] = s * x + c * y;
  }
}

// Merges the solved halves of the n x n block q (leading dim ldq; rows and columns [0, n1) and
// [n1, n) hold the halves' eigenvectors, zeros elsewhere) with eigenvalues ev (each half
// ascending) across the coupling beta: on return ev holds the block's eigenvalues ascending and q
// its eigenvectors.
void merge(double* ev, double* q, int64_t ldq, int64_t n1, int64_t n, double beta, ThreadPool& pool) {
  // T = diag(T1', T2') + rho u u^T with u = (e_last, sign(beta) e_first), so in the halves' bases
  // the coupling vector z is the last row of Q1 and the (signed) first row of Q2.
  std::vector<double> z(static_cast<size_t>(n));
  for (int64_t j = 0; j < n1; ++j) z[j] = q[j * ldq + n1 - 1];
  const double sign = beta < 0 ? -1.0 : 1.0;
  for (int64_t j = n1; j < n; ++j) z[j] = sign * q[j * ldq + n1];
  const double zn = std::sqrt(dot(z.data(), z.data(), n));
  for (double& v : z) v /= zn;
  const double rho = std::abs(beta) * zn * zn;

  std::vector<uint8_t> kind(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) kind[j] = j < n1 ? kTop : kBottom;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::inplace_merge(order.begin(), order.begin() + n1, order.end(), [&](int64_t a, int64_t b) { return ev[a] < ev[b]; });
  const double tol = 8 * kEps * std::max({std::abs(ev[order.front()]), std::abs(ev[order.back()]), rho});

  // Deflation (as LAPACK dlaed2): a column whose coupling rho |z_j| is below tol is already an
  // eigenvector; of two poles closer than tol (weighted by the rotation), a rotation zeroes one z.
  std::vector<int64_t> keep, gone;
  int64_t prev = -1;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t c = order[t];
    if (rho * std::abs(z[c]) <= tol) {
      gone.push_back(c);
      continue;
    }
    if (prev >= 0) {
      const double r = std::hypot(z[prev], z[c]), cs = z[c] / r, sn = z[prev] / r;
      if (std::abs((ev[c] - ev[prev]) * cs * sn) <= tol) {
        const uint8_t both = kind[prev] | kind[c];
        rotate(q, ldq, both & kTop ? 0 : n1, both & kBottom ? n : n1, prev, c, cs, sn);
        const double dp = ev[prev], dc = ev[c];
        ev[prev] = cs * cs * dp + sn * sn * dc;
        ev[c] = sn * sn * dp + cs * cs * dc;
        z[c] = r;
        z[prev] = 0;
        kind[prev] = kind[c] = both;
        gone.push_back(prev);
        prev = c;
        continue;
      }
      keep.push_back(prev);
    }
    prev = c;
  }
  if (prev >= 0) keep.push_back(prev);

  // The secular equation of the k kept poles: roots, the differences delta(i, j) = d_i - lambda_j,
  // then U(i, j) = zhat_i / delta(i, j) normalized, with Gu and Eisenstat's zhat (the z for which
  // the computed roots are exact), in place of delta.
  const int64_t k = static_cast<int64_t>(keep.size());
  std::vector<double> dl(static_cast<size_t>(k)), w(static_cast<size_t>(k)), lambda(static_cast<size_t>(k));
  double wsum = 0;
  for (int64_t i = 0; i < k; ++i) {
    dl[i] = ev[keep[i]];
    w[i] = rho * z[keep[i]] * z[keep[i]];
    wsum += w[i];
  }
  std::vector<double> u(static_cast<size_t>(k * k));
  const int64_t chunks = (k + kChunk - 1) / kChunk;
  dynamic_for(pool, chunks, [&](int64_t t) {
    std::vector<double> diff(static_cast<size_t>(k));
    for (int64_t j = t * kChunk; j < std::min(k, (t + 1) * kChunk); ++j)
      lambda[j] = secular_root(dl.data(), w.data(), k, j, wsum, u.data() + j * k, diff.data());
  });
  std::vector<double> zhat(static_cast<size_t>(k));
  dynamic_for(pool, chunks, [&](int64_t t) {
    const int64_t i0 = t * kChunk, i1 = std::min(k, i0 + kChunk);
    for (int64_t i = i0; i < i1; ++i) zhat[i] = u[i * k + i];
    for (int64_t j = 0; j < k; ++j)
      for (int64_t i = i0; i < i1; ++i)
        if (i != j) zhat[i] *= u[j * k + i] / (dl[i] - dl[j]);
    for (int64_t i = i0; i < i1; ++i) zhat[i] = std::copysign(std::sqrt(std::max(-zhat[i], 0.0)), z[keep[i]]);
  });
  dynamic_for(pool, chunks, [&](int64_t t) {
    for (int64_t j = t * kChunk; j < std::min(k, (t + 1) * kChunk); ++j) {
      double* col = u.data() + j * k;
      for (int64_t i = 0; i < k; ++i) col[i] = zhat[i] / col[i];
      const double inv = 1.0 / std::sqrt(dot(col, col, k));
      for (int64_t i = 0; i < k; ++i) col[i] *= inv;
    }
  });

  // New eigenvectors: out(:, 0:k) = Q(:, keep) U, the top and bottom rows each from the columns
  // that are nonzero there; out(:, k:) = the deflated columns.
  std::vector<double> out(static_cast<size_t>(n * n), 0.0);
  GemmBuffers buf;
  for (const uint8_t half : {kTop, kBottom}) {
    const int64_t r0 = half == kTop ? 0 : n1, rows = half == kTop ? n1 : n - n1;
    std::vector<int64_t> pos;
    for (int64_t t = 0; t < k; ++t)
      if (kind[keep[t]] & half) pos.push_back(t);
    const int64_t depth = static_cast<int64_t>(pos.size());
    if (depth == 0) continue;
    std::vector<double> a(static_cast<size_t>(rows * depth)), b(static_cast<size_t>(depth * k));
    for (int64_t p = 0; p < depth; ++p) {
      std::copy_n(q + keep[pos[p]] * ldq + r0, rows, a.begin() + p * rows);
      for (int64_t j = 0; j < k; ++j) b[j * depth + p] = u[j * k + pos[p]];
    }
    gemm_nn(a.data(), rows, b.data(), depth, rows, k, depth, out.data() + r0, n, buf, pool);
  }
  for (size_t g = 0; g < gone.size(); ++g) std::copy_n(q + gone[g] * ldq, n, out.begin() + (k + g) * n);

  // Everything in ascending order of eigenvalue.
  std::vector<double> value(static_cast<size_t>(n));
  for (int64_t j = 0; j < k; ++j) value[j] = lambda[j];
  for (size_t g = 0; g < gone.size(); ++g) value[k + g] = ev[gone[g]];
  std::vector<int64_t> rank(static_cast<size_t>(n));
  std::iota(rank.begin(), rank.end(), 0);
  std::stable_sort(rank.begin(), rank.end(), [&](int64_t a, int64_t b) { return value[a] < value[b]; });
  dynamic_for(pool, (n + kChunk - 1) / kChunk, [&](int64_t t) {
    for (int64_t j = t * kChunk; j < std::min(n, (t + 1) * kChunk); ++j)
      std::copy_n(out.begin() + rank[j] * n, n, q + j * ldq);
  });
  for (int64_t j = 0; j < n; ++j) ev[j] = value[rank[j]];
}

struct Node {
  int64_t lo, mid, hi;  // mid == hi for a leaf
};

// The tearing tree, each level's nodes together; levels[0] is the root.
void split(int64_t lo, int64_t hi, size_t level, std::vector<std::vector<Node>>& levels) {
  if (levels.size() <= level) levels.resize(level + 1);
  if (hi - lo <= kLeaf) {
    levels[level].push_back({lo, hi, hi});
    return;
  }
  const int64_t mid = lo + (hi - lo) / 2;
  levels[level].push_back({lo, mid, hi});
  split(lo, mid, level + 1, levels);
  split(mid, hi, level + 1, levels);
}

}  // namespace

void tridiagonal_eigenvectors(double* d, const double* e, int64_t n, double* z, int64_t ldz, ThreadPool& pool) {
  if (n <= 0) return;
  // A non-finite entry (a Gram matrix that overflowed) has no eigenvectors to speak of: all NaN.
  const bool finite = std::all_of(d, d + n, [](double x) { return std::isfinite(x); }) &&
                      std::all_of(e, e + n - 1, [](double x) { return std::isfinite(x); });
  for (int64_t j = 0; j < n; ++j)
    std::fill(z + j * ldz, z + j * ldz + n, finite ? 0.0 : std::numeric_limits<double>::quiet_NaN());
  if (!finite) {
    std::fill(d, d + n, std::numeric_limits<double>::quiet_NaN());
    return;
  }
  // Scaled to max |entry| = 1 (as dstedc), so the tolerances below are relative to ||T||.
  double scale = 0;
  for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(d[i]));
  for (int64_t i = 0; i + 1 < n; ++i) scale = std::max(scale, std::abs(e[i]));
  if (scale == 0) {
    for (int64_t j = 0; j < n; ++j) z[j * ldz + j] = 1.0;
    return;
  }
  std::vector<double> dd(static_cast<size_t>(n)), ee(static_cast<size_t>(std::max<int64_t>(n - 1, 0)));
  for (int64_t i = 0; i < n; ++i) dd[i] = d[i] / scale;
  for (int64_t i = 0; i + 1 < n; ++i) ee[i] = e[i] / scale;

  std::vector<std::vector<Node>> levels;
  split(0, n, 0, levels);
  // Tearing: each split subtracts |beta| from the two diagonal entries it couples.
  for (const auto& level : levels)
    for (const Node& nd : level)
      if (nd.mid < nd.hi) {
        dd[nd.mid - 1] -= std::abs(ee[nd.mid - 1]);
        dd[nd.mid] -= std::abs(ee[nd.mid - 1]);
      }
  std::vector<Node> leaves;
  for (const auto& level : levels)
    for (const Node& nd : level)
      if (nd.mid == nd.hi) leaves.push_back(nd);
  dynamic_for(pool, static_cast<int64_t>(leaves.size()), [&](int64_t t) {
    const Node& nd = leaves[t];
    solve_leaf(dd.data() + nd.lo, ee.data() + nd.lo, nd.hi - nd.lo, d + nd.lo, z + nd.lo * ldz + nd.lo, ldz);
  });
  for (size_t l = levels.size(); l-- > 0;) {
    std::vector<Node> merges;
    for (const Node& nd : levels[l])
      if (nd.mid < nd.hi) merges.push_back(nd);
    const auto run = [&](const Node& nd) {
      merge(d + nd.lo, z + nd.lo * ldz + nd.lo, ldz, nd.mid - nd.lo, nd.hi - nd.lo, ee[nd.mid - 1], pool);
    };
    if (!merges.empty() && merges.front().hi - merges.front().lo < kSmallMerge) {
      dynamic_for(pool, static_cast<int64_t>(merges.size()), [&](int64_t t) { run(merges[t]); });
    } else {
      for (const Node& nd : merges) run(nd);
    }
  }
  for (int64_t i = 0; i < n; ++i) d[i] *= scale;
}

}  // namespace ws::spectrum
