#include "spectrum/eigenvalues.h"

#include <Eigen/Eigenvalues>
#include <algorithm>

namespace ws {

namespace {

// Eigenvalues of the Gram matrix of the smaller side, in double. Products of two float32 values
// are exact in double, so the only rounding is in the sums and in the eigensolver.
std::vector<double> matrix_eigenvalues(const MatrixView& w) {
  const bool transpose = w.cols > w.rows;  // make columns the smaller side
  const int64_t n = transpose ? w.cols : w.rows;
  const int64_t m = transpose ? w.rows : w.cols;
  Eigen::MatrixXd a(n, m);
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = 0; i < n; ++i) a(i, j) = transpose ? w.at(j, i) : w.at(i, j);
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(m, m);
  x.selfadjointView<Eigen::Lower>().rankUpdate(a.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(x, Eigen::EigenvaluesOnly);
  std::vector<double> ev(es.eigenvalues().data(), es.eigenvalues().data() + m);
  for (double& v : ev) v = std::max(v, 0.0);
  return ev;
}

}  // namespace

std::vector<double> pooled_eigenvalues(const std::vector<MatrixView>& mats, ThreadPool& pool) {
  std::vector<std::vector<double>> per(mats.size());
  pool.parallel_for(static_cast<int64_t>(mats.size()), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) per[i] = matrix_eigenvalues(mats[i]);
  });
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace ws
