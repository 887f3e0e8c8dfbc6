// memory_source: exact byte-range reads, and the InputError a read past the end raises (with the
// source's name, the offset and the sizes), including offsets where offset + n would overflow.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "io/byte_source.h"
#include "io/input_error.h"
#include "support/formats_test_util.h"
#include "support/io_test_util.h"

using wstest::pattern;
using wstest::read;

TEST_CASE("memory_source: size, name and byte-range reads", "[io]") {
  const std::vector<uint8_t> bytes = pattern(100);
  auto src = ws::memory_source(bytes, "weights.bin");
  CHECK(src->size() == 100);
  CHECK(src->name() == "weights.bin");

  CHECK(read(*src, 0, 100) == bytes);
  CHECK(read(*src, 0, 1) == std::vector<uint8_t>{3});
  CHECK(read(*src, 99, 1) == std::vector<uint8_t>{static_cast<uint8_t>(99 * 7 + 3)});
  CHECK(read(*src, 37, 5) == std::vector<uint8_t>(bytes.begin() + 37, bytes.begin() + 42));
  // Reads do not move a position: the same range twice, and out of order, give the same bytes.
  CHECK(read(*src, 60, 8) == read(*src, 60, 8));
  CHECK(read(*src, 90, 10) == std::vector<uint8_t>(bytes.begin() + 90, bytes.end()));
  CHECK(read(*src, 10, 3) == std::vector<uint8_t>(bytes.begin() + 10, bytes.begin() + 13));
}

TEST_CASE("memory_source: empty reads are allowed up to the end, not beyond", "[io]") {
  auto src = ws::memory_source(pattern(10), "m");
  uint8_t dst = 0xAB;
  src->read(0, &dst, 0);
  src->read(10, &dst, 0);
  CHECK(dst == 0xAB);
  CHECK_THROWS_AS(src->read(11, &dst, 0), ws::InputError);

  auto empty = ws::memory_source({}, "empty");
  CHECK(empty->size() == 0);
  empty->read(0, &dst, 0);
  CHECK_THAT(wstest::input_error([&] { empty->read(0, &dst, 1); }),
             Catch::Equals("empty: byte 0: cannot read 1 bytes, the data is only 0 bytes long"));
}

TEST_CASE("memory_source: short reads throw an InputError that says where, and write nothing", "[io]") {
  auto src = ws::memory_source(pattern(10), "model.safetensors");
  std::vector<uint8_t> dst(8, 0xEE);
  CHECK_THAT(wstest::input_error([&] { src->read(8, dst.data(), 4); }),
             Catch::Equals("model.safetensors: byte 8: cannot read 4 bytes, the data is only 10 bytes long"));
  CHECK(dst == std::vector<uint8_t>(8, 0xEE));
  CHECK_THAT(wstest::input_error([&] { src->read(0, dst.data(), 11); }),
             Catch::Equals("model.safetensors: byte 0: cannot read 11 bytes, the data is only 10 bytes long"));
  CHECK_THAT(wstest::input_error([&] { src->read(1000, dst.data(), 1); }),
             Catch::StartsWith("model.safetensors: byte 1000: cannot read 1 bytes"));
}

TEST_CASE("memory_source: offset + n that overflows 64 bits is an error, not a wrapped read", "[io]") {
  auto src = ws::memory_source(pattern(16), "m");
  uint8_t dst[4] = {0, 0, 0, 0};
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  CHECK_THROWS_AS(src->read(max, dst, 2), ws::InputError);
  CHECK_THROWS_AS(src->read(max - 1, dst, 4), ws::InputError);
  CHECK_THROWS_AS(src->read(8, dst, std::numeric_limits<size_t>::max()), ws::InputError);
  CHECK((dst[0] == 0 && dst[1] == 0 && dst[2] == 0 && dst[3] == 0));
}
