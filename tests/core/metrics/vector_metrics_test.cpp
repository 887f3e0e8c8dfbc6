// Eigenvector metrics against values worked out by hand: a vector planted on k coordinates (on its
// own and as the top eigenvector of a layer), a Gaussian layer's delocalized eigenvectors (the
// random-unit-vector participation ratio), the entropy's histogram, and the bulk/tail columns.
#include "metrics/vector_metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "spectrum/eigenvectors.h"
#include "support/test_model_builder.h"

namespace {

constexpr double kEps = 1e-10;  // the constant discrete_entropy adds to every bin's density

// -sum p ln p of densities (bins of one width) after adding kEps to each and normalizing.
double entropy_of_densities(const std::vector<double>& density) {
  double total = 0;
  for (double d : density) total += d + kEps;
  double h = 0;
  for (double d : density) {
    const double p = (d + kEps) / total;
    h -= p * std::log(p);
  }
  return h;
}

// A 100-bin density histogram with `count` values in the given bins out of n, bin width w.
std::vector<double> densities(const std::vector<std::pair<int, double>>& count, double n, double w) {
  std::vector<double> d(100, 0.0);
  for (const auto& [bin, c] : count) d[bin] = c / (n * w);
  return d;
}

}  // namespace

TEST_CASE("vector metrics of a vector with a few nonzero entries, by hand", "[vectors]") {
  // v = (2, -5, 0, 0, 11): ||v||_1 = 18, ||v||_inf = 11, ||v||_2 = sqrt(150), ||v||_4 = 15282^(1/4).
  const std::vector<double> v = {2, -5, 0, 0, 11};
  const ws::VectorMetrics m = ws::vector_metrics(v.data(), 5);
  CHECK(m.loc_ratio == Approx(18.0 / 11.0).epsilon(1e-15));
  CHECK(m.part_ratio == Approx(std::sqrt(150.0) / std::pow(15282.0, 0.25)).epsilon(1e-15));
  // |v| - mean spans 11 in 100 bins of 0.11, its values at offsets |v_i| from the minimum:
  // 0 -> bin 0 (two), 2 -> bin 18, 5 -> bin 45, 11 -> the closed last bin 99.
  CHECK(m.vec_entropy ==
        Approx(entropy_of_densities(densities({{0, 2}, {18, 1}, {45, 1}, {99, 1}}, 5, 0.11))).epsilon(1e-12));
}

TEST_CASE("vector entropy of the shortest vectors, as the reference gets it", "[vectors]") {
  // Length 1: all values equal, numpy widens the range to +-0.5, the value lands in bin 50.
  const double one = 1.0;
  const double h1 = ws::vector_metrics(&one, 1).vec_entropy;
  // (-p ln p of p = 1 - 1e-12 carries the rounding of ln near 1: ~1e-16 of 2.8e-9.)
  CHECK(h1 == Approx(entropy_of_densities(densities({{50, 1}}, 1, 0.01))).epsilon(1e-6));
  CHECK(h1 == Approx(2.834472e-09).epsilon(1e-6));  // the reference's value for 1 x 1 conv slices
  // Length 3, three distinct magnitudes: three bins of one count each, entropy ln 3 up to epsilon.
  const std::vector<double> v = {1, -2, 4};
  CHECK(ws::vector_metrics(v.data(), 3).vec_entropy == Approx(std::log(3.0)).epsilon(1e-8));
}

TEST_CASE("an eigenvector planted on k coordinates has localization ratio k", "[vectors]") {
  // X = U diag(lambda) U^T with U = I - 2 w w^T / w^T w, w = e_1 - u: U's first column is the unit
  // vector u planted on 4 of 50 coordinates with entries +-1/2; lambda = 100 for it, 1..2 for the rest.
  // W = [diag(sqrt lambda) U^T; 0] (60 x 50, float64) has W^T W = X.
  const int64_t m = 50, rows = 60;
  std::vector<double> u(m, 0.0);
  for (int64_t i : {3, 10, 17, 40}) u[i] = i == 10 ? -0.5 : 0.5;
  std::vector<double> w_hh(u);
  for (double& x : w_hh) x = -x;
  w_hh[0] += 1.0;
  double ww = 0;
  for (double x : w_hh) ww += x * x;
  std::vector<double> lambda(m);
  for (int64_t i = 0; i < m; ++i) lambda[i] = i == 0 ? 100.0 : 1.0 + double(i) / m;
  std::vector<double> w(static_cast<size_t>(rows * m), 0.0);
  for (int64_t r = 0; r < m; ++r)    // row r of diag(sqrt lambda) U^T = sqrt(lambda_r) times column r of U
    for (int64_t c = 0; c < m; ++c) {
      const double urc = (c == r ? 1.0 : 0.0) - 2 * w_hh[c] * w_hh[r] / ww;  // U(c, r), U symmetric
      w[r * m + c] = std::sqrt(lambda[r]) * urc;
    }
  const ws::MatrixView v{reinterpret_cast<const uint8_t*>(w.data()), ws::Dtype::F64, rows, m, m, 1, 1.0f};
  ws::ThreadPool pool(2);
  const ws::Eigenpairs p = ws::matrix_eigenpairs(v, pool);
  const ws::VectorMetrics top = ws::vector_metrics(p.vectors.data() + (m - 1) * m, m);
  CHECK(p.values.back() == Approx(100.0).epsilon(1e-13));
  CHECK(top.loc_ratio == Approx(4.0).epsilon(1e-12));             // 4 * (1/2) / (1/2)
  CHECK(top.part_ratio == Approx(std::sqrt(2.0)).epsilon(1e-12));  // (4 / 16)^(-1/4)
  // |v| - mean: 46 values at -0.04 (bin 0) and 4 at 0.46 (bin 99), bins 0.005 wide.
  CHECK(top.vec_entropy == Approx(entropy_of_densities(densities({{0, 46}, {99, 4}}, 50, 0.005))).epsilon(1e-10));
}

