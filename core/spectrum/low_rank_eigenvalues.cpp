#include "spectrum/low_rank_eigenvalues.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>

namespace ws {
namespace {

Eigen::MatrixXd dense(const MatrixView& v) {
  Eigen::MatrixXd m(v.rows, v.cols);
  for (int64_t i = 0; i < v.rows; ++i)
    for (int64_t j = 0; j < v.cols; ++j) m(i, j) = v.at(i, j);
  return m;
}

// A factor F with G = F F^T: Cholesky's L, or V D^1/2 when G is only semidefinite.
Eigen::MatrixXd gram_factor(const Eigen::MatrixXd& g) {
  const Eigen::LLT<Eigen::MatrixXd> llt(g);
  if (llt.info() == Eigen::Success) return llt.matrixL();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g);
  const Eigen::VectorXd d = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * d.asDiagonal();
}

}  // namespace

std::vector<double> low_rank_eigenvalues(const MatrixView& b, const MatrixView& a, double scaling) {
  const Eigen::MatrixXd am = dense(a), bm = dense(b);
  const Eigen::MatrixXd g = am * am.transpose();  // r x r
  const Eigen::MatrixXd h = bm.transpose() * bm;  // r x r
  const Eigen::MatrixXd f = gram_factor(g);
  const Eigen::MatrixXd core = (scaling * scaling) * (f.transpose() * h * f);
  const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(core, Eigen::EigenvaluesOnly).eigenvalues();
  // At most min(r, in, out) are nonzero: the rest are rounding around 0.
  const int64_t keep = std::min({a.rows, a.cols, b.rows});
  std::vector<double> out;
  for (Eigen::Index i = ev.size() - keep; i < ev.size(); ++i) out.push_back(std::max(ev[i], 0.0));
  return out;
}

}  // namespace ws
