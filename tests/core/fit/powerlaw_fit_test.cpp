// fit_power_law against independent references: the power-law test vectors (powerlaw 1.5 and the
// reference's WWFit, tests/data/research/powerlaw_vectors/expected_outputs.json; docs/methods.md,
// "Power-law test vectors"), weightwatcher 0.7.5.5 layer fits on real eigenvalue lists
// (tests/data/reference), numpy prototypes of the reference's
// fix_fingers code paths, and the failure contract.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fit/powerlaw_fit.h"
#include "support/splitmix64.h"
#include "support/test_data.h"
#include "support/test_pool.h"

namespace {

const std::string kVectorDir = ws_test::test_data("research/powerlaw_vectors/");

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool rel_close(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::fabs(b); }

int64_t count_at_least(const std::vector<double>& v, double x) {
  return std::count_if(v.begin(), v.end(), [&](double e) { return e >= x; });
}

}  // namespace

TEST_CASE("power-law vectors are regenerated bit-for-bit from their recipe", "[fit]") {
  const nlohmann::json expected = read_json(kVectorDir + "expected_outputs.json");
  for (const auto& v : ws_test::powerlaw_vectors()) {
    INFO(v.name);
    const auto& e = expected.at(v.name);
    REQUIRE(v.data.size() == e.at("n").get<size_t>());
    CHECK(ws_test::numpy_sum(v.data.data(), v.data.size()) == e.at("sum").get<double>());
    CHECK(*std::min_element(v.data.begin(), v.data.end()) == e.at("min").get<double>());
    CHECK(*std::max_element(v.data.begin(), v.data.end()) == e.at("max").get<double>());
    for (int i = 0; i < 3; ++i) CHECK(v.data[i] == e.at("first3")[i].get<double>());
    // The .txt files hold the same values at %.17g, which round-trips exactly.
    std::ifstream txt(kVectorDir + v.name + ".txt");
    REQUIRE(txt.good());
    std::vector<double> from_file;
    for (double x; txt >> x;) from_file.push_back(x);
    CHECK(from_file == v.data);
  }
}

TEST_CASE("default convention reproduces weightwatcher's WWFit scan on the vectors", "[fit]") {
  const nlohmann::json expected = read_json(kVectorDir + "expected_outputs.json");
  for (const auto& v : ws_test::powerlaw_vectors()) {
    INFO(v.name);
    const auto& e = expected.at(v.name).at("weightwatcher_WWFit_scan");
    const std::vector<double> x = sorted(v.data);
    const ws::PowerLawFit f = ws::fit_power_law(x, {}, ws_test::test_pool());
    REQUIRE(f.ok);
    CHECK(rel_close(f.xmin, e.at("xmin"), 1e-7));  // recorded to 8 significant digits
    CHECK(rel_close(f.alpha, e.at("alpha"), 1e-6));
    CHECK(rel_close(f.D, e.at("D"), 1e-6));
    CHECK(rel_close(f.sigma, e.at("sigma"), 1e-6));  // sigma carries n_tail = N - i
    CHECK(f.xmax == x.back());
    CHECK(f.num_pl_spikes == count_at_least(x, f.xmin));
    CHECK(f.candidate_xmin.size() == x.size() - 1);
    CHECK(f.candidate_D.size() == x.size() - 1);
    CHECK(f.candidate_alpha.size() == x.size() - 1);
  }
}

TEST_CASE("WWFit ties case V4: xmin 2.15, alpha 2.0018032, 661 points from the chosen index", "[fit]") {
  const auto vectors = ws_test::powerlaw_vectors();
  const std::vector<double> x = sorted(vectors[3].data);
  const ws::PowerLawFit f = ws::fit_power_law(x, {}, ws_test::test_pool());
  REQUIRE(f.ok);
  CHECK(f.xmin == 2.15);
  CHECK(f.alpha == Approx(2.0018032).epsilon(1e-7));
  CHECK(f.sigma == Approx((f.alpha - 1) / std::sqrt(661.0)).epsilon(1e-14));
  // Ties are not merged: the first 2.15 is a candidate, so n_tail counts from it.
  CHECK(f.num_pl_spikes == count_at_least(x, 2.15));
}

