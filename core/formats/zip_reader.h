#pragma once
// The directory of a zip archive whose entries are stored (not compressed), as torch.save writes
// them (PKWARE APPNOTE 6.3: end-of-central-directory record, zip64 records, central directory,
// local headers). Only names and byte ranges are read; the data stays in the file.
#include <cstdint>
#include <string>
#include <vector>

#include "io/byte_source.h"

namespace ws {

constexpr uint64_t kMaxZipEntries = 1'000'000;  // a state dict has one entry per storage

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // absolute offset of the entry's bytes in the source
  uint64_t size = 0;
};

// Entries in central-directory order. Refuses (InputError "<file>: ...") compressed or encrypted
// entries, names that leave the archive (absolute, "..", backslashes, control characters),
// duplicate names, entries that overlap one another or run past the directory (zip bombs), split
// archives, and anything truncated or inconsistent.
std::vector<ZipEntry> read_zip_directory(ByteSource& src);

}  // namespace ws
