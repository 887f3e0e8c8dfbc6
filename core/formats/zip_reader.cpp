// Zip directory reader (PKWARE APPNOTE.TXT 6.3.x, sections 4.3.6-4.3.16 and 4.5.3). torch.save
// writes through miniz: stored entries, data aligned to 64 bytes by padding in the local extra
// field, sizes in data descriptors (flag bit 3) and in the central directory, and zip64 records
// whether or not they are needed. The central directory is the authority; each local header is
// checked against it.
#include "formats/zip_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "formats/utf8.h"
#include "io/byte_cursor.h"
#include "io/input_error.h"

namespace ws {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22, kZip64EocdSize = 56, kZip64LocatorSize = 20;
constexpr size_t kCentralSize = 46, kLocalSize = 30;
constexpr uint64_t kMaxComment = 0xFFFF;
constexpr uint64_t kMaxCentralDirectory = 512ull << 20;  // ~5M names of 100 bytes; bounds the walk

uint64_t le_at(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

struct Directory {
  uint64_t entries = 0, cd_offset = 0, cd_size = 0;
  uint64_t cd_end = 0;  // where the central directory must end: the next record's start
};

class ZipReader {
 public:
  explicit ZipReader(ByteSource& src) : src_(src), file_(src.name()), size_(src.size()) {}

  std::vector<ZipEntry> read() {
    const Directory d = end_records();
    std::vector<ZipEntry> entries = central_directory(d);
    check_names_unique(entries);
    locate_data(entries, d.cd_offset);
    return entries;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_ + ": " + what); }
  [[noreturn]] void fail_at(uint64_t byte, const std::string& what) const {
    fail("byte " + std::to_string(byte) + ": " + what);
  }

  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  Directory end_records() {
    if (size_ < kEocdSize) fail("file is " + std::to_string(size_) + " bytes, too short for a zip archive (truncated?)");
    const uint64_t tail_start = size_ - std::min<uint64_t>(size_, kEocdSize + kMaxComment);
    std::vector<uint8_t> tail(static_cast<size_t>(size_ - tail_start));
    src_.read(tail_start, tail.data(), tail.size());
    size_t at = tail.size() - kEocdSize + 1;
    bool found = false;
    while (at-- > 0) {
      if (le_at(&tail[at], 4) == kEocdSig && at + kEocdSize + le_at(&tail[at + 20], 2) == tail.size()) {
        found = true;
        break;
      }
    }
    if (!found) fail("no zip end-of-central-directory record at the end of the file (truncated zip?)");
    const uint8_t* e = &tail[at];
    const uint64_t eocd = tail_start + at;
    const uint64_t disk = le_at(e + 4, 2), cd_disk = le_at(e + 6, 2);
    Directory d;
    const uint64_t on_disk = le_at(e + 8, 2);
    d.entries = le_at(e + 10, 2);
    d.cd_size = le_at(e + 12, 4);
    d.cd_offset = le_at(e + 16, 4);
    d.cd_end = eocd;

    const bool saturated = disk == 0xFFFF || cd_disk == 0xFFFF || on_disk == 0xFFFF || d.entries == 0xFFFF ||
                           d.cd_size == 0xFFFFFFFF || d.cd_offset == 0xFFFFFFFF;
    uint8_t loc[kZip64LocatorSize] = {};
    if (eocd >= kZip64LocatorSize) src_.read(eocd - kZip64LocatorSize, loc, sizeof loc);
    if (le_at(loc, 4) == kZip64LocatorSig) {
      const uint64_t record = le_at(loc + 8, 8);
      if (le_at(loc + 4, 4) != 0 || le_at(loc + 16, 4) > 1) fail("is a split (multi-disk) zip archive; not supported");
      if (record > eocd - kZip64LocatorSize || eocd - kZip64LocatorSize - record < kZip64EocdSize)
        fail_at(eocd - kZip64LocatorSize, "zip64 locator points at byte " + std::to_string(record) +
                                              ", which leaves no room for the zip64 end record (truncated zip?)");
      uint8_t z[kZip64EocdSize];
      src_.read(record, z, sizeof z);
      if (le_at(z, 4) != kZip64EocdSig) fail_at(record, "no zip64 end-of-central-directory record where its locator points");
      if (le_at(z + 16, 4) != 0 || le_at(z + 20, 4) != 0) fail("is a split (multi-disk) zip archive; not supported");
      if (le_at(z + 24, 8) != le_at(z + 32, 8)) fail("is a split (multi-disk) zip archive; not supported");
      d.entries = le_at(z + 32, 8);
      d.cd_size = le_at(z + 40, 8);
      d.cd_offset = le_at(z + 48, 8);
      d.cd_end = record;
    } else if (saturated) {
      fail_at(eocd, "end record needs zip64 values but the file has no zip64 locator (truncated zip?)");
    } else if (disk != 0 || cd_disk != 0 || on_disk != d.entries) {
      fail("is a split (multi-disk) zip archive; not supported");
    }
    // Written as comparisons that cannot overflow: the directory must end exactly where the next
    // record starts (a prefix before the archive, or a cut, moves every offset).
    if (d.cd_offset > d.cd_end || d.cd_size != d.cd_end - d.cd_offset)
      fail("central directory [" + std::to_string(d.cd_offset) + ", +" + std::to_string(d.cd_size) +
           ") does not end at byte " + std::to_string(d.cd_end) + " where the end record starts (truncated or damaged zip?)");
    if (d.entries > kMaxZipEntries)
      fail("zip archive lists " + std::to_string(d.entries) + " entries, over the limit of " + std::to_string(kMaxZipEntries));
    if (d.cd_size > kMaxCentralDirectory)
      fail("central directory is " + std::to_string(d.cd_size) + " bytes, over the limit of " +
           std::to_string(kMaxCentralDirectory));
    if (d.entries > d.cd_size / kCentralSize)
      fail("central directory of " + std::to_string(d.cd_size) + " bytes cannot hold the " + std::to_string(d.entries) +
           " entries the end record lists (damaged zip?)");
    return d;
  }

  void check_name(const std::string& name, uint64_t at) const {
    if (name.empty()) fail_at(at, "zip entry has an empty name");
    if (first_invalid_utf8(name)) fail_at(at, "zip entry name is not valid UTF-8");
    for (unsigned char c : name)
      if (c < 0x20 || c == 0x7F) fail_at(at, "zip entry name contains a control character");
    // We never write files, but a name that would leave the archive folder marks a hostile or
    // broken archive: torch never writes one.
    bool traversal = name[0] == '/' || name.find('\\') != std::string::npos ||
                     (name.size() >= 2 && name[1] == ':');
    for (size_t start = 0; !traversal && start <= name.size();) {
      const size_t slash = std::min(name.find('/', start), name.size());
      traversal = name.compare(start, slash - start, "..") == 0;
      start = slash + 1;
    }
    if (traversal) fail_at(at, "zip entry name '" + name + "' leaves the archive folder (path traversal); refused");
  }

  std::vector<ZipEntry> central_directory(const Directory& d) {
    ByteCursor c(src_, d.cd_offset, d.cd_offset + d.cd_size);
    std::vector<ZipEntry> out;
    out.reserve(static_cast<size_t>(d.entries));
    for (uint64_t i = 0; i < d.entries; ++i) {
      const uint64_t at = c.pos();
      if (c.remaining() < kCentralSize)
        fail_at(at, "central directory ends inside entry #" + std::to_string(i) + " (damaged zip?)");
      uint8_t h[kCentralSize];
      c.read(h, sizeof h);
      if (le_at(h, 4) != kCentralSig) fail_at(at, "central directory entry #" + std::to_string(i) + " has a bad signature");
      const uint64_t flags = le_at(h + 8, 2), method = le_at(h + 10, 2);
      uint64_t csize = le_at(h + 20, 4), usize = le_at(h + 24, 4), offset = le_at(h + 42, 4);
      uint64_t disk = le_at(h + 34, 2);
      const size_t name_len = le_at(h + 28, 2), extra_len = le_at(h + 30, 2), comment_len = le_at(h + 32, 2);
      if (c.remaining() < name_len + extra_len + comment_len)
        fail_at(at, "central directory ends inside entry #" + std::to_string(i) + " (damaged zip?)");
      ZipEntry e;
      e.name = c.string(name_len);
      check_name(e.name, at);
      const std::string extra = c.string(extra_len);
      c.skip(comment_len);
      zip64_extra(extra, at, usize, csize, offset, disk);

      const std::string entry = "zip entry '" + e.name + "'";
      if (flags & 1u) fail_at(at, entry + " is encrypted; not supported");
      if (method == 8) fail_at(at, entry + " is compressed (deflate); torch writes stored entries");
      if (method != 0)
        fail_at(at, entry + " is compressed (method " + std::to_string(method) + "); torch writes stored entries");
      if (disk != 0) fail("is a split (multi-disk) zip archive; not supported");
      if (csize != usize)
        fail_at(at, entry + " is stored but claims " + std::to_string(usize) + " bytes from " + std::to_string(csize) +
                        " stored ones (a zip bomb or a damaged zip)");
      e.size = usize;
      e.data_offset = offset;  // the local header's offset until locate_data
      out.push_back(std::move(e));
    }
    if (c.remaining() != 0)
      fail_at(c.pos(), "central directory has " + std::to_string(c.remaining()) + " bytes after its " +
                           std::to_string(d.entries) + " entries (damaged zip?)");
    return out;
  }

  // The zip64 extended-information field (header id 1) holds, in this order, each of the four
  // values whose 32/16-bit field is saturated.
  void zip64_extra(const std::string& extra, uint64_t at, uint64_t& usize, uint64_t& csize, uint64_t& offset,
                   uint64_t& disk) const {
    const auto* p = reinterpret_cast<const uint8_t*>(extra.data());
    size_t i = 0;
    while (i + 4 <= extra.size()) {
      const uint64_t id = le_at(p + i, 2), len = le_at(p + i + 2, 2);
      if (i + 4 + len > extra.size()) fail_at(at, "zip entry extra field runs past its end (damaged zip?)");
      if (id == 1) {
        size_t k = i + 4;
        const size_t end = k + static_cast<size_t>(len);
        auto take = [&](uint64_t& v, uint64_t saturated, int bytes) {
          if (v != saturated) return;
          if (k + static_cast<size_t>(bytes) > end) fail_at(at, "zip64 extra field is too short for its entry (damaged zip?)");
          v = le_at(p + k, bytes);
          k += static_cast<size_t>(bytes);
        };
        take(usize, 0xFFFFFFFF, 8);
        take(csize, 0xFFFFFFFF, 8);
        take(offset, 0xFFFFFFFF, 8);
        take(disk, 0xFFFF, 4);
        return;
      }
      i += 4 + static_cast<size_t>(len);
    }
    if (usize == 0xFFFFFFFF || csize == 0xFFFFFFFF || offset == 0xFFFFFFFF)
      fail_at(at, "zip entry needs zip64 sizes but has no zip64 extra field (damaged zip?)");
  }

  void check_names_unique(const std::vector<ZipEntry>& entries) const {
    std::vector<const std::string*> names;
    names.reserve(entries.size());
    for (const ZipEntry& e : entries) names.push_back(&e.name);
    std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    for (size_t i = 1; i < names.size(); ++i)
      if (*names[i] == *names[i - 1]) fail("zip entry '" + *names[i] + "' appears twice");
  }

  // Turns local-header offsets into data offsets; every entry's header and data must lie before
  // the central directory and apart from every other entry (overlapping entries are how zip
  // bombs multiply a few bytes into many files).
  void locate_data(std::vector<ZipEntry>& entries, uint64_t cd_offset) const {
    std::vector<uint64_t> header(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      ZipEntry& e = entries[i];
      const uint64_t at = header[i] = e.data_offset;
      const std::string entry = "zip entry '" + e.name + "'";
      if (at > cd_offset || cd_offset - at < kLocalSize)
        fail(entry + ": its local header at byte " + std::to_string(at) + " is not before the central directory");
      // The header and the name it should hold, in one read (each read is a File.slice in the browser).
      std::vector<uint8_t> h(kLocalSize + static_cast<size_t>(std::min<uint64_t>(e.name.size(), cd_offset - at - kLocalSize)));
      src_.read(at, h.data(), h.size());
      if (le_at(h.data(), 4) != kLocalSig) fail_at(at, entry + ": no local file header where the directory points");
      const uint64_t name_len = le_at(&h[26], 2), extra_len = le_at(&h[28], 2);
      if (le_at(&h[8], 2) != 0) fail_at(at, entry + " is compressed in its local header; torch writes stored entries");
      const uint64_t data = at + kLocalSize + name_len + extra_len;
      if (data > cd_offset || e.size > cd_offset - data)
        fail_at(at, entry + " claims " + std::to_string(e.size) + " bytes at byte " + std::to_string(data) +
                        ", past the start of the central directory at byte " + std::to_string(cd_offset) +
                        " (a zip bomb or a truncated zip)");
      if (name_len != e.name.size() || !std::equal(e.name.begin(), e.name.end(), h.begin() + kLocalSize))
        fail_at(at, entry + ": its local header names it differently (damaged zip?)");
      e.data_offset = data;
    }
    std::vector<size_t> order(entries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return header[a] < header[b]; });
    for (size_t k = 1; k < order.size(); ++k) {
      const ZipEntry &prev = entries[order[k - 1]], &next = entries[order[k]];
      if (prev.data_offset + prev.size > header[order[k]])
        fail("zip entries '" + prev.name + "' and '" + next.name +
             "' overlap in the file (a zip bomb or a damaged zip); refused");
    }
  }

  ByteSource& src_;
  const std::string file_;
  const uint64_t size_;
};

}  // namespace

std::vector<ZipEntry> read_zip_directory(ByteSource& src) { return ZipReader(src).read(); }

}  // namespace ws
