// The xmin scan spread over a thread pool equals the serial scan (a pool of one thread) bit for bit:
// every candidate's D and alpha and the selected candidate, for pools of 1, 2 and 4 threads, both
// conventions, full and windowed scans, on tied Pareto samples and on a real layer's eigenvalues,
// and when the scan is issued from inside a pool job (small layers analyzed one per thread).
// The pool of one thread runs the whole scan inline: it is the serial scan.
#include "fit/xmin_scan.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/load_json.h"
#include "support/splitmix64.h"
#include "support/test_data.h"
#include "util/thread_pool.h"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Pareto(alpha = 3) over a uniform bulk, rounded to `digits` significant decimals so that values
// repeat (tie groups, merged by the powerlaw convention), ascending. Large enough (> 360
// candidates) for the scan to go to the pool.
std::vector<double> tied_pareto(int n, uint64_t seed, int digits) {
  ws_test::SplitMix64 r(seed);
  std::vector<double> x;
  for (int i = 0; i < n; ++i) {
    const double v = i % 3 == 0 ? 0.5 + r.uniform() : ws_test::pareto_exact(r.uniform(), 3);
    const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(v)));
    x.push_back(std::round(v * scale) / scale);
  }
  std::sort(x.begin(), x.end());
  return x;
}

// Bit-for-bit equality (== would also accept -0 for +0; the inf D guard values must match too).
void check_same(const ws::XminScan& serial, const ws::XminScan& s) {
  REQUIRE(s.candidate_index == serial.candidate_index);
  CHECK(s.best == serial.best);
  REQUIRE(s.D.size() == serial.D.size());
  REQUIRE(s.alpha.size() == serial.alpha.size());
  size_t d_diff = 0, alpha_diff = 0;
  for (size_t c = 0; c < s.D.size(); ++c) {
    d_diff += std::memcmp(&s.D[c], &serial.D[c], sizeof(double)) != 0;
    alpha_diff += std::memcmp(&s.alpha[c], &serial.alpha[c], sizeof(double)) != 0;
  }
  CHECK(d_diff == 0);
  CHECK(alpha_diff == 0);
}

void check_pools(const std::vector<double>& x, double lo, double hi) {
  for (ws::XminConvention conv : {ws::XminConvention::WeightWatcher, ws::XminConvention::Powerlaw}) {
    INFO("convention " << (conv == ws::XminConvention::Powerlaw ? "powerlaw" : "weightwatcher"));
    ws::ThreadPool one(1);
    const ws::XminScan serial = ws::scan_xmin(x, conv, lo, hi, one);
    // Enough candidates for the scan to go to the pool (merged ties can leave fewer).
    if (conv == ws::XminConvention::WeightWatcher) REQUIRE(serial.candidate_index.size() > 360);
    for (int threads : {2, 4}) {
      INFO(threads << " threads");
      ws::ThreadPool pool(threads);
      check_same(serial, ws::scan_xmin(x, conv, lo, hi, pool));
      // Inside a job of the same pool the scan runs inline: still the same numbers.
      std::vector<ws::XminScan> nested(2);
      pool.parallel_for(2, [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) nested[k] = ws::scan_xmin(x, conv, lo, hi, pool);
      });
      for (const ws::XminScan& s : nested) check_same(serial, s);
    }
  }
}

}  // namespace

TEST_CASE("xmin scan: pools of 1, 2 and 4 threads agree bit for bit on tied Pareto samples", "[fit]") {
  for (int digits : {2, 3, 17}) {  // 17: no rounding, no ties
    INFO("digits " << digits);
    const std::vector<double> x = tied_pareto(3000, 7 + digits, digits);
    check_pools(x, -kInf, kInf);
    check_pools(x, x[x.size() / 10], x[x.size() * 3 / 4]);  // a window, as xmin_peak uses
  }
}

TEST_CASE("xmin scan: pools of 1, 2 and 4 threads agree bit for bit on a real layer's eigenvalues", "[fit]") {
  // ppocrv4_rec conv2d_180: 480 eigenvalues, the fixtures' largest spectrum.
  const nlohmann::json ev = ws_test::load_json(ws_test::test_data("reference/ppocrv4_rec_conv2d_180_evals.json"));
  std::vector<double> x;
  for (double v : ev.at("evals").get<std::vector<double>>())
    if (v > 1e-5) x.push_back(v);
  std::sort(x.begin(), x.end());
  check_pools(x, -kInf, kInf);
}
