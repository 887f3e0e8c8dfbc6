#include "spectrum/eigenvectors.h"

#include <cstdio>
#include <utility>

#include "spectrum/back_transform.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/gram.h"
#include "spectrum/phase_timing.h"
#include "spectrum/tridiagonal.h"
#include "spectrum/tridiagonal_eigenvalues.h"
#include "spectrum/tridiagonal_eigenvectors.h"

namespace ws {

Eigenpairs matrix_eigenpairs(const MatrixView& w, ThreadPool& pool) {
  using spectrum::Clock;
  using spectrum::seconds_since;
  // gram_lower takes the Gram of the smaller side and W^T W for a square W; the reference takes
  // W W^T there, i.e. the Gram of the transposed view.
  MatrixView g = w;
  if (w.rows == w.cols) {
    std::swap(g.rows, g.cols);
    std::swap(g.row_stride, g.col_stride);
  }
  Eigenpairs p;
  p.m = spectrum::gram_size(g);
  const int64_t m = p.m;
  if (m == 0) return p;
  const auto t0 = Clock::now();
  std::vector<double> x(static_cast<size_t>(m * m));
  spectrum::gram_lower(g, x.data(), m, pool);
  const double t_gram = seconds_since(t0);
  const auto t1 = Clock::now();
  const size_t m1 = static_cast<size_t>(m - 1);
  std::vector<double> d(static_cast<size_t>(m)), e(m1), tau(m1);
  spectrum::tridiagonalize(x.data(), m, m, d.data(), e.data(), pool, tau.data());
  const double t_tri = seconds_since(t1);
  std::vector<double> ev = d, e2 = e;
  spectrum::tridiagonal_eigenvalues(ev.data(), e2.data(), m);
  p.values = spectrum::apply_zero_policy(w, std::move(ev));
  const auto t2 = Clock::now();
  p.vectors.resize(static_cast<size_t>(m * m));
  spectrum::tridiagonal_eigenvectors(d.data(), e.data(), m, p.vectors.data(), m, pool);
  const double t_dc = seconds_since(t2);
  const auto t3 = Clock::now();
  spectrum::apply_reduction_q(x.data(), m, m, tau.data(), p.vectors.data(), m, m, pool);
  const double t_back = seconds_since(t3);
  if (spectrum::timing_enabled())
    std::fprintf(stderr,
                 "eigenvectors %lldx%lld: gram %.3f s, one-stage tridiagonal %.3f s, divide and conquer %.3f s, "
                 "back-transformation %.3f s\n",
                 static_cast<long long>(w.rows), static_cast<long long>(w.cols), t_gram, t_tri, t_dc, t_back);
  return p;
}

std::vector<double> pooled_eigenpairs(const std::vector<MatrixView>& mats, ThreadPool& pool,
                                      const std::function<void(size_t, const Eigenpairs&)>& fn) {
  std::vector<std::vector<double>> per(mats.size());
  spectrum::for_each_matrix(mats, pool, [&](size_t i) {
    Eigenpairs p = matrix_eigenpairs(mats[i], pool);
    fn(i, p);
    per[i] = std::move(p.values);
  });
  return spectrum::pool_sorted(per);
}

}  // namespace ws
