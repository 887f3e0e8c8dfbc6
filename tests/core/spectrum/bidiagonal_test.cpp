#include "spectrum/bidiagonal.h"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

namespace {

using Eigen::MatrixXd;

MatrixXd gaussian(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> nd;
  MatrixXd g(rows, cols);
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r) g(r, c) = nd(gen);
  return g;
}

// A dense orthogonal n x n matrix: the Q factor of a Gaussian matrix.
MatrixXd random_orthogonal(int64_t n, unsigned seed) {
  return Eigen::HouseholderQR<MatrixXd>(gaussian(n, n, seed)).householderQ();
}

// W = Q1 diag(s) Q2^T (rows x cols, s has min(rows, cols) entries): singular values s exactly,
// up to W's own rounding (~eps * s_max).
MatrixXd with_singular_values(int64_t rows, int64_t cols, const std::vector<double>& s, unsigned seed) {
  MatrixXd d = MatrixXd::Zero(rows, cols);
  for (size_t i = 0; i < s.size(); ++i) d(i, i) = s[i];
  return random_orthogonal(rows, seed) * d * random_orthogonal(cols, seed + 1).transpose();
}

std::vector<double> squared_svs(const MatrixXd& w, ws::ThreadPool& pool) {
  return ws::spectrum::squared_singular_values(std::vector<double>(w.data(), w.data() + w.size()), w.rows(),
                                               w.cols(), pool);
}

// Every singular value (sqrt of ev, ascending) within tol * s_max of want (any order).
void require_close(const std::vector<double>& ev, std::vector<double> want, double tol) {
  std::sort(want.begin(), want.end());
  REQUIRE(ev.size() == want.size());
  REQUIRE(std::is_sorted(ev.begin(), ev.end()));
  const double smax = want.back();
  for (size_t i = 0; i < ev.size(); ++i) {
    INFO("singular value " << i << " of " << ev.size() << ": want " << want[i]);
    REQUIRE(ev[i] >= 0.0);
    REQUIRE(std::abs(std::sqrt(ev[i]) - want[i]) <= tol * smax);
  }
}

constexpr double kTol = 1e-13;  // absolute, in units of s_max: LAPACK's SVD reaches ~1e-15

}  // namespace

TEST_CASE("squared singular values: known values over 12 decades, exact zeros, every shape", "[spectrum][svd]") {
  // Square, tall below the QR switch (1.25), tall above it (4.2, and 1.6 exactly), wide, with more
  // than one panel of 32 columns and a ragged last panel.
  for (int threads : {1, 2}) {
    ws::ThreadPool pool(threads);
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{300, 300}, {150, 120}, {505, 120}, {160, 100}, {90, 401},
                              {33, 33}, {2, 2}}) {
      const int64_t k = std::min(rows, cols);
      std::vector<double> s(static_cast<size_t>(k));
      for (int64_t i = 0; i < k; ++i) s[i] = 7.0 * std::pow(10.0, -12.0 * i / std::max<int64_t>(k - 1, 1));
      if (k > 10) s[3] = s[5] = s[k - 1] = 0.0;  // exact zeros
      if (k > 10) s[6] = s[7] = 0.5;               // a double value
      INFO(rows << "x" << cols << ", " << threads << " threads");
      require_close(squared_svs(with_singular_values(rows, cols, s, 7u + rows), pool), s, kTol);
    }
  }
}

TEST_CASE("squared singular values: clusters and rank one", "[spectrum][svd]") {
  ws::ThreadPool pool(2);
  // An orthogonal matrix (all singular values 1), the same scaled into a tall one, and the
  // all-ones matrix (rank one: sqrt(rows * cols) and zeros).
  require_close(squared_svs(random_orthogonal(257, 21u), pool), std::vector<double>(257, 1.0), kTol);
  MatrixXd stacked(400, 100);
  stacked << random_orthogonal(100, 22u), MatrixXd::Zero(300, 100);
  require_close(squared_svs(3.0 * stacked, pool), std::vector<double>(100, 3.0), kTol);
  std::vector<double> ones(70, 0.0);
  ones[0] = std::sqrt(70.0 * 300.0);
  require_close(squared_svs(MatrixXd::Ones(70, 300), pool), ones, kTol);
}

