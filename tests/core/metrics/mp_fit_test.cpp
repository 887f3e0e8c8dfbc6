// Marchenko-Pastur fit: the reference tool's values on its own eigenvalue lists and on every
// fixture layer, random-matrix closed forms, and speed.
#include "metrics/mp_fit.h"

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>

#include "support/metrics_reference.h"
#include "support/test_model_builder.h"
#include "support/test_data.h"
#include "support/test_pool.h"

namespace {

bool rel_close(double a, double b, double rel) { return std::abs(a - b) <= rel * std::abs(b); }

// Eigenvalues of W^T W (ascending) for W = rows x cols given row-major.
std::vector<double> gram_eigenvalues(const Eigen::MatrixXd& w) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(w.transpose() * w, Eigen::EigenvaluesOnly);
  std::vector<double> ev(es.eigenvalues().data(), es.eigenvalues().data() + es.eigenvalues().size());
  for (double& v : ev) v = std::max(v, 0.0);
  return ev;
}

Eigen::MatrixXd gaussian_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  const std::vector<float> g = wstest::gaussian(static_cast<size_t>(rows * cols), seed);
  Eigen::MatrixXd w(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) w(r, c) = g[static_cast<size_t>(r * cols + c)];
  return w;
}

Eigen::VectorXd unit_vector(int64_t n, uint64_t seed) {
  const std::vector<float> g = wstest::gaussian(static_cast<size_t>(n), seed);
  Eigen::VectorXd v(n);
  for (int64_t i = 0; i < n; ++i) v(i) = g[static_cast<size_t>(i)];
  return v.normalized();
}

}  // namespace

TEST_CASE("MP fit equals the reference on its own eigenvalue lists", "[metrics]") {
  for (const std::string& file : wsmetrics::evals_files()) {
    INFO("evals " << file);
    const nlohmann::json e = wsmetrics::load_json(ws_test::test_data("reference/" + file + "_evals.json"));
    const std::vector<double> evals = e["evals"];
    const nlohmann::json r = wsmetrics::reference_layers(wsmetrics::reference(e["model"]), "mp_fit").at(e["layer"]);
    const int64_t N = r["N"], M = r["M"];
    const ws::MpFit mp = ws::fit_marchenko_pastur(evals, static_cast<double>(N) / M, M, ws_test::test_pool());
    REQUIRE(mp.ok);
    CHECK(mp.num_spikes == r["num_spikes"].get<int64_t>());
    CHECK(rel_close(mp.sigma_mp, r["sigma_mp"], 1e-9));
    CHECK(rel_close(mp.W_scale, r["W_scale"], 1e-9));
    CHECK(rel_close(mp.bulk_max, r["bulk_max"], 1e-9));
    CHECK(std::abs(mp.bulk_min - r["bulk_min"].get<double>()) <= 1e-9 * mp.bulk_max);  // 0 when Q == 1
    CHECK(rel_close(mp.mp_softrank, r["mp_softrank"], 1e-9));
  }
}

TEST_CASE("MP fit of every fixture layer matches the reference", "[metrics]") {
  for (const std::string& model : wsmetrics::fixture_models()) {
    INFO("model " << model);
    const auto ref = wsmetrics::reference_layers(wsmetrics::reference(model), "mp_fit");
    size_t spikes_within_1 = 0, spikes_equal = 0, total = 0;
    for (const auto& l : wsmetrics::fixture_spectra(model)) {
      INFO("layer " << l.name);
      const auto& r = ref.at(l.name);
      const ws::MpFit mp = ws::fit_marchenko_pastur(l.evals, static_cast<double>(l.plan.N) / l.plan.M, l.plan.M, ws_test::test_pool());
      REQUIRE(mp.ok);
      ++total;
      const int64_t diff = std::abs(mp.num_spikes - r["num_spikes"].get<int64_t>());
      spikes_within_1 += diff <= 1;
      spikes_equal += diff == 0;
      CHECK(rel_close(mp.sigma_mp, r["sigma_mp"], 1e-3));
      CHECK(rel_close(mp.bulk_max, r["bulk_max"], 2e-3));
      CHECK(rel_close(mp.mp_softrank, r["mp_softrank"], 2e-3));
    }
    REQUIRE(total == ref.size());
    CHECK(spikes_within_1 >= (total * 9 + 9) / 10);
    WARN(model << ": num_spikes equal in " << spikes_equal << "/" << total << ", within 1 in " << spikes_within_1);
  }
}

TEST_CASE("MP fit of a Gaussian matrix: no spikes, sigma 1, bulk edges at theory", "[metrics]") {
  // W: 2000 x 500, N(0, 1) entries. On the reference's mean-1 scale the ESD of W^T W is MP with
  // sigma = 1 and Q = 4: bulk [(1 - 1/2)^2, (1 + 1/2)^2] = [0.25, 2.25] x mean eigenvalue.
  const int64_t N = 2000, M = 500;
  const std::vector<double> ev = gram_eigenvalues(gaussian_matrix(N, M, 17));
  const ws::MpFit mp = ws::fit_marchenko_pastur(ev, 4.0, M, ws_test::test_pool());
  REQUIRE(mp.ok);
  CHECK(mp.num_spikes == 0);
  CHECK(mp.sigma_mp == Approx(1.0).epsilon(0.02));
  double mean = 0;
  for (double v : ev) mean += v / static_cast<double>(ev.size());
  CHECK(mp.bulk_max == Approx(2.25 * mean).epsilon(0.02));
  CHECK(mp.bulk_min == Approx(0.25 * mean).epsilon(0.02));
  CHECK(mp.W_scale == Approx(1 / std::sqrt(mean)).epsilon(1e-12));
  CHECK(mp.mp_softrank == Approx(mp.bulk_max / ev.back()).epsilon(1e-12));
}

