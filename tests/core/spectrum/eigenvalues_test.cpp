#include "spectrum/eigenvalues.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spectrum/tridiagonal.h"
#include "support/test_model_builder.h"
#include "support/test_data.h"

using ws::Dtype;
using ws::MatrixView;

namespace {


// A tensor's raw bytes straight from a safetensors file: a deliberately independent reader, so
// this test checks the spectrum engine alone, not the formats code.
struct RawTensor {
  Dtype dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

RawTensor read_raw_tensor(const std::string& path, const std::string& name) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  uint64_t hlen;
  std::memcpy(&hlen, file.data(), 8);
  const auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + hlen);
  const auto& t = header.at(name);
  const auto dt = t.at("dtype").get<std::string>();
  REQUIRE((dt == "F32" || dt == "F16" || dt == "BF16"));
  RawTensor r{dt == "F32" ? Dtype::F32 : dt == "F16" ? Dtype::F16 : Dtype::BF16,
              t.at("shape").get<std::vector<int64_t>>(), {}};
  const auto b = 8 + hlen + t.at("data_offsets")[0].get<uint64_t>();
  const auto e = 8 + hlen + t.at("data_offsets")[1].get<uint64_t>();
  r.bytes.assign(file.begin() + b, file.begin() + e);
  return r;
}

// The views layer_matrices builds: dense [out, in] as is; conv OIHW as kh*kw slices of O x I,
// scaled by float32(sqrt(1/2)) (weightwatcher's conv2d_norm with pooling).
std::vector<MatrixView> views_of(const RawTensor& t) {
  std::vector<MatrixView> v;
  if (t.shape.size() == 2) {
    v.push_back({t.bytes.data(), t.dtype, t.shape[0], t.shape[1], t.shape[1], 1, 1.0f});
    return v;
  }
  const int64_t o = t.shape[0], in = t.shape[1], kh = t.shape[2], kw = t.shape[3];
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j) {
      MatrixView m{t.bytes.data(), t.dtype, o, in, in * kh * kw, kh * kw, static_cast<float>(std::sqrt(0.5))};
      m.data += (i * kw + j) * (t.dtype == Dtype::F32 ? 4 : 2);
      v.push_back(m);
    }
  return v;
}

// W = Q1 diag(s) Q2^T with Householder reflections Q = I - 2 u u^T / u^T u, in double.
std::vector<double> with_singular_values(int64_t rows, int64_t cols, const std::vector<double>& s, uint64_t seed) {
  std::vector<double> w(static_cast<size_t>(rows * cols), 0.0);
  for (size_t k = 0; k < s.size(); ++k) w[k * cols + k] = s[k];
  const auto u = wstest::gaussian(static_cast<size_t>(rows), seed);
  const auto v = wstest::gaussian(static_cast<size_t>(cols), seed + 1);
  double uu = 0, vv = 0;
  for (float x : u) uu += double(x) * x;
  for (float x : v) vv += double(x) * x;
  for (int64_t c = 0; c < cols; ++c) {  // left: (I - 2uu^T/uu) W
    double d = 0;
    for (int64_t r = 0; r < rows; ++r) d += u[r] * w[r * cols + c];
    for (int64_t r = 0; r < rows; ++r) w[r * cols + c] -= 2 * d / uu * u[r];
  }
  for (int64_t r = 0; r < rows; ++r) {  // right: W (I - 2vv^T/vv)
    double d = 0;
    for (int64_t c = 0; c < cols; ++c) d += w[r * cols + c] * v[c];
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] -= 2 * d / vv * v[c];
  }
  return w;
}

MatrixView f64_view(const std::vector<double>& w, int64_t rows, int64_t cols) {
  return {reinterpret_cast<const uint8_t*>(w.data()), Dtype::F64, rows, cols, cols, 1, 1.0f};
}

}  // namespace

