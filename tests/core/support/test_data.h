#pragma once
// Where the tests find their data: tests/data/ in this repository (tests/data/README.md gives each
// file's source and license), except the demo model, which is kept once, in web/demo/.
// The environment variable WS_TEST_DATA_DIR points the tests at another folder with the same layout
// (fixtures/, reference/, research/powerlaw_vectors/), e.g. the shared test material CI provides.
#include <cstdlib>
#include <string>

namespace ws_test {

// path: relative to the data folder, e.g. "fixtures/nsfwjs_mobilenet_v2.safetensors".
inline std::string test_data(const std::string& path) {
  if (const char* dir = std::getenv("WS_TEST_DATA_DIR"); dir != nullptr && *dir != '\0')
    return std::string(dir) + "/" + path;
  if (path == "fixtures/ppocrv4_rec.safetensors") return std::string(WS_SOURCE_DIR) + "/web/demo/ppocrv4_rec.safetensors";
  return std::string(WS_TEST_DATA_DIR) + "/" + path;
}

}  // namespace ws_test
