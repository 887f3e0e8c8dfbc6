// open_file_source: byte-range reads of a real file (pread, no shared position, 64-bit offsets),
// the InputError of a short read (file truncated or changed after opening), and the messages for
// a missing path and a folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <vector>

#include "io/byte_source.h"
#include "io/input_error.h"
#include "support/formats_test_util.h"
#include "support/io_test_util.h"

using wstest::pattern;
using wstest::read;

TEST_CASE("file_source: size, name without folder, byte-range reads", "[io]") {
  wstest::TempDir dir("io_file");
  const std::vector<uint8_t> bytes = pattern(1000);
  wstest::write_file(dir / "f.bin", bytes);
  auto src = ws::open_file_source(dir / "f.bin");
  CHECK(src->size() == 1000);
  CHECK(src->name() == "f.bin");

  CHECK(read(*src, 0, 1000) == bytes);
  CHECK(read(*src, 500, 7) == std::vector<uint8_t>(bytes.begin() + 500, bytes.begin() + 507));
  CHECK(read(*src, 999, 1) == std::vector<uint8_t>{bytes[999]});
  // pread: no file position, so reading backwards or twice gives the same bytes.
  CHECK(read(*src, 3, 4) == std::vector<uint8_t>(bytes.begin() + 3, bytes.begin() + 7));
  CHECK(read(*src, 900, 100) == std::vector<uint8_t>(bytes.begin() + 900, bytes.end()));
  CHECK(read(*src, 3, 4) == std::vector<uint8_t>(bytes.begin() + 3, bytes.begin() + 7));
  uint8_t dst = 0xAB;
  src->read(1000, &dst, 0);
  CHECK(dst == 0xAB);
}

TEST_CASE("file_source: two sources on one file read independently", "[io]") {
  wstest::TempDir dir("io_two");
  const std::vector<uint8_t> bytes = pattern(64);
  wstest::write_file(dir / "a.bin", bytes);
  auto a = ws::open_file_source(dir / "a.bin");
  auto b = ws::open_file_source(dir / "a.bin");
  CHECK(read(*a, 10, 4) == std::vector<uint8_t>(bytes.begin() + 10, bytes.begin() + 14));
  CHECK(read(*b, 0, 4) == std::vector<uint8_t>(bytes.begin(), bytes.begin() + 4));
  CHECK(read(*a, 14, 4) == std::vector<uint8_t>(bytes.begin() + 14, bytes.begin() + 18));
}

TEST_CASE("file_source: a read past the end says where and how much is left", "[io]") {
  wstest::TempDir dir("io_short");
  wstest::write_file(dir / "model.safetensors", pattern(1000));
  auto src = ws::open_file_source(dir / "model.safetensors");
  std::vector<uint8_t> dst(32);
  CHECK_THAT(wstest::input_error([&] { src->read(990, dst.data(), 20); }),
             Catch::Equals("model.safetensors: byte 990: cannot read 20 bytes, the file ends after 10 "
                           "(was it truncated or changed?)"));
  CHECK_THAT(wstest::input_error([&] { src->read(2000, dst.data(), 1); }),
             Catch::Equals("model.safetensors: byte 2000: cannot read 1 bytes, the file ends after 0 "
                           "(was it truncated or changed?)"));
  // Offsets no off_t can hold fail the same way instead of wrapping.
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  CHECK_THAT(wstest::input_error([&] { src->read(max - 3, dst.data(), 8); }),
             Catch::EndsWith("cannot read 8 bytes, the file ends after 0 (was it truncated or changed?)"));
}

TEST_CASE("file_source: a file truncated after opening gives a short-read error", "[io]") {
  wstest::TempDir dir("io_trunc");
  const std::vector<uint8_t> bytes = pattern(1000);
  wstest::write_file(dir / "t.bin", bytes);
  auto src = ws::open_file_source(dir / "t.bin");
  std::filesystem::resize_file(dir / "t.bin", 500);
  CHECK(src->size() == 1000);  // the size seen at open time
  CHECK(read(*src, 490, 10) == std::vector<uint8_t>(bytes.begin() + 490, bytes.begin() + 500));
  std::vector<uint8_t> dst(10);
  CHECK_THAT(wstest::input_error([&] { src->read(495, dst.data(), 10); }),
             Catch::Equals("t.bin: byte 495: cannot read 10 bytes, the file ends after 5 (was it truncated or changed?)"));
  CHECK_THAT(wstest::input_error([&] { src->read(600, dst.data(), 10); }), Catch::Contains("the file ends after 0"));
}

TEST_CASE("file_source: offsets beyond 4 GiB (sparse file)", "[io]") {
  wstest::TempDir dir("io_big");
  const std::string path = dir / "big.bin";
  const uint64_t at = (uint64_t{5} << 30) + 3;  // 5 GiB + 3: beyond 32-bit offsets
  {
    std::ofstream out(path, std::ios::binary);
    out.seekp(static_cast<std::streamoff>(at));
    out.write("weights", 7);
    REQUIRE(out.good());
  }
  auto src = ws::open_file_source(path);
  CHECK(src->size() == at + 7);
  CHECK(read(*src, at, 7) == std::vector<uint8_t>{'w', 'e', 'i', 'g', 'h', 't', 's'});
  CHECK(read(*src, at - 2, 3) == std::vector<uint8_t>{0, 0, 'w'});
  std::vector<uint8_t> dst(8);
  CHECK_THAT(wstest::input_error([&] { src->read(at, dst.data(), 8); }),
             Catch::Equals("big.bin: byte 5368709123: cannot read 8 bytes, the file ends after 7 (was it truncated or changed?)"));
}

TEST_CASE("file_source: missing paths and folders are InputErrors naming the path", "[io]") {
  wstest::TempDir dir("io_open");
  CHECK_THAT(wstest::input_error([&] { ws::open_file_source(dir / "nope.safetensors"); }),
             Catch::Equals("cannot open " + (dir / "nope.safetensors") + ": No such file or directory"));
  CHECK_THAT(wstest::input_error([&] { ws::open_file_source(dir.path.string()); }),
             Catch::Equals("cannot open " + dir.path.string() + ": it is a folder, not a file"));
  wstest::write_file(dir / "file", pattern(4));
  CHECK_THAT(wstest::input_error([&] { ws::open_file_source(dir / "file/inside"); }),
             Catch::Equals("cannot open " + (dir / "file/inside") + ": Not a directory"));
  CHECK_THAT(wstest::input_error([&] { ws::open_file_source(""); }),
             Catch::Equals("cannot open : No such file or directory"));
}

TEST_CASE("file_source: a source holds one file descriptor and closes it", "[io]") {
  wstest::TempDir dir("io_fds");
  wstest::write_file(dir / "f.bin", pattern(16));
  const auto open_fds = [] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
  };
  const size_t before = open_fds();
  {
    auto a = ws::open_file_source(dir / "f.bin");
    CHECK(open_fds() == before + 1);
    auto b = ws::open_file_source(dir / "f.bin");
    CHECK(open_fds() == before + 2);
  }
  CHECK(open_fds() == before);
  // Failed opens leak nothing either (the folder case opens, then refuses).
  CHECK_THROWS_AS(ws::open_file_source(dir.path.string()), ws::InputError);
  CHECK_THROWS_AS(ws::open_file_source(dir / "missing"), ws::InputError);
  CHECK(open_fds() == before);
}