TEST_CASE("eigenvalues match the reference float64 SVD on real layers to 1e-9", "[spectrum]") {
  ws::ThreadPool pool(2);
  for (const char* ref : {"nsfwjs_mobilenet_v2_dense_1", "nsfwjs_mobilenet_v2_bf16_dense_1",
                          "nsfwjs_mobilenet_v2_f16_dense_1", "nsfwjs_mobilenet_v2_block_16_project",
                          "ppocrv4_rec_conv2d_180", "ppocrv4_rec_linear_77", "ppocrv4_rec_linear_85"}) {
    std::ifstream f(ws_test::test_data(std::string("reference/") + ref + "_evals.json"));
    REQUIRE(f.good());
    const auto j = nlohmann::json::parse(f);
    const auto expected = j.at("evals").get<std::vector<double>>();
    const auto tensor = read_raw_tensor(ws_test::test_data("fixtures/" + j.at("model").get<std::string>() + ".safetensors"),
                                        j.at("tensor").get<std::string>());
    const auto got = ws::pooled_eigenvalues(views_of(tensor), pool);
    INFO(ref);
    REQUIRE(got.size() == expected.size());
    const double lmax = expected.back();
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      REQUIRE(got[i] >= 0.0);
      if (expected[i] > 1e-6 * lmax) worst = std::max(worst, std::abs(got[i] - expected[i]) / expected[i]);
      else REQUIRE(got[i] <= 2e-6 * lmax);  // below the threshold only the magnitude must agree
    }
    INFO("worst relative error " << worst);
    REQUIRE(worst <= 1e-9);
  }
}

TEST_CASE("Gaussian matrix spectrum follows Marchenko-Pastur", "[spectrum]") {
  // W: N x M entries N(0,1), q = M/N. Eigenvalues of W^T W / N follow the Marchenko-Pastur law on
  // [(1-sqrt(q))^2, (1+sqrt(q))^2] with density sqrt((b-x)(x-a)) / (2 pi q x).
  const int64_t n = 2000, m = 500;
  const auto g = wstest::gaussian(static_cast<size_t>(n * m), 7);
  const MatrixView w{reinterpret_cast<const uint8_t*>(g.data()), Dtype::F32, n, m, m, 1, 1.0f};
  ws::ThreadPool pool(2);
  const auto ev = ws::pooled_eigenvalues({w}, pool);
  REQUIRE(ev.size() == static_cast<size_t>(m));
  const double q = double(m) / n, a = std::pow(1 - std::sqrt(q), 2), b = std::pow(1 + std::sqrt(q), 2);
  CHECK(ev.back() / n == Approx(b).epsilon(0.02));
  CHECK(ev.front() / n == Approx(a).epsilon(0.05));  // the soft lower edge moves ~1.5% per Tracy-Widom unit here
  // Edges with the Tracy-Widom (Johnstone) centring: within 3 standard deviations of TW1
  // (mean -1.2065, sd 1.2680) of the finite-size prediction.
  const double sn = std::sqrt(n - 0.5), sm = std::sqrt(m - 0.5);
  const double mu_hi = std::pow(sn + sm, 2), s_hi = (sn + sm) * std::cbrt(1 / sn + 1 / sm);
  const double mu_lo = std::pow(sn - sm, 2), s_lo = (sn - sm) * std::cbrt(1 / sm - 1 / sn);
  CHECK(std::abs(ev.back() - (mu_hi - 1.2065 * s_hi)) <= 3 * 1.268 * s_hi);
  CHECK(std::abs(ev.front() - (mu_lo + 1.2065 * s_lo)) <= 3 * 1.268 * s_lo);
  // Bulk: Kolmogorov distance between the empirical and the MP distribution function.
  double cdf = 0, ks = 0;
  const int steps = 20000;
  size_t below = 0;
  for (int i = 0; i < steps; ++i) {
    const double x = a + (b - a) * (i + 0.5) / steps;  // midpoint rule
    cdf += std::sqrt((b - x) * (x - a)) / (2 * M_PI * q * x) * (b - a) / steps;
    while (below < ev.size() && ev[below] / n <= x) ++below;
    ks = std::max(ks, std::abs(cdf - double(below) / m));
  }
  CHECK(cdf == Approx(1.0).epsilon(1e-3));
  CHECK(ks < 0.02);
  // Trace identity: sum of eigenvalues = sum of squared entries (exact up to rounding).
  double tr = 0, fro = 0;
  for (double x : ev) tr += x;
  for (float x : g) fro += double(x) * x;
  CHECK(tr == Approx(fro).epsilon(1e-12));

  // The wide orientation (W^T, via strides) has the same nonzero spectrum: W W^T is the smaller side.
  const MatrixView wt{w.data, Dtype::F32, m, n, 1, m, 1.0f};
  const auto evt = ws::pooled_eigenvalues({wt}, pool);
  REQUIRE(evt.size() == ev.size());
  for (size_t i = 0; i < ev.size(); ++i) REQUIRE(evt[i] == Approx(ev[i]).epsilon(1e-12));
}

