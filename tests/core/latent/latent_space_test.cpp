// The latent space (LSA): planted low-rank matrices, exact and with noise (Wedin's bound), and the
// shared TF-IDF matrix against its reference (K) and against an independent SVD (Eigen's BDCSVD).
#include "latent/latent_space.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "analysis/analysis.h"
#include "formats/npy.h"
#include "io/input_error.h"
#include "support/test_data.h"
#include "support/test_model_builder.h"

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

Eigen::MatrixXd gaussian(int64_t rows, int64_t cols, uint64_t seed) {
  const std::vector<float> g = wstest::gaussian(static_cast<size_t>(rows * cols), seed);
  Eigen::MatrixXd m(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m(r, c) = g[r * cols + c];
  return m;
}

Eigen::MatrixXd orthonormal(int64_t rows, int64_t k, uint64_t seed) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(gaussian(rows, k, seed));
  return qr.householderQ() * Eigen::MatrixXd::Identity(rows, k);
}

// M row-major in double, viewed as the core views a float64 .npy.
struct Dense {
  std::vector<double> data;
  int64_t rows, cols;
  explicit Dense(const Eigen::MatrixXd& m) : data(static_cast<size_t>(m.size())), rows(m.rows()), cols(m.cols()) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) data[r * cols + c] = m(r, c);
  }
  ws::MatrixView view() const {
    return {reinterpret_cast<const uint8_t*>(data.data()), ws::Dtype::F64, rows, cols, cols, 1, 1.0f};
  }
};

Eigen::MatrixXd components_of(const ws::LatentSpace& ls) {
  Eigen::MatrixXd v(ls.cols, ls.k);
  for (int64_t c = 0; c < ls.cols; ++c)
    for (int64_t j = 0; j < ls.k; ++j) v(c, j) = ls.components[c * ls.k + j];
  return v;
}

// sin of the largest principal angle between the column spans of orthonormal a and b.
double sin_largest_angle(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  const Eigen::MatrixXd residual = a - b * (b.transpose() * a);
  return Eigen::JacobiSVD<Eigen::MatrixXd>(residual).singularValues()(0);
}

// The export's own consistency: orthonormal components, each with its largest entry positive,
// and coordinates = M V_K.
void check_export(const Eigen::MatrixXd& m, const ws::LatentSpace& ls) {
  const Eigen::MatrixXd v = components_of(ls);
  CHECK((v.transpose() * v - Eigen::MatrixXd::Identity(ls.k, ls.k)).cwiseAbs().maxCoeff() <= 1e-12);
  for (int64_t j = 0; j < ls.k; ++j) {
    Eigen::Index big;
    v.col(j).cwiseAbs().maxCoeff(&big);
    CHECK(v(big, j) > 0);
  }
  const Eigen::MatrixXd coords = m * v;
  double worst = 0;
  for (int64_t r = 0; r < ls.rows; ++r)
    for (int64_t j = 0; j < ls.k; ++j) worst = std::max(worst, std::abs(coords(r, j) - ls.coordinates[r * ls.k + j]));
  CHECK(worst <= 1e-12 * ls.singular_values[0]);
}

}  // namespace

TEST_CASE("latent space of a planted rank-k matrix: its right singular subspace, exactly", "[latent]") {
  ws::ThreadPool pool(2);
  const std::vector<double> s = {10, 8, 6, 5, 4};
  const int64_t k = 5;
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{200, 80}, {60, 150}}) {  // tall and wide
    INFO(rows << " x " << cols);
    const Eigen::MatrixXd a = orthonormal(rows, k, 11), b = orthonormal(cols, k, 12);
    const Eigen::MatrixXd m = a * Eigen::Map<const Eigen::VectorXd>(s.data(), k).asDiagonal() * b.transpose();
    const Dense d(m);
    const ws::LatentSpace ls = ws::latent_space(d.view(), k, pool);
    REQUIRE(ls.k == k);
    for (int64_t j = 0; j < k; ++j) CHECK(ls.singular_values[j] == Approx(s[j]).epsilon(1e-12));
    const double angle = sin_largest_angle(components_of(ls), b);
    INFO("sin of the largest principal angle " << angle);
    CHECK(angle <= 1e-8);
    check_export(m, ls);
  }
}

