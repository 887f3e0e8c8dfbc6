// The eigenvector route: divide and conquer on tridiagonal matrices with known eigenpairs, and the
// whole route (Gram, one-stage reduction, D&C, back-transformation) on matrices checked against
// X itself (residual, orthogonality) and against the eigenvalue route.
#include "spectrum/eigenvectors.h"

#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "spectrum/eigenvalues.h"
#include "spectrum/gram.h"
#include "spectrum/tridiagonal_eigenvectors.h"
#include "support/test_model_builder.h"

using ws::Dtype;
using ws::MatrixView;

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

struct Tridiagonal {
  std::vector<double> d, e;
};

// max_j ||T z_j - lambda_j z_j|| / ||T||_max and max |Z^T Z - I|.
void check_tridiagonal_pairs(const Tridiagonal& t, const std::vector<double>& lambda, const std::vector<double>& z) {
  const int64_t n = static_cast<int64_t>(t.d.size());
  double norm = 0;
  for (double v : t.d) norm = std::max(norm, std::abs(v));
  for (double v : t.e) norm = std::max(norm, std::abs(v));
  double residual = 0;
  for (int64_t j = 0; j < n; ++j) {
    const double* v = z.data() + j * n;
    double s = 0;
    for (int64_t i = 0; i < n; ++i) {
      double tv = t.d[i] * v[i] - lambda[j] * v[i];
      if (i > 0) tv += t.e[i - 1] * v[i - 1];
      if (i + 1 < n) tv += t.e[i] * v[i + 1];
      s += tv * tv;
    }
    residual = std::max(residual, std::sqrt(s));
  }
  const Eigen::Map<const Eigen::MatrixXd> zm(z.data(), n, n);
  const double orth = (zm.transpose() * zm - Eigen::MatrixXd::Identity(n, n)).cwiseAbs().maxCoeff();
  INFO("n = " << n << ", residual " << residual / std::max(norm, 1e-300) << ", orthogonality " << orth);
  CHECK(residual <= 20 * n * kEps * std::max(norm, 1e-300));
  CHECK(orth <= 20 * n * kEps);
  CHECK(std::is_sorted(lambda.begin(), lambda.end()));
}

std::vector<double> solve(const Tridiagonal& t, std::vector<double>& lambda, ws::ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(t.d.size());
  lambda = t.d;
  std::vector<double> z(static_cast<size_t>(n * n));
  ws::spectrum::tridiagonal_eigenvectors(lambda.data(), t.e.data(), n, z.data(), n, pool);
  return z;
}

// X = W^T W or W W^T, the Gram the eigenvector route takes (W W^T when rows <= cols), in double.
Eigen::MatrixXd gram_of(const MatrixView& w) {
  Eigen::MatrixXd a(w.rows, w.cols);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) a(r, c) = w.at(r, c);
  return ws::gram_of_rows(w) ? Eigen::MatrixXd(a * a.transpose()) : Eigen::MatrixXd(a.transpose() * a);
}

void check_matrix_pairs(const MatrixView& w, const ws::Eigenpairs& p) {
  const Eigen::MatrixXd x = gram_of(w);
  const int64_t m = p.m;
  REQUIRE(m == x.rows());
  REQUIRE(static_cast<int64_t>(p.values.size()) == m);
  const Eigen::Map<const Eigen::MatrixXd> z(p.vectors.data(), m, m);
  const Eigen::Map<const Eigen::VectorXd> lambda(p.values.data(), m);
  const double lmax = p.values.back();
  const double residual = (x * z - z * lambda.asDiagonal()).colwise().norm().maxCoeff() / lmax;
  const double orth = (z.transpose() * z - Eigen::MatrixXd::Identity(m, m)).cwiseAbs().maxCoeff();
  INFO(w.rows << " x " << w.cols << ": residual / lambda_max " << residual << ", orthogonality " << orth);
  CHECK(residual <= 10 * m * kEps);
  CHECK(orth <= 10 * m * kEps);
}

std::vector<float> gaussian_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  return wstest::gaussian(static_cast<size_t>(rows * cols), seed);
}

MatrixView f32_view(const std::vector<float>& w, int64_t rows, int64_t cols) {
  return {reinterpret_cast<const uint8_t*>(w.data()), Dtype::F32, rows, cols, cols, 1, 1.0f};
}

}  // namespace

