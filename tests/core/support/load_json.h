#pragma once
// A JSON file of the tests' data (reference outputs, research vectors), parsed; the test fails
// when it cannot be opened.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace ws_test {

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

}  // namespace ws_test