TEST_CASE("squared singular values of vectors and scalars", "[spectrum][svd]") {
  ws::ThreadPool pool(1);
  // 1 x M and N x 1: the one singular value is the Euclidean norm; 3-4-5 scaled rows are exact.
  MatrixXd row(1, 4);
  row << 3, 0, -4, 0;
  require_close(squared_svs(row, pool), {5.0}, 1e-15);
  require_close(squared_svs(row.transpose(), pool), {5.0}, 1e-15);
  const MatrixXd tall = gaussian(1000, 1, 3), wide = gaussian(1, 777, 4);
  require_close(squared_svs(tall, pool), {tall.norm()}, 1e-15);
  require_close(squared_svs(wide, pool), {wide.norm()}, 1e-15);
  MatrixXd one(1, 1);
  one << -2.5;
  REQUIRE(squared_svs(one, pool) == std::vector<double>{6.25});
  REQUIRE(squared_svs(MatrixXd::Zero(5, 3), pool) == std::vector<double>(3, 0.0));
  REQUIRE(squared_svs(MatrixXd(0, 4), pool).empty());
}

TEST_CASE("squared singular values: rank-deficient products", "[spectrum][svd]") {
  ws::ThreadPool pool(2);
  // W = A B with A n x r, B r x m: m - r singular values are 0 (to W's rounding); the r others
  // against Eigen's one-sided Jacobi SVD (high accuracy, a different algorithm).
  for (auto [n, m, r] : {std::tuple<int64_t, int64_t, int64_t>{240, 240, 200}, {480, 120, 90}, {120, 480, 5}}) {
    const MatrixXd w = gaussian(n, r, 11u) * gaussian(r, m, 12u);
    const Eigen::VectorXd ref = Eigen::JacobiSVD<MatrixXd>(w).singularValues();
    std::vector<double> want(ref.data(), ref.data() + ref.size());
    for (size_t i = static_cast<size_t>(r); i < want.size(); ++i) want[i] = 0.0;
    INFO(n << "x" << m << " of rank " << r);
    require_close(squared_svs(w, pool), want, kTol);
  }
}

TEST_CASE("squared singular values match Eigen's Jacobi SVD on random matrices", "[spectrum][svd]") {
  for (int threads : {1, 2}) {
    ws::ThreadPool pool(threads);
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{200, 200}, {333, 97}, {64, 700}, {517, 389}}) {
      MatrixXd w = gaussian(rows, cols, unsigned(rows * cols));
      // Columns scaled over 8 decades: a spread spectrum, not just Marchenko-Pastur's.
      for (int64_t c = 0; c < cols; ++c) w.col(c) *= std::pow(10.0, -8.0 * c / cols);
      const Eigen::VectorXd ref = Eigen::JacobiSVD<MatrixXd>(w).singularValues();
      INFO(rows << "x" << cols << ", " << threads << " threads");
      require_close(squared_svs(w, pool), std::vector<double>(ref.data(), ref.data() + ref.size()), kTol);
    }
  }
}

TEST_CASE("bidiagonal singular values: closed form, zeros on the diagonal, grading", "[spectrum][svd]") {
  // Ones on the diagonal and superdiagonal: B B^T = tridiag(1, 2, 1) with a last diagonal entry 1,
  // singular values 2 cos(k pi / (2n + 1)), k = 1..n.
  for (int64_t n : {int64_t(1), int64_t(2), int64_t(7), int64_t(300)}) {
    const std::vector<double> d(static_cast<size_t>(n), 1.0), e(static_cast<size_t>(n), 1.0);
    std::vector<double> want(static_cast<size_t>(n));
    const double pi = std::acos(-1.0);
    for (int64_t k = 1; k <= n; ++k) want[k - 1] = 2 * std::cos(k * pi / (2 * n + 1));
    INFO("n = " << n);
    require_close(ws::spectrum::bidiagonal_squared_singular_values(d.data(), e.data(), n), want, 1e-15);
  }
  // Zeros on the diagonal and the superdiagonal, and entries graded over 30 decades, scaled near
  // the ends of the double range (the tiny entries' squares would underflow unscaled): against
  // Jacobi on the dense bidiagonal.
  for (double scale : {1.0, 1e-120, 1e150}) {
    const std::vector<double> d = {1, 0, 2, 0, 3, 1e-10, 1e-20, 4, 0}, e = {1, 1, 0, 1, 1e-30, 2, 1e-5, 5};
    const int64_t n = static_cast<int64_t>(d.size());
    std::vector<double> ds(d), es(e);
    MatrixXd b = MatrixXd::Zero(n, n);
    for (int64_t i = 0; i < n; ++i) {
      ds[i] *= scale;
      b(i, i) = ds[i];
      if (i + 1 < n) es[i] *= scale, b(i, i + 1) = es[i];
    }
    const Eigen::VectorXd ref = Eigen::JacobiSVD<MatrixXd>(b).singularValues();
    const auto ev = ws::spectrum::bidiagonal_squared_singular_values(ds.data(), es.data(), n);
    INFO("scale " << scale);
    REQUIRE(ev.size() == size_t(n));
    for (int64_t i = 0; i < n; ++i) REQUIRE(std::abs(std::sqrt(ev[i]) - ref[n - 1 - i]) <= 1e-15 * ref[0]);
  }
}