TEST_CASE("known singular values come back squared", "[spectrum]") {
  ws::ThreadPool pool(2);
  // Spread over 12 decades to probe relative accuracy of small eigenvalues; zero singular values too.
  // 700 x 600 spans several Gram depth slices, reduction panels and pool row blocks.
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{300, 120}, {120, 300}, {257, 257}, {1, 5}, {9, 1}, {700, 600}}) {
    const int64_t k = std::min(rows, cols);
    std::vector<double> s(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) s[i] = std::pow(10.0, 3.0 - 6.0 * i / std::max<int64_t>(1, k - 1));
    if (k > 4) s[2] = s[3] = 0.0;
    const auto w = with_singular_values(rows, cols, s, 11 + rows);
    const auto ev = ws::pooled_eigenvalues({f64_view(w, rows, cols)}, pool);
    std::vector<double> want;
    for (double x : s) want.push_back(x * x);
    std::sort(want.begin(), want.end());
    REQUIRE(ev.size() == want.size());
    const double lmax = want.back();
    INFO(rows << "x" << cols);
    for (size_t i = 0; i < ev.size(); ++i) {
      // The Gram route loses relative accuracy as lmax/lambda grows: eps*lmax absolute.
      REQUIRE(std::abs(ev[i] - want[i]) <= 1e-9 * want[i] + 1e-13 * lmax);
    }
  }
}

TEST_CASE("matrices are pooled, sorted, and scaled", "[spectrum]") {
  ws::ThreadPool pool(2);
  // Diagonal 3x2 and 2x4 blocks of known values, the second scaled by float32 0.5.
  const std::vector<float> a = {3, 0, 0, 1, 0, 0};
  const std::vector<float> b = {0, 0, 2, 0, 0, 5, 0, 0};
  MatrixView va{reinterpret_cast<const uint8_t*>(a.data()), Dtype::F32, 3, 2, 2, 1, 1.0f};
  MatrixView vb{reinterpret_cast<const uint8_t*>(b.data()), Dtype::F32, 2, 4, 4, 1, 0.5f};
  const auto ev = ws::pooled_eigenvalues({va, vb}, pool);
  REQUIRE(ev == std::vector<double>{1.0, 1.0, 6.25, 9.0});
  REQUIRE(ws::pooled_eigenvalues({}, pool).empty());
}

