// InputError: the one exception type for bad input. It carries its message unchanged, and callers
// that catch std::exception or std::runtime_error still see it; errors from the byte sources are
// InputErrors (not another std::exception) so the CLI can report them as bad input.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "io/byte_source.h"
#include "io/input_error.h"

TEST_CASE("InputError keeps its message and is a std::runtime_error", "[io]") {
  static_assert(std::is_base_of_v<std::runtime_error, ws::InputError>);
  const std::string msg = "model.safetensors: byte 8: header is not valid UTF-8 (tensor \"a.weight\")";
  try {
    throw ws::InputError(msg);
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == msg);
    CHECK(dynamic_cast<const ws::InputError*>(&e) != nullptr);
  }
  CHECK(std::string(ws::InputError("").what()).empty());
}

TEST_CASE("byte sources report bad reads and opens as InputError", "[io]") {
  uint8_t b = 0;
  auto mem = ws::memory_source({1, 2, 3}, "three");
  CHECK_THROWS_AS(mem->read(2, &b, 2), ws::InputError);
  CHECK_THROWS_AS(ws::open_file_source("/nonexistent-weightscope-dir/x.safetensors"), ws::InputError);
  CHECK_THROWS_WITH(ws::open_file_source("/nonexistent-weightscope-dir/x.safetensors"),
                    "cannot open /nonexistent-weightscope-dir/x.safetensors: No such file or directory");
}
