#pragma once
// Test-only: the splitmix64 generator and the five power-law test vectors of
// tests/data/research/powerlaw_vectors (docs/methods.md, "Power-law test vectors"), rebuilt
// bit-for-bit from their generator's recipe (exact IEEE ops only: + - * / sqrt,
// integer arithmetic, floor), plus numpy's pairwise summation to check the recorded sums exactly.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ws_test {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next_u64() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t state_;
};

// Pareto(xmin = 1) by inverse CDF with exact operations only (alpha = 2, 3 or 5).
inline double pareto_exact(double u, int alpha) {
  const double one_minus = 1.0 - u;
  if (alpha == 2) return 1.0 / one_minus;
  if (alpha == 3) return 1.0 / std::sqrt(one_minus);
  return 1.0 / std::sqrt(std::sqrt(one_minus));
}

struct PowerlawVector {
  std::string name;  // key in expected_outputs.json and .txt file stem
  std::vector<double> data;
};

inline std::vector<PowerlawVector> powerlaw_vectors() {
  std::vector<PowerlawVector> v(5);
  v[0].name = "V1_quantile_alpha2_n1000";
  for (int i = 0; i < 1000; ++i) v[0].data.push_back(1.0 / (1.0 - (i + 0.5) / 1000));
  v[1].name = "V2_splitmix42_alpha3_n2000";
  SplitMix64 r2(42);
  for (int i = 0; i < 2000; ++i) v[1].data.push_back(pareto_exact(r2.uniform(), 3));
  v[2].name = "V3_bulk3000_tail500_alpha3";
  SplitMix64 r3(12345);
  for (int i = 0; i < 3000; ++i) v[2].data.push_back(0.05 + 0.95 * r3.uniform());
  for (int i = 0; i < 500; ++i) v[2].data.push_back(pareto_exact(r3.uniform(), 3));
  v[3].name = "V4_ties_grid0.05_alpha2_n1500";
  SplitMix64 r4(7);
  for (int i = 0; i < 1500; ++i) v[3].data.push_back(std::floor(pareto_exact(r4.uniform(), 2) * 20.0 + 0.5) / 20.0);
  v[4].name = "V5_small_n40_alpha5_xmin2";
  SplitMix64 r5(2024);
  for (int i = 0; i < 40; ++i) v[4].data.push_back(2.0 * pareto_exact(r5.uniform(), 5));
  return v;
}

// numpy's pairwise_sum for contiguous float64 (blocks of 8 partial sums, split at 128), which is
// what np.sum did when the vectors' sums were recorded.
inline double numpy_sum(const double* a, size_t n) {
  if (n < 8) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += a[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += a[i];
    return s;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_sum(a, n2) + numpy_sum(a + n2, n - n2);
}

}  // namespace ws_test