TEST_CASE("latent space of a planted rank-k matrix plus noise: within Wedin's bound", "[latent]") {
  // Wedin: for M = M0 + E with M0 of rank k, sin Theta(V_k(M), V_k(M0)) <= ||E||_2 / sigma_k(M).
  ws::ThreadPool pool(2);
  const int64_t rows = 300, cols = 120, k = 4;
  const Eigen::MatrixXd a = orthonormal(rows, k, 21), b = orthonormal(cols, k, 22);
  const Eigen::Vector4d s(12, 9, 7, 6);
  const Eigen::MatrixXd e = 0.03 * gaussian(rows, cols, 23);
  const Eigen::MatrixXd m = a * s.asDiagonal() * b.transpose() + e;
  const Dense d(m);
  const ws::LatentSpace ls = ws::latent_space(d.view(), k, pool);
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinV);
  const double e_norm = Eigen::BDCSVD<Eigen::MatrixXd>(e).singularValues()(0);
  const double bound = e_norm / svd.singularValues()(k - 1);
  const double angle = sin_largest_angle(components_of(ls), b);
  INFO("sin angle to the planted subspace " << angle << ", Wedin bound " << bound);
  CHECK(bound < 0.2);  // a bound that says something
  CHECK(angle <= bound);
  CHECK(angle > 0);
  // And the same subspace an independent SVD finds (gap sigma_4 - sigma_5 is large here).
  CHECK(sin_largest_angle(components_of(ls), svd.matrixV().leftCols(k)) <= 1e-10);
  for (int64_t j = 0; j < k; ++j) CHECK(ls.singular_values[j] == Approx(svd.singularValues()(j)).epsilon(1e-12));
  check_export(m, ls);
}

TEST_CASE("latent space: K outside 1 .. rank is an input error", "[latent]") {
  ws::ThreadPool pool(2);
  const Dense d(orthonormal(30, 3, 5) * orthonormal(20, 3, 6).transpose());  // rank 3
  CHECK_THROWS_AS(ws::latent_space(d.view(), 0, pool), ws::InputError);
  CHECK_THROWS_AS(ws::latent_space(d.view(), 4, pool), ws::InputError);
  CHECK_NOTHROW(ws::latent_space(d.view(), 3, pool));
}

TEST_CASE("latent space of the shared TF-IDF matrix: K and the subspace of an independent SVD", "[latent][reference]") {
  const std::string path = ws_test::test_data("fixtures/lsa_debian_3k.npy");
  if (!std::filesystem::exists(path)) {
    WARN("skipped: " << path << " is not there (see tests/data/README.md)");
    return;
  }
  std::ifstream f(ws_test::test_data("reference/lsa_debian_3k_shared.json"));
  REQUIRE(f.good());
  const nlohmann::json ref = nlohmann::json::parse(f);
  ws::Analysis analysis(ws::open_model_paths({path}), ws::AnalyzeOptions{});
  while (!analysis.done()) analysis.step();
  const nlohmann::json report = analysis.report();
  const int64_t k = ref["wwfit"]["K"];
  REQUIRE(report["summary"]["latent_rank_K"] == k);

  ws::ModelInput model = ws::open_model_paths({path});
  ws::ThreadPool pool(2);
  const ws::LatentSpace ls = ws::layer_latent_space(model, ws::latent_layer(report, ""), pool);
  REQUIRE(ls.rows == 3000);
  REQUIRE(ls.cols == 1200);
  REQUIRE(ls.k == k);
  const std::vector<double> evals = ref["eigenvalues"]["values"];  // ascending
  for (int64_t j = 0; j < k; ++j)
    CHECK(ls.singular_values[j] * ls.singular_values[j] == Approx(evals[evals.size() - 1 - j]).epsilon(1e-9));

  const std::vector<uint8_t> bytes = ws::read_tensor(model, model.tensors.at(0));
  Eigen::MatrixXd m(ls.rows, ls.cols);
  for (int64_t r = 0; r < ls.rows; ++r)
    for (int64_t c = 0; c < ls.cols; ++c) m(r, c) = ws::decode_element(bytes.data(), model.tensors[0].dtype, r * ls.cols + c);
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinV);
  // Davis-Kahan: the Gram route's backward error (~ m eps lambda_max) over the gap at K.
  const double lambda_max = evals.back(), gap = evals[evals.size() - k] - evals[evals.size() - k - 1];
  const double bound = 10 * double(ls.cols) * kEps * lambda_max / gap;
  const double angle = sin_largest_angle(components_of(ls), svd.matrixV().leftCols(k));
  INFO("sin angle to BDCSVD's V_K " << angle << ", bound " << bound << " (gap " << gap << ")");
  CHECK(angle <= bound);
  check_export(m, ls);

  // The export as the CLI writes it: float64 C-order .npy, cols x K and rows x K.
  const std::string file = ws::npy_float64(ls.components, ls.cols, ls.k);
  auto src = ws::memory_source(std::vector<uint8_t>(file.begin(), file.end()), "lsa_components.npy");
  const ws::TensorInfo t = ws::parse_npy(*src);
  CHECK(t.shape == std::vector<uint64_t>{1200, static_cast<uint64_t>(k)});
  CHECK(t.dtype == ws::Dtype::F64);
}
