#include "file_source.h"

#include <algorithm>
#include <string>

#include "io/input_error.h"

namespace ws {
namespace {

using emscripten::val;

// Each read copies through one JS ArrayBuffer; chunks bound that transient buffer (and stay far
// below the ArrayBuffer size limits of browsers) whatever the tensor size.
constexpr size_t kChunk = size_t(64) << 20;

class BrowserFileSource : public ByteSource {
 public:
  BrowserFileSource(val file, std::string name)
      : file_(std::move(file)), name_(std::move(name)),
        // File.size is a JS number: exact up to 2^53 bytes.
        size_(static_cast<uint64_t>(file_["size"].as<double>())),
        read_(val::module_property("wsReadFile")) {}

  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }

  void read(uint64_t offset, void* dst, size_t n) override {
    if (offset > size_ || n > size_ - offset)
      throw InputError(name_ + ": read of " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                       " is past the end of the file (" + std::to_string(size_) + " bytes)");
    auto* out = static_cast<unsigned char*>(dst);
    for (size_t done = 0; done < n;) {
      const size_t len = std::min(kChunk, n - done);
      const uint64_t at = offset + done;
      // Addresses as doubles: a wasm32 pointer above 2 GiB would arrive in JS as a negative int.
      const int status = read_(file_, static_cast<double>(at), static_cast<double>(len),
                               static_cast<double>(reinterpret_cast<uintptr_t>(out + done)))
                             .as<int>();
      if (status == 1) throw InputError(name_ + ": short read at offset " + std::to_string(at));
      if (status != 0)
        throw InputError(name_ + ": the browser could not read the file at offset " + std::to_string(at) +
                         " (was it moved or changed after it was picked?)");
      done += len;
    }
  }

 private:
  val file_;
  std::string name_;
  uint64_t size_;
  val read_;
};

}  // namespace

std::unique_ptr<ByteSource> browser_file_source(val file, std::string name) {
  return std::make_unique<BrowserFileSource>(std::move(file), std::move(name));
}

}  // namespace ws