TEST_CASE("powerlaw convention reproduces powerlaw 1.5 Fit(data) on the vectors", "[fit]") {
  const nlohmann::json expected = read_json(kVectorDir + "expected_outputs.json");
  ws::PowerLawOptions opt;
  opt.convention = ws::XminConvention::Powerlaw;
  for (const auto& v : ws_test::powerlaw_vectors()) {
    INFO(v.name);
    const auto& e = expected.at(v.name).at("powerlaw_1.5_free_xmin");
    const ws::PowerLawFit f = ws::fit_power_law(sorted(v.data), opt, ws_test::test_pool());
    REQUIRE(f.ok);
    CHECK(f.xmin == e.at("xmin").get<double>());  // recorded at 17 digits
    CHECK(rel_close(f.alpha, e.at("alpha"), 1e-6));
    CHECK(rel_close(f.D, e.at("D"), 1e-6));
    CHECK(rel_close(f.sigma, e.at("sigma"), 1e-6));
    CHECK(f.num_pl_spikes == e.at("n_tail").get<int64_t>());
    CHECK(f.candidate_xmin.size() == e.at("num_candidates").get<size_t>());
  }
}

TEST_CASE("V1 quantile sample of a Pareto(alpha=2) gives alpha ~ 2 at the smallest xmin", "[fit]") {
  const ws::PowerLawFit f = ws::fit_power_law(ws_test::powerlaw_vectors()[0].data, {}, ws_test::test_pool());
  REQUIRE(f.ok);
  CHECK(f.xmin == 1.0 / (1.0 - 0.5 / 1000));
  CHECK(f.alpha == Approx(2.0).margin(0.002));
  CHECK(f.num_pl_spikes == 1000);
}

TEST_CASE("real layers: same alpha, D, xmin, sigma, num_pl_spikes as weightwatcher 0.7.5.5", "[fit]") {
  const std::string dir = ws_test::test_data("reference/");
  const char* files[] = {"nsfwjs_mobilenet_v2_bf16_dense_1", "nsfwjs_mobilenet_v2_block_16_project",
                         "nsfwjs_mobilenet_v2_dense_1",      "nsfwjs_mobilenet_v2_f16_dense_1",
                         "ppocrv4_rec_conv2d_180",           "ppocrv4_rec_linear_77",
                         "ppocrv4_rec_linear_85"};
  for (const char* file : files) {
    INFO(file);
    const nlohmann::json ev = read_json(dir + file + "_evals.json");
    const nlohmann::json model = read_json(dir + ev.at("model").get<std::string>() + ".json");
    const nlohmann::json* ref = nullptr;
    for (const auto& layer : model.at("results").at("default").at("layers"))
      if (layer.at("name") == ev.at("layer")) ref = &layer;
    REQUIRE(ref != nullptr);
    const ws::PowerLawFit f = ws::fit_power_law(ev.at("evals").get<std::vector<double>>(), {}, ws_test::test_pool());
    REQUIRE(f.ok);
    // The eval lists differ from the reference's own by up to ~1e-15 relative (check_vs_weightwatcher:
    // a different SVD run), so "same xmin" means the same eigenvalue, equal to ~1e-15.
    CHECK(rel_close(f.xmin, ref->at("xmin"), 1e-14));
    CHECK(std::fabs(f.alpha - ref->at("alpha").get<double>()) <= 1e-9);
    CHECK(std::fabs(f.D - ref->at("D").get<double>()) <= 1e-9);
    CHECK(std::fabs(f.sigma - ref->at("sigma").get<double>()) <= 1e-9);
    CHECK(rel_close(f.xmax, ref->at("xmax"), 1e-14));
    CHECK(f.num_pl_spikes == ref->at("num_pl_spikes").get<int64_t>());
  }
}

