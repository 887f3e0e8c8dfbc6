// The zip directory reader on archives written byte by byte (tests/core/support/pytorch_builder.h):
// torch's layout with and without zip64 records, and every refusal: compression, path traversal,
// zip bombs (overlapping entries, stored entries that claim more than they hold), truncation.
#include <catch2/catch.hpp>

#include "formats/zip_reader.h"
#include "support/formats_test_util.h"
#include "support/pytorch_builder.h"

using Catch::Contains;
using wstest::input_error;
using wstest::patch_le;
using wstest::zip_archive;

namespace {

std::vector<ws::ZipEntry> read(const std::vector<uint8_t>& bytes) {
  auto src = ws::memory_source(bytes, "model.pt");
  return ws::read_zip_directory(*src);
}

std::string error(const std::vector<uint8_t>& bytes) {
  return input_error([&] { read(bytes); });
}

const std::vector<wstest::ZipSpec> kEntries = {
    {"archive/data.pkl", {1, 2, 3}}, {"archive/data/0", std::vector<uint8_t>(100, 7)}, {"archive/version", {'3', '\n'}}};

}  // namespace

TEST_CASE("zip: entries and their data ranges, with and without zip64 records", "[formats][zip]") {
  for (const bool zip64 : {false, true}) {
    INFO("zip64 " << zip64);
    const wstest::ZipBytes z = zip_archive(kEntries, zip64);
    const auto entries = read(z.bytes);
    REQUIRE(entries.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(entries[i].name == kEntries[i].name);
      CHECK(entries[i].size == kEntries[i].data.size());
      CHECK(entries[i].data_offset % 64 == 0);  // torch's alignment, kept by the builder's padding
      CHECK(std::equal(kEntries[i].data.begin(), kEntries[i].data.end(), z.bytes.begin() + static_cast<long>(entries[i].data_offset)));
    }
  }
}

TEST_CASE("zip: compressed, encrypted and misnamed entries are refused", "[formats][zip]") {
  auto deflated = kEntries;
  deflated[1].method = 8;
  CHECK(error(zip_archive(deflated).bytes) ==
        "model.pt: byte " + std::to_string(zip_archive(deflated).central_at[1]) +
            ": zip entry 'archive/data/0' is compressed (deflate); torch writes stored entries");
  deflated[1].method = 12;
  CHECK_THAT(error(zip_archive(deflated).bytes), Contains("zip entry 'archive/data/0' is compressed (method 12)"));
  wstest::ZipBytes enc = zip_archive(kEntries);
  patch_le(enc.bytes, enc.central_at[2] + 8, 1, 2);
  CHECK_THAT(error(enc.bytes), Contains("zip entry 'archive/version' is encrypted"));

  for (const std::string name : {"archive/../../etc/passwd", "/etc/passwd", "..", "archive\\..\\evil", "C:/evil"}) {
    auto hostile = kEntries;
    hostile[2].name = name;
    CHECK_THAT(error(zip_archive(hostile).bytes),
               Contains("zip entry name '" + name + "' leaves the archive folder (path traversal); refused"));
  }
  auto control = kEntries;
  control[0].name = "archive/data\n.pkl";
  CHECK_THAT(error(zip_archive(control).bytes), Contains("zip entry name contains a control character"));
  auto twice = kEntries;
  twice[2].name = twice[0].name;
  CHECK_THAT(error(zip_archive(twice).bytes), Contains("zip entry 'archive/data.pkl' appears twice"));
  // ".." inside a name component is no traversal.
  auto dots = kEntries;
  dots[2].name = "archive/a..b";
  CHECK(read(zip_archive(dots).bytes).size() == 3);
}

