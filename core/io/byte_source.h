#pragma once
// Random-access bytes: a file natively, a browser File in wasm. The core reads a model
// only through this, one header or one tensor at a time, so memory never grows with file size.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ws {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at offset into dst; throws InputError if they are not there.
  virtual void read(uint64_t offset, void* dst, size_t n) = 0;
  // The name shown in messages and used to resolve shards (a file name, no folder).
  virtual std::string name() const = 0;
};

// A file on disk (native builds).
std::unique_ptr<ByteSource> open_file_source(const std::string& path);

// Bytes held in memory (tests, small inputs).
std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes, std::string name);

}  // namespace ws