TEST_CASE("a Gaussian layer's eigenvectors are delocalized: participation ratio of a random unit vector",
          "[vectors]") {
  // W^T W for Gaussian W is invariant under W -> W Q, so its eigenvectors are uniform on the unit
  // sphere of R^m. For such v, E[v_i^4] = 3 / (m (m + 2)) (v = g / |g|, g Gaussian), so
  // E[sum v_i^4] = 3 / (m + 2) and the participation ratio (sum v_i^4)^(-1/4) is about
  // ((m + 2) / 3)^(1/4). The spread of sum g_i^4 / (sum g_i^2)^2 is sqrt(96 m) / (3 m) relative
  // (Var g^4 = 105 - 9); over m vectors its mean is known to ~3.3 / m.
  const int64_t rows = 600, m = 300;
  const std::vector<float> w = wstest::gaussian(static_cast<size_t>(rows * m), 4242);
  const ws::MatrixView v{reinterpret_cast<const uint8_t*>(w.data()), ws::Dtype::F32, rows, m, m, 1, 1.0f};
  ws::ThreadPool pool(2);
  const ws::Eigenpairs p = ws::matrix_eigenpairs(v, pool);
  const auto metrics = ws::eigenvector_metrics(p.values, p.vectors.data(), m);
  const double expected = std::pow((m + 2) / 3.0, 0.25);
  double mean_fourth = 0, lowest = 1e300;
  for (const auto& [value, vm] : metrics) {
    mean_fourth += std::pow(vm.part_ratio, -4.0) / m;
    lowest = std::min(lowest, vm.part_ratio);
  }
  INFO("mean sum v^4 " << mean_fourth << " vs 3/(m+2) " << 3.0 / (m + 2) << ", lowest part_ratio " << lowest
                       << " vs " << expected);
  CHECK(mean_fourth == Approx(3.0 / (m + 2)).epsilon(0.05));  // 4.5 standard deviations
  CHECK(lowest >= 0.75 * expected);  // no localized vector (5 per-vector deviations of ~4.7%)
}

TEST_CASE("bulk and tail columns: numpy's mean and population variance on each side of the split", "[vectors]") {
  std::vector<ws::VectorMetrics> v;
  for (double x : {1.0, 2.0, 4.0, 10.0, 20.0}) v.push_back({x, x / 10, -x});
  const auto cols = ws::vector_columns(v, 2);
  REQUIRE(cols.size() == 12);
  auto get = [&](const std::string& key) {
    for (const auto& [k, value] : cols)
      if (k == key) return value;
    FAIL("no column " << key);
    return 0.0;
  };
  CHECK(get("bulk_mean_loc_ratio") == Approx(7.0 / 3));
  CHECK(get("bulk_var_loc_ratio") == Approx(((1 - 7.0 / 3) * (1 - 7.0 / 3) + (2 - 7.0 / 3) * (2 - 7.0 / 3) +
                                             (4 - 7.0 / 3) * (4 - 7.0 / 3)) / 3));
  CHECK(get("tail_mean_loc_ratio") == Approx(15.0));
  CHECK(get("tail_var_loc_ratio") == Approx(25.0));
  CHECK(get("tail_mean_part_ratio") == Approx(1.5));
  CHECK(get("tail_var_vec_entropy") == Approx(25.0));
  CHECK(std::isnan(ws::vector_columns(v, 0)[2].second));  // tail_mean_vec_entropy of an empty tail
  CHECK(std::isnan(ws::vector_columns(v, 5)[0].second));  // bulk_mean_vec_entropy of an empty bulk
}

TEST_CASE("vector metrics of a non-finite vector are NaN", "[vectors]") {
  const std::vector<double> v = {1, std::nan(""), 2};
  const ws::VectorMetrics m = ws::vector_metrics(v.data(), 3);
  CHECK(std::isnan(m.loc_ratio));
  CHECK(std::isnan(m.part_ratio));
  CHECK(std::isnan(m.vec_entropy));
}