TEST_CASE("numerical zeros: resolved by SVD when small, exact 0 when large", "[spectrum]") {
  ws::ThreadPool pool(2);
  // Singular values 1..1000 with exact zeros and values below sqrt(m eps) s_max ~ 1e-7 s_max, which
  // the Gram route cannot tell from 0. W carries its own rounding ~ eps s_max (built in double).
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{200, 150}, {1100, 1030}}) {
    const int64_t k = std::min(rows, cols);
    std::vector<double> s(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) s[i] = std::pow(10.0, 3.0 * i / (k - 1));
    for (int i = 0; i < 5; ++i) s[i] = 0.0;
    s[5] = 1e-6, s[6] = 1e-9, s[7] = 1e-12;  // 1e-9 .. 1e-15 of s_max = 1e3
    const auto w = with_singular_values(rows, cols, s, 5 + rows);
    const auto ev = ws::pooled_eigenvalues({f64_view(w, rows, cols)}, pool);
    std::sort(s.begin(), s.end());
    REQUIRE(ev.size() == s.size());
    INFO(rows << "x" << cols);
    if (k <= 1024) {  // SVD of W: every singular value to ~eps * s_max absolute, like the reference
      for (size_t i = 0; i < ev.size(); ++i) REQUIRE(std::abs(std::sqrt(ev[i]) - s[i]) <= 1e-13 * s.back());
    } else {  // Gram route: the 8 values below the bound m eps lambda_max come back as exactly 0
      for (size_t i = 0; i < 8; ++i) REQUIRE(ev[i] == 0.0);
      for (size_t i = 8; i < ev.size(); ++i) REQUIRE(ev[i] == Approx(s[i] * s[i]).epsilon(1e-9));
    }
  }
}

TEST_CASE("tridiagonal reduction keeps known eigenvalues, one- and two-stage, 1 and 2 threads", "[spectrum]") {
  // A = H2 H1 diag(lambda) H1 H2 with Householder reflections H = I - 2 u u^T / u^T u: a dense
  // symmetric matrix with known eigenvalues (both signs, 8 decades, a 3-fold one). Sizes cross the
  // one-/two-stage switch (1536) and the bandwidths 24, 32 (n >= 2048); the band of the two-stage
  // path is chased by 1 and by 2 pipelined threads.
  for (int threads : {1, 2}) {
    ws::ThreadPool pool(threads);
    for (int64_t n : {int64_t(383), int64_t(1001), int64_t(1535), int64_t(1536), int64_t(2100)}) {
      std::vector<double> lambda(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) lambda[i] = (i % 2 ? -1.0 : 1.0) * std::pow(10.0, 4.0 - 8.0 * i / (n - 1));
      lambda[5] = lambda[6] = lambda[7] = 2.5;
      std::vector<double> a(static_cast<size_t>(n * n), 0.0);
      for (int64_t i = 0; i < n; ++i) a[i * n + i] = lambda[i];
      for (uint64_t seed : {3u, 4u}) {
        const auto u = wstest::gaussian(static_cast<size_t>(n), seed + n);
        double uu = 0;
        for (float x : u) uu += double(x) * x;
        std::vector<double> au(static_cast<size_t>(n), 0.0);  // A u (A symmetric), then H A H
        for (int64_t c = 0; c < n; ++c)
          for (int64_t r = 0; r < n; ++r) au[r] += a[c * n + r] * u[c];
        double uau = 0;
        for (int64_t r = 0; r < n; ++r) uau += u[r] * au[r];
        const double f = 2 / uu;
        for (int64_t c = 0; c < n; ++c)
          for (int64_t r = 0; r < n; ++r)
            a[c * n + r] += -f * (u[r] * au[c] + au[r] * u[c]) + f * f * uau * u[r] * u[c];
      }
      std::vector<double> d(static_cast<size_t>(n)), e(static_cast<size_t>(n - 1));
      ws::spectrum::tridiagonalize(a.data(), n, n, d.data(), e.data(), pool);
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
      es.computeFromTridiagonal(Eigen::Map<Eigen::VectorXd>(d.data(), n), Eigen::Map<Eigen::VectorXd>(e.data(), n - 1),
                                Eigen::EigenvaluesOnly);
      std::sort(lambda.begin(), lambda.end());
      INFO(n << " with " << threads << " threads");
      double worst = 0;
      for (int64_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(es.eigenvalues()[i] - lambda[i]));
      // Backward stable: absolute error a small multiple of eps * ||A|| (1e4 here).
      CHECK(worst <= 1e-12 * 1e4);
    }
  }
}
