// Benchmark helper for scripts/bench: times ws::pooled_eigenvalues on every 2-D tensor of a
// safetensors file (one call per tensor, as the analyzer does per layer) and prints one JSON line:
// {"seconds", "matrices", "flops", "maxrss_mb", "threads"}. flops counts the Gram product
// (n*m^2 for the lower triangle) plus the tridiagonal reduction (4/3 m^3), m = smaller side.
// With --vectors it also times the eigenvector route (ws::matrix_eigenpairs: Gram, one-stage
// reduction, divide and conquer, back-transformation) on the same tensors and adds
// "vectors_seconds" and "vectors_ratio" (eigenpairs time / eigenvalue-only time), the two runs
// interleaved per tensor and each the best of `repeats` (the machine may be shared).
// --random RxC instead of a file: one Gaussian R x C float32 matrix (splitmix64, seed 1).
// Built by scripts/bench with g++ against the core sources; not part of the product.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spectrum/eigenvalues.h"
#include "spectrum/eigenvectors.h"

namespace {

struct Matrix {
  int64_t rows, cols;
  const uint8_t* data;
};

// Box-Muller on splitmix64 draws: a Gaussian matrix without a data file.
std::vector<float> gaussian(int64_t rows, int64_t cols) {
  uint64_t state = 1;
  auto next = [&] {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  };
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (float& x : w) x = static_cast<float>(std::sqrt(-2 * std::log(1 - next())) * std::cos(2 * M_PI * next()));
  return w;
}

double seconds_of(const std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, random;
  int threads = 0, repeats = 1;
  bool vectors = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--vectors") vectors = true;
    else if (a == "--random" && i + 1 < argc) random = argv[++i];
    else if (a == "--repeats" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
    else if (path.empty() && random.empty() && a[0] != '-') path = a;
    else threads = std::atoi(a.c_str());
  }
  if (path.empty() && random.empty()) {
    std::fprintf(stderr, "usage: bench_eigenvalues FILE.safetensors|--random RxC [threads] [--vectors] [--repeats N]\n");
    return 2;
  }
  std::vector<uint8_t> file;
  std::vector<float> synthetic;
  std::vector<Matrix> mats;
  if (!random.empty()) {
    const int64_t rows = std::atoll(random.c_str()), cols = std::atoll(random.c_str() + random.find('x') + 1);
    synthetic = gaussian(rows, cols);
    mats.push_back({rows, cols, reinterpret_cast<const uint8_t*>(synthetic.data())});
  } else {
    std::ifstream f(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (file.size() < 8) return std::fprintf(stderr, "cannot read %s\n", path.c_str()), 1;
    uint64_t hlen;
    std::memcpy(&hlen, file.data(), 8);
    const auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + hlen);
    for (const auto& [name, t] : header.items()) {
      if (name == "__metadata__" || t.at("shape").size() != 2 || t.at("dtype") != "F32") continue;
      mats.push_back({t["shape"][0], t["shape"][1], file.data() + 8 + hlen + t["data_offsets"][0].get<uint64_t>()});
    }
  }
  ws::ThreadPool pool(threads);
  double seconds = 0, vector_seconds = 0, flops = 0;
  for (const Matrix& mat : mats) {
    const ws::MatrixView w{mat.data, ws::Dtype::F32, mat.rows, mat.cols, mat.cols, 1, 1.0f};
    double best = 1e300, best_vectors = 1e300;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      const auto ev = ws::pooled_eigenvalues({w}, pool);
      best = std::min(best, seconds_of(t0));
      if (ev.size() != static_cast<size_t>(std::min(mat.rows, mat.cols)))
        return std::fprintf(stderr, "wrong eigenvalue count\n"), 1;
      if (!vectors) continue;
      t0 = std::chrono::steady_clock::now();
      const ws::Eigenpairs p = ws::matrix_eigenpairs(w, pool);
      best_vectors = std::min(best_vectors, seconds_of(t0));
      if (p.values.size() != ev.size()) return std::fprintf(stderr, "wrong eigenpair count\n"), 1;
    }
    seconds += best;
    if (vectors) vector_seconds += best_vectors;
    const double m = double(std::min(mat.rows, mat.cols)), n = double(std::max(mat.rows, mat.cols));
    flops += n * m * m + 4.0 / 3.0 * m * m * m;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"seconds\": %.4f, \"matrices\": %zu, \"flops\": %.6g, \"maxrss_mb\": %.1f, \"threads\": %d", seconds,
              mats.size(), flops, ru.ru_maxrss / 1024.0, pool.size());
  if (vectors) std::printf(", \"vectors_seconds\": %.4f, \"vectors_ratio\": %.3f", vector_seconds, vector_seconds / seconds);
  std::printf("}\n");
  return 0;
}