TEST_CASE("the D curve holds the exact KS distance of every candidate", "[fit]") {
  // Direct O(n^2) restatement of WWFit with libm pow, for a heavy-tailed sample.
  ws_test::SplitMix64 r(3);
  std::vector<double> x;
  for (int i = 0; i < 300; ++i) x.push_back(0.1 + r.uniform());
  for (int i = 0; i < 60; ++i) x.push_back(ws_test::pareto_exact(r.uniform(), 3));
  x = sorted(x);
  const ws::PowerLawFit f = ws::fit_power_law(x, {}, ws_test::test_pool());
  REQUIRE(f.ok);
  REQUIRE(f.candidate_D.size() == x.size() - 1);
  double worst = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double n = static_cast<double>(x.size() - i);
    double s = 0;
    for (size_t j = i; j < x.size(); ++j) s += std::log(x[j] / x[i]);
    const double alpha = 1 + n / s;
    double D = 0;
    for (size_t k = 0; i + k < x.size(); ++k)
      D = std::max(D, std::fabs(1 - std::pow(x[i + k] / x[i], 1 - alpha) - k / n));
    worst = std::max(worst, std::fabs(D - f.candidate_D[i]));
    CHECK(f.candidate_alpha[i] == Approx(alpha).epsilon(1e-12));
    CHECK(f.candidate_xmin[i] == x[i]);
  }
  CHECK(worst < 1e-13);
}

namespace {
// 40 Pareto(3) draws plus a "finger": 6 tightly spaced top eigenvalues (quantiles of a steep
// Pareto(8) at 1.5 x the largest draw) on which the plain scan settles, alpha ~ 9.
std::vector<double> finger_spectrum() {
  ws_test::SplitMix64 r(5);
  std::vector<double> x;
  for (int i = 0; i < 40; ++i) x.push_back(ws_test::pareto_exact(r.uniform(), 3));
  const double x0 = 1.5 * *std::max_element(x.begin(), x.end());
  for (int j = 0; j < 6; ++j) x.push_back(x0 * std::pow(1 - (j + 0.5) / 6, -1.0 / 7));
  return sorted(x);
}
}  // namespace

TEST_CASE("fix_fingers clip_xmax follows weightwatcher's fit_clipped_powerlaw", "[fit]") {
  // Expected values: numpy run of the reference's loop (WWFit on data[:-idx], idx = 2..9).
  const std::vector<double> x = finger_spectrum();
  const ws::PowerLawFit plain = ws::fit_power_law(x, {}, ws_test::test_pool());
  REQUIRE(plain.ok);
  CHECK(plain.alpha == Approx(9.1739232815147869).epsilon(1e-12));
  CHECK(plain.xmin > 10);  // on the finger

  ws::PowerLawOptions opt;
  opt.fix_fingers = ws::Fingers::ClipXmax;
  const ws::PowerLawFit f = ws::fit_power_law(x, opt, ws_test::test_pool());
  REQUIRE(f.ok);
  CHECK(f.raw_alpha == Approx(9.1739232815147869).epsilon(1e-12));
  CHECK(f.alpha == Approx(2.01812056337267).epsilon(1e-12));
  CHECK(f.xmin == 1.3517305958003867);
  CHECK(f.D == Approx(0.12393631278666517).epsilon(1e-12));
  CHECK(f.sigma == Approx(0.20782298974149882).epsilon(1e-12));
  // The reference drops the top idx = 2 eigenvalues and reports num_fingers = idx - 1.
  CHECK(f.num_fingers == 1);
  CHECK(f.xmax == x[x.size() - 3]);
  CHECK(f.num_pl_spikes == 26);  // counted over all eigenvalues, clipped ones included

  // A clean power law has no fingers: alpha never drops by finger_thresh, the raw fit stays.
  const ws::PowerLawFit clean = ws::fit_power_law(ws_test::powerlaw_vectors()[1].data, opt, ws_test::test_pool());
  REQUIRE(clean.ok);
  CHECK(clean.num_fingers == 0);
  CHECK(clean.alpha == clean.raw_alpha);
}