TEST_CASE("divide and conquer: the 1-2-1 matrix's eigenpairs are the closed-form sines", "[eigenvectors]") {
  ws::ThreadPool pool(2);
  for (int64_t n : {1, 2, 5, 32, 33, 100, 257}) {
    Tridiagonal t{std::vector<double>(n, 2.0), std::vector<double>(n - 1, -1.0)};
    std::vector<double> lambda;
    const std::vector<double> z = solve(t, lambda, pool);
    check_tridiagonal_pairs(t, lambda, z);
    // lambda_k = 2 - 2 cos(k pi / (n+1)), v_k(i) = sqrt(2/(n+1)) sin(i k pi / (n+1)), k, i = 1..n.
    const double h = M_PI / double(n + 1);
    for (int64_t k = 1; k <= n; ++k) {
      INFO("n = " << n << ", k = " << k);
      CHECK(std::abs(lambda[k - 1] - (2 - 2 * std::cos(k * h))) <= 20 * n * kEps);
      const double* v = z.data() + (k - 1) * n;
      const double sign = v[0] < 0 ? -1 : 1;  // eigenvectors are unique up to sign (simple eigenvalues)
      double err = 0;
      for (int64_t i = 1; i <= n; ++i)
        err = std::max(err, std::abs(sign * v[i - 1] - std::sqrt(2.0 / (n + 1)) * std::sin(i * k * h)));
      CHECK(err <= 1e-11);
    }
  }
}

TEST_CASE("divide and conquer stays orthogonal where eigenvalues cluster or coincide", "[eigenvectors]") {
  ws::ThreadPool pool(2);
  std::vector<Tridiagonal> cases;
  // Glued Wilkinson W21+ blocks: pairs of eigenvalues equal to many digits, and the same values
  // repeated in every block (deflation by rotation).
  Tridiagonal glued;
  for (int b = 0; b < 12; ++b) {
    for (int i = 0; i < 21; ++i) glued.d.push_back(std::abs(10 - i));
    for (int i = 0; i < 20; ++i) glued.e.push_back(1.0);
    if (b < 11) glued.e.push_back(1e-10);
  }
  cases.push_back(glued);
  cases.push_back({std::vector<double>(300, 1.0), std::vector<double>(299, 0.0)});    // identity: all deflate
  cases.push_back({std::vector<double>(200, 3.0), std::vector<double>(199, 1e-20)});  // equal poles, tiny coupling
  cases.push_back({std::vector<double>(90, 0.0), std::vector<double>(89, 0.0)});      // zero matrix
  Tridiagonal graded;  // entries over 30 decades
  for (int i = 0; i < 120; ++i) graded.d.push_back(std::pow(10.0, -i / 4.0));
  for (int i = 0; i < 119; ++i) graded.e.push_back(0.5 * std::pow(10.0, -i / 4.0));
  cases.push_back(graded);
  Tridiagonal random;  // random entries of both signs, a size that leaves unequal halves
  const auto g = wstest::gaussian(2 * 777, 17);
  for (int i = 0; i < 777; ++i) random.d.push_back(g[i]);
  for (int i = 0; i < 776; ++i) random.e.push_back(g[777 + i]);
  cases.push_back(random);
  for (const Tridiagonal& t : cases) {
    std::vector<double> lambda;
    const std::vector<double> z = solve(t, lambda, pool);
    check_tridiagonal_pairs(t, lambda, z);
  }
}

TEST_CASE("eigenpairs of W's Gram: residual and orthogonality at eps level, values as the eigenvalue route",
          "[eigenvectors]") {
  ws::ThreadPool pool(2);
  struct Shape {
    int64_t rows, cols;
  };
  // Sizes across the D&C leaf (32), side-by-side and whole-pool merges (512), square (W W^T) and
  // wide matrices.
  for (const Shape s : {Shape{5, 1}, Shape{40, 30}, Shape{64, 33}, Shape{300, 200}, Shape{200, 200},
                        Shape{150, 400}, Shape{900, 700}}) {
    const std::vector<float> w = gaussian_matrix(s.rows, s.cols, 1000 + s.rows);
    const MatrixView v = f32_view(w, s.rows, s.cols);
    const ws::Eigenpairs p = ws::matrix_eigenpairs(v, pool);
    check_matrix_pairs(v, p);
    // Same X, same one-stage reduction, same QL: the eigenvalues are the eigenvalue route's to the bit,
    // except for square W, whose X here is W W^T (the route's is W^T W).
    const std::vector<double> ev = ws::pooled_eigenvalues({v}, pool);
    if (s.rows != s.cols) CHECK(ev == p.values);
    else
      for (size_t i = 0; i < ev.size(); ++i) CHECK(std::abs(ev[i] - p.values[i]) <= 100 * kEps * ev.back());
  }
}

