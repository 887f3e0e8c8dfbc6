#pragma once
// Byte-level builders for the format tests: a safetensors file from a raw header string, and
// files written to a fresh temporary folder.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "formats/model_input.h"
#include "io/byte_source.h"
#include "io/input_error.h"

namespace wstest {

// u64 little-endian header length + header text + data bytes: exactly what the header claims or not.
inline std::vector<uint8_t> st_file(const std::string& header, size_t data_bytes = 0, uint64_t claimed_n = UINT64_MAX) {
  const uint64_t n = claimed_n == UINT64_MAX ? header.size() : claimed_n;
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0);
  return out;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  write_file(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// A fresh empty folder under the system temp dir, removed at scope end.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() / ("ws_formats_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// The InputError message of f(), failing the test if f does not throw one.
template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const ws::InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

inline std::string fixture(const std::string& name) { return std::string(WS_SHARED_DIR) + "/fixtures/" + name; }

}  // namespace wstest
