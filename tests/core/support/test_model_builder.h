#pragma once
// Builds small safetensors files in memory for tests: F32 tensors from values.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/byte_source.h"

namespace wstest {

struct F32Tensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

inline std::vector<uint8_t> safetensors_bytes(const std::vector<F32Tensor>& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const uint64_t n = t.values.size() * 4;
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string h = header.dump();
  while (h.size() % 8) h += ' ';
  std::vector<uint8_t> out(8 + h.size());
  const uint64_t len = h.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, h.data(), h.size());
  for (const auto& t : tensors) {
    const auto* p = reinterpret_cast<const uint8_t*>(t.values.data());
    out.insert(out.end(), p, p + t.values.size() * 4);
  }
  return out;
}

// Deterministic N(0,1) samples: splitmix64 + Box-Muller.
inline std::vector<float> gaussian(size_t n, uint64_t seed) {
  auto next = [&seed]() {
    uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  };
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - next(), u2 = next();
    const double r = std::sqrt(-2.0 * std::log(u1));
    v[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
    if (i + 1 < n) v[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
  }
  return v;
}

}  // namespace wstest
