// The r x r route for dW = s B A against the squared singular values of the formed product.
#include <catch2/catch.hpp>

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include "spectrum/low_rank_eigenvalues.h"
#include "support/test_model_builder.h"

namespace {

struct Factor {
  std::vector<double> values;
  int64_t rows, cols;
  ws::MatrixView view() const {
    ws::MatrixView v;
    v.data = reinterpret_cast<const uint8_t*>(values.data());
    v.dtype = ws::Dtype::F64;
    v.rows = rows;
    v.cols = cols;
    v.row_stride = cols;
    return v;
  }
  Eigen::MatrixXd dense() const {
    return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values.data(), rows, cols);
  }
};

Factor random_factor(int64_t rows, int64_t cols, uint64_t seed) {
  const std::vector<float> g = wstest::gaussian(static_cast<size_t>(rows * cols), seed);
  return {std::vector<double>(g.begin(), g.end()), rows, cols};
}

// All min(out, in) squared singular values of s B A, ascending (the test's reference only).
std::vector<double> full_svd_evals(const Factor& b, const Factor& a, double s) {
  const Eigen::MatrixXd w = s * (b.dense() * a.dense());
  const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(w).singularValues();
  std::vector<double> ev;
  for (Eigen::Index i = 0; i < sv.size(); ++i) ev.push_back(sv[i] * sv[i]);
  std::sort(ev.begin(), ev.end());
  return ev;
}

}  // namespace

TEST_CASE("a rank-r update has exactly r nonzero eigenvalues, the full SVD's top r squares", "[lora]") {
  const int64_t r = 7, in = 53, out = 41;
  const Factor a = random_factor(r, in, 11), b = random_factor(out, r, 12);
  const double s = 2.5;
  const std::vector<double> low = ws::low_rank_eigenvalues(b.view(), a.view(), s);
  const std::vector<double> full = full_svd_evals(b, a, s);
  REQUIRE(low.size() == static_cast<size_t>(r));
  REQUIRE(full.size() == static_cast<size_t>(out));
  const double top = full.back();
  for (size_t i = 0; i + r < full.size(); ++i) CHECK(full[i] < 1e-12 * top);  // the other out - r are zero
  for (int64_t i = 0; i < r; ++i) {
    CHECK(low[i] > 1e-6 * top);
    CHECK(low[i] == Approx(full[full.size() - r + i]).epsilon(1e-11));
  }
  CHECK(std::is_sorted(low.begin(), low.end()));
}

TEST_CASE("dependent rows of A (no Cholesky factor) and r above min(in, out)", "[lora]") {
  // A's last row repeats its first: rank r - 1, A A^T singular.
  const int64_t r = 6, in = 30, out = 25;
  Factor a = random_factor(r, in, 21);
  std::copy(a.values.begin(), a.values.begin() + in, a.values.end() - in);
  const Factor b = random_factor(out, r, 22);
  const std::vector<double> low = ws::low_rank_eigenvalues(b.view(), a.view(), 1.0);
  const std::vector<double> full = full_svd_evals(b, a, 1.0);
  REQUIRE(low.size() == static_cast<size_t>(r));
  CHECK(low[0] < 1e-12 * full.back());
  for (int64_t i = 1; i < r; ++i) CHECK(low[i] == Approx(full[full.size() - r + i]).epsilon(1e-10));

  // r = 12 > in = 5: at most 5 nonzero eigenvalues, the 5 returned.
  const Factor wide_a = random_factor(12, 5, 23), wide_b = random_factor(9, 12, 24);
  const std::vector<double> w = ws::low_rank_eigenvalues(wide_b.view(), wide_a.view(), 0.5);
  const std::vector<double> wf = full_svd_evals(wide_b, wide_a, 0.5);
  REQUIRE(w.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(w[i] == Approx(wf[i]).epsilon(1e-10));
}