TEST_CASE("fix_fingers xmin_peak restricts xmin to the reference's range around the ESD peak", "[fit]") {
  // numpy: h = np.histogram(np.log10(x), 100); xmin2 = 10**h[1][argmax] = 1.0616513802334482;
  // candidates in [log10(0.95 xmin2), 1.5 xmin2] = [0.0037, 1.5925], then the usual scan.
  const std::vector<double> x = finger_spectrum();
  ws::PowerLawOptions opt;
  opt.fix_fingers = ws::Fingers::XminPeak;
  for (auto conv : {ws::XminConvention::WeightWatcher, ws::XminConvention::Powerlaw}) {
    opt.convention = conv;
    const ws::PowerLawFit f = ws::fit_power_law(x, opt, ws_test::test_pool());
    REQUIRE(f.ok);
    CHECK(f.xmin == 1.3517305958003867);
    CHECK(f.alpha == Approx(1.9055047145557666).epsilon(1e-12));
    CHECK(f.D == Approx(0.12252825245865129).epsilon(1e-12));
    CHECK(f.num_pl_spikes == 26);
    CHECK(f.candidate_xmin.size() == (conv == ws::XminConvention::Powerlaw ? 25u : 26u));
    CHECK(f.candidate_xmin.back() <= 1.5 * 1.0616513802334482);
  }
}

TEST_CASE("unusable spectra fail with a specific reason, never a number", "[fit]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::vector<double> evals;
    std::string reason;
  };
  const Case cases[] = {
      {{}, "only 0 eigenvalues above 1e-05"},
      {{0.0, 1e-7, 1e-5}, "only 0 eigenvalues above 1e-05"},
      {{1e-6, 3.0}, "only 1 eigenvalue above 1e-05"},
      {{0.0, 2.0, 2.0, 2.0}, "all 3 eigenvalues above 1e-05 are equal (2)"},
      {{1.0, nan, 3.0}, "1 non-finite eigenvalue(s) (nan/inf)"},
      {{1.0, 2.0, inf}, "1 non-finite eigenvalue(s) (nan/inf)"},
  };
  for (const Case& c : cases) {
    const ws::PowerLawFit f = ws::fit_power_law(c.evals, {}, ws_test::test_pool());
    CHECK_FALSE(f.ok);
    CHECK(f.failure_reason == c.reason);
    CHECK(f.alpha == 0);
  }
  // Two distinct points are enough (the reference allows a 2-point tail).
  const ws::PowerLawFit two = ws::fit_power_law({1.0, 2.0}, {}, ws_test::test_pool());
  REQUIRE(two.ok);
  CHECK(two.alpha == Approx(1 + 2 / std::log(2.0)));
  CHECK(two.D == Approx(0.5 - std::exp(-2.0)).epsilon(1e-14));  // |1 - e^-2 - 1/2|
}

TEST_CASE("unsorted input and ties at the top are handled", "[fit]") {
  std::vector<double> x = ws_test::powerlaw_vectors()[1].data;  // V2 in generation order
  const ws::PowerLawFit a = ws::fit_power_law(x, {}, ws_test::test_pool());
  const ws::PowerLawFit b = ws::fit_power_law(sorted(x), {}, ws_test::test_pool());
  REQUIRE(a.ok);
  CHECK(a.alpha == b.alpha);
  CHECK(a.xmin == b.xmin);
  // A tied top: candidates whose whole tail is one value get alpha = inf and D = (n-1)/n.
  const ws::PowerLawFit t = ws::fit_power_law({1.0, 1.5, 4.0, 4.0, 4.0}, {}, ws_test::test_pool());
  REQUIRE(t.ok);
  CHECK(std::isinf(t.candidate_alpha[2]));
  CHECK(t.candidate_D[2] == Approx(2.0 / 3.0));
  for (double d : t.candidate_D) CHECK(std::isfinite(d));
}

TEST_CASE("power-law fit timing on heavy-tailed spectra", "[.bench][fit_bench]") {
  for (int n : {4096, 15000}) {
    ws_test::SplitMix64 r(11);
    std::vector<double> x;  // MP-like bulk (80%) plus a Pareto(2.5-ish) tail
    for (int i = 0; i < n; ++i)
      x.push_back(i < n * 4 / 5 ? 0.2 + 1.6 * r.uniform() : 1.5 * ws_test::pareto_exact(r.uniform(), 3));
    x = sorted(x);
    const auto t0 = std::chrono::steady_clock::now();
    const ws::PowerLawFit f = ws::fit_power_law(x, {}, ws_test::test_pool());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("fit_power_law n=%d: %.1f ms (alpha %.4f, xmin %.4f)\n", n, ms, f.alpha, f.xmin);
    CHECK(f.ok);
  }
}
