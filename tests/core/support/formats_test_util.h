#pragma once
// Byte-level builders for the format tests: a safetensors file from a raw header string, a .npy
// file from its header dict, files written to a fresh temporary folder, and a whole run's report.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "analysis/analysis.h"
#include "formats/model_input.h"
#include "io/byte_source.h"
#include "io/input_error.h"
#include "support/run_report.h"
#include "support/test_data.h"

namespace wstest {

// numpy.lib.format layout: magic, version, header length (u16 for v1, u32 for v2/v3), the dict
// padded with spaces to a multiple of 64 and ended by '\n', then the raw data.
inline std::vector<uint8_t> npy_file(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
  const size_t prelude = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prelude + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < prelude - 8; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::string dict(const std::string& descr, bool fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}

template <typename T>
inline std::vector<uint8_t> raw(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

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

inline std::string fixture(const std::string& name) { return ws_test::test_data("fixtures/" + name); }

// The report of a whole run with default options, without the spectra (the format tests check layers).
inline nlohmann::json analyze(ws::ModelInput m) {
  ws::AnalyzeOptions opt;
  opt.spectra = false;
  return ws_test::run_report(std::move(m), opt);
}

}  // namespace wstest