TEST_CASE("eigenpairs of a rank-deficient W: the null space comes out orthonormal", "[eigenvectors]") {
  ws::ThreadPool pool(2);
  const int64_t rows = 300, cols = 200;
  std::vector<float> w = gaussian_matrix(rows, cols, 5);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = cols / 2; c < cols; ++c) w[r * cols + c] = w[r * cols + c - cols / 2];  // rank 100
  const MatrixView v = f32_view(w, rows, cols);
  const ws::Eigenpairs p = ws::matrix_eigenpairs(v, pool);
  check_matrix_pairs(v, p);
  // The zero policy as the eigenvalue route applies it: here the values are redone by an SVD of W.
  CHECK(p.values == ws::pooled_eigenvalues({v}, pool));
  CHECK(p.values[99] <= 1e-20 * p.values.back());
  CHECK(p.values[100] >= 1e-3 * p.values.back());
}

TEST_CASE("eigenpairs above the two-stage size: one-stage reduction, values as the eigenvalue route to rounding",
          "[eigenvectors][slow]") {
  ws::ThreadPool pool(2);
  const int64_t rows = 1700, cols = 1560;
  const std::vector<float> w = gaussian_matrix(rows, cols, 77);
  const MatrixView v = f32_view(w, rows, cols);
  const ws::Eigenpairs p = ws::matrix_eigenpairs(v, pool);
  check_matrix_pairs(v, p);
  const std::vector<double> ev = ws::pooled_eigenvalues({v}, pool);
  double worst = 0;
  for (size_t i = 0; i < ev.size(); ++i) worst = std::max(worst, std::abs(ev[i] - p.values[i]) / ev.back());
  INFO("largest difference / lambda_max " << worst);
  CHECK(worst <= 100 * kEps);
}

TEST_CASE("pooled eigenpairs: every matrix once, eigenvalues pooled as pooled_eigenvalues", "[eigenvectors]") {
  ws::ThreadPool pool(2);
  // Seven small matrices (side by side, one per thread) and one large enough to use the whole pool.
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (int i = 0; i < 7; ++i) shapes.emplace_back(50 + 10 * i, 40);
  shapes.emplace_back(400, 300);
  std::vector<std::vector<float>> data;
  std::vector<MatrixView> mats;
  for (const auto& [rows, cols] : shapes) data.push_back(gaussian_matrix(rows, cols, 300 + rows));
  for (size_t i = 0; i < shapes.size(); ++i) mats.push_back(f32_view(data[i], shapes[i].first, shapes[i].second));
  std::vector<int> seen(mats.size(), 0);
  const std::vector<double> pooled = ws::pooled_eigenpairs(mats, pool, [&](size_t i, const ws::Eigenpairs& p) {
    ++seen[i];
    CHECK(p.m == ws::spectrum::gram_size(mats[i]));
  });
  CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  CHECK(pooled == ws::pooled_eigenvalues(mats, pool));
}

TEST_CASE("divide and conquer on a non-finite tridiagonal matrix returns NaN, not garbage or a crash",
          "[eigenvectors]") {
  ws::ThreadPool pool(2);
  Tridiagonal t{std::vector<double>(50, 1.0), std::vector<double>(49, 0.5)};
  t.e[20] = std::numeric_limits<double>::infinity();
  std::vector<double> lambda;
  const std::vector<double> z = solve(t, lambda, pool);
  CHECK(std::all_of(lambda.begin(), lambda.end(), [](double x) { return std::isnan(x); }));
  CHECK(std::all_of(z.begin(), z.end(), [](double x) { return std::isnan(x); }));
}