TEST_CASE("MP fit counts k strong rank-one spikes", "[metrics]") {
  // X = W / sqrt(N) + sum theta_i u_i v_i^T: a rank-one perturbation of strength theta above
  // (M/N)^(1/4) ~ 0.71 pops out of the bulk at sqrt((1 + theta^2)(M/N + theta^2)) / theta.
  const int64_t N = 2000, M = 500;
  Eigen::MatrixXd w = gaussian_matrix(N, M, 23) / std::sqrt(static_cast<double>(N));
  const double theta[] = {3.0, 4.5, 6.0};
  for (int k = 0; k < 3; ++k) w += theta[k] * unit_vector(N, 100 + k) * unit_vector(M, 200 + k).transpose();
  const std::vector<double> ev = gram_eigenvalues(w);
  const ws::MpFit mp = ws::fit_marchenko_pastur(ev, 4.0, M, ws_test::test_pool());
  REQUIRE(mp.ok);
  CHECK(mp.num_spikes == 3);
  CHECK(ev[ev.size() - 4] < mp.bulk_max * 1.1);  // the 4th largest is bulk
  CHECK(ev[ev.size() - 3] > 2 * mp.bulk_max);
}

TEST_CASE("MP fit of a square Gaussian matrix uses the quarter-circle law", "[metrics]") {
  // Q = 1: singular values of the mean-1 rescaled W follow (1 / pi) sqrt(4 - x^2) on [0, 2].
  const int64_t N = 600;
  const std::vector<double> ev = gram_eigenvalues(gaussian_matrix(N, N, 5));
  const ws::MpFit mp = ws::fit_marchenko_pastur(ev, 1.0, N, ws_test::test_pool());
  REQUIRE(mp.ok);
  CHECK(mp.sigma_mp == Approx(1.0).epsilon(0.03));
  CHECK(mp.num_spikes == 0);
  CHECK(mp.bulk_min == 0.0);
}

TEST_CASE("marchenko_pastur_pdf is a density on [a, b]", "[metrics]") {
  for (double Q : {1.5, 4.0, 20.0}) {
    const double sigma = 0.8;
    const double a = std::pow(sigma * (1 - 1 / std::sqrt(Q)), 2), b = std::pow(sigma * (1 + 1 / std::sqrt(Q)), 2);
    CHECK(ws::marchenko_pastur_pdf(a * 0.99, Q, sigma) == 0.0);
    CHECK(ws::marchenko_pastur_pdf(b * 1.01, Q, sigma) == 0.0);
    // Midpoint rule in t with x = a + (b - a)(1 - cos t) / 2, which removes the edge singularities.
    const int n = 20000;
    double integral = 0;
    for (int i = 0; i < n; ++i) {
      const double t = M_PI * (i + 0.5) / n;
      const double x = a + (b - a) * (1 - std::cos(t)) / 2;
      integral += ws::marchenko_pastur_pdf(x, Q, sigma) * (b - a) * std::sin(t) / 2 * (M_PI / n);
    }
    CHECK(integral == Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("MP fit takes milliseconds for 4096 eigenvalues", "[metrics]") {
  const std::vector<double> ev = gram_eigenvalues(gaussian_matrix(8192, 4096 / 8, 3));  // 512 evals
  std::vector<double> big;
  for (int rep = 0; rep < 8; ++rep) big.insert(big.end(), ev.begin(), ev.end());  // 4096 evals
  std::sort(big.begin(), big.end());
  const auto start = std::chrono::steady_clock::now();
  const ws::MpFit mp = ws::fit_marchenko_pastur(big, 16.0, 4096, ws_test::test_pool());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(mp.ok);
  WARN("MP fit of 4096 eigenvalues: " << ms << " ms");
  CHECK(ms < 500);  // generous: ~5 ms here, shared CI cores
}

TEST_CASE("MP fit rejects empty or degenerate spectra", "[metrics]") {
  CHECK_FALSE(ws::fit_marchenko_pastur({}, 2.0, 10, ws_test::test_pool()).ok);
  CHECK_FALSE(ws::fit_marchenko_pastur(std::vector<double>(20, 0.0), 2.0, 10, ws_test::test_pool()).ok);
  CHECK_FALSE(ws::fit_marchenko_pastur({1.0, 2.0}, 0.5, 10, ws_test::test_pool()).ok);  // Q < 1: N and M swapped
}

TEST_CASE("MP fit: pools of 1, 2 and 4 threads give the same bits on every fixture layer", "[metrics]") {
  ws::ThreadPool one(1), two(2), four(4);
  for (const auto& l : wsmetrics::fixture_spectra("ppocrv4_rec")) {
    INFO("layer " << l.name);
    const double Q = static_cast<double>(l.plan.N) / l.plan.M;
    const ws::MpFit serial = ws::fit_marchenko_pastur(l.evals, Q, l.plan.M, one);
    for (ws::ThreadPool* pool : {&two, &four}) {
      const ws::MpFit mp = ws::fit_marchenko_pastur(l.evals, Q, l.plan.M, *pool);
      CHECK(mp.ok == serial.ok);
      CHECK(std::memcmp(&mp.sigma_mp, &serial.sigma_mp, sizeof(double)) == 0);
      CHECK(std::memcmp(&mp.bulk_max, &serial.bulk_max, sizeof(double)) == 0);
      CHECK(mp.num_spikes == serial.num_spikes);
    }
  }
}
