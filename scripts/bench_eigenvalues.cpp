// Benchmark helper for scripts/bench: times ws::pooled_eigenvalues on every 2-D tensor of a
// safetensors file (one call per tensor, as the analyzer does per layer) and prints one JSON line:
// {"seconds", "matrices", "flops", "maxrss_mb", "threads"}. flops counts the Gram product
// (n*m^2 for the lower triangle) plus the tridiagonal reduction (4/3 m^3), m = smaller side.
// Built by scripts/bench with g++ against the core sources; not part of the product.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spectrum/eigenvalues.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_eigenvalues FILE.safetensors [threads]\n");
    return 2;
  }
  std::ifstream f(argv[1], std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (file.size() < 8) return std::fprintf(stderr, "cannot read %s\n", argv[1]), 1;
  uint64_t hlen;
  std::memcpy(&hlen, file.data(), 8);
  const auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + hlen);
  ws::ThreadPool pool(argc > 2 ? std::atoi(argv[2]) : 0);
  double seconds = 0, flops = 0;
  int matrices = 0;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__" || t.at("shape").size() != 2 || t.at("dtype") != "F32") continue;
    const int64_t rows = t["shape"][0], cols = t["shape"][1];
    const ws::MatrixView w{file.data() + 8 + hlen + t["data_offsets"][0].get<uint64_t>(), ws::Dtype::F32, rows, cols,
                           cols, 1, 1.0f};
    const auto t0 = std::chrono::steady_clock::now();
    const auto ev = ws::pooled_eigenvalues({w}, pool);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double m = double(std::min(rows, cols)), n = double(std::max(rows, cols));
    flops += n * m * m + 4.0 / 3.0 * m * m * m;
    ++matrices;
    if (ev.size() != static_cast<size_t>(m)) return std::fprintf(stderr, "wrong eigenvalue count\n"), 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"seconds\": %.4f, \"matrices\": %d, \"flops\": %.6g, \"maxrss_mb\": %.1f, \"threads\": %d}\n", seconds,
              matrices, flops, ru.ru_maxrss / 1024.0, pool.size());
  return 0;
}