TEST_CASE("zip: zip bombs are refused", "[formats][zip]") {
  // A stored entry that claims more bytes than it stores.
  wstest::ZipBytes claim = zip_archive(kEntries);
  patch_le(claim.bytes, claim.central_at[1] + 24, 0xFFFFFFF0, 4);
  CHECK_THAT(error(claim.bytes),
             Contains("zip entry 'archive/data/0' is stored but claims 4294967280 bytes from 100 stored ones (a zip bomb or a damaged zip)"));
  // Entries that overlap: the first one's bytes run into the second one's (how a few bytes become many files).
  wstest::ZipBytes overlap = zip_archive(kEntries);
  const uint64_t grown = overlap.local_at[2] - 100;
  patch_le(overlap.bytes, overlap.central_at[0] + 20, grown, 4);
  patch_le(overlap.bytes, overlap.central_at[0] + 24, grown, 4);
  CHECK_THAT(error(overlap.bytes),
             Contains("zip entries 'archive/data.pkl' and 'archive/data/0' overlap in the file (a zip bomb or a damaged zip); refused"));
  // Two directory entries for one local header.
  wstest::ZipBytes shared = zip_archive({{"archive/a", {1}}, {"archive/a", {1}}});
  patch_le(shared.bytes, shared.central_at[1] + 46 + 8, 'b', 1);  // rename the second in the directory only
  patch_le(shared.bytes, shared.central_at[1] + 42, shared.local_at[0], 4);
  CHECK_THAT(error(shared.bytes), Contains("zip entry 'archive/b': its local header names it differently"));
  // An entry whose bytes would run past the start of the central directory.
  wstest::ZipBytes past = zip_archive(kEntries);
  patch_le(past.bytes, past.central_at[2] + 20, 1'000'000, 4);
  patch_le(past.bytes, past.central_at[2] + 24, 1'000'000, 4);
  CHECK_THAT(error(past.bytes), Contains("zip entry 'archive/version' claims 1000000 bytes at byte"));
  CHECK_THAT(error(past.bytes), Contains("past the start of the central directory"));
}

TEST_CASE("zip: truncated and damaged archives", "[formats][zip]") {
  const wstest::ZipBytes z = zip_archive(kEntries, true);
  for (const size_t keep : {z.bytes.size() / 2, z.bytes.size() - 1, size_t{30}}) {
    INFO("kept " << keep << " bytes");
    CHECK_THAT(error({z.bytes.begin(), z.bytes.begin() + static_cast<long>(keep)}),
               Contains("no zip end-of-central-directory record at the end of the file (truncated zip?)"));
  }
  CHECK_THAT(error({1, 2, 3}), Contains("file is 3 bytes, too short for a zip archive (truncated?)"));
  // A zip64 archive whose locator is gone: the end record's saturated values cannot be read.
  std::vector<uint8_t> no_locator = z.bytes;
  patch_le(no_locator, z.eocd_at - 20, 0, 4);
  CHECK_THAT(error(no_locator), Contains("end record needs zip64 values but the file has no zip64 locator"));
  // Bytes before the archive move every offset: the directory no longer ends where the end record starts.
  std::vector<uint8_t> shifted(7, 0);
  const wstest::ZipBytes plain = zip_archive(kEntries);
  shifted.insert(shifted.end(), plain.bytes.begin(), plain.bytes.end());
  CHECK_THAT(error(shifted), Contains("does not end at byte"));
  std::vector<uint8_t> entries = plain.bytes;
  patch_le(entries, plain.eocd_at + 8, 9, 2);
  patch_le(entries, plain.eocd_at + 10, 9, 2);
  CHECK_THAT(error(entries), Contains("cannot hold the 9 entries the end record lists"));
  std::vector<uint8_t> split = plain.bytes;
  patch_le(split, plain.eocd_at + 4, 1, 2);
  CHECK_THAT(error(split), Contains("is a split (multi-disk) zip archive; not supported"));
  std::vector<uint8_t> bad_sig = plain.bytes;
  patch_le(bad_sig, plain.central_at[1], 0x12345678, 4);
  CHECK_THAT(error(bad_sig), Contains("central directory entry #1 has a bad signature"));
  std::vector<uint8_t> bad_local = plain.bytes;
  patch_le(bad_local, plain.local_at[1], 0, 4);
  CHECK_THAT(error(bad_local), Contains("zip entry 'archive/data/0': no local file header where the directory points"));
}
