#include <cstring>
#include <utility>

#include "io/byte_source.h"
#include "io/input_error.h"

namespace ws {

namespace {

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::vector<uint8_t> bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}

  uint64_t size() const override { return bytes_.size(); }

  void read(uint64_t offset, void* dst, size_t n) override {
    // Written as two comparisons so offset + n cannot overflow.
    if (offset > bytes_.size() || n > bytes_.size() - offset)
      throw InputError(name_ + ": byte " + std::to_string(offset) + ": cannot read " + std::to_string(n) +
                       " bytes, the data is only " + std::to_string(bytes_.size()) + " bytes long");
    if (n) std::memcpy(dst, bytes_.data() + offset, n);
  }

  std::string name() const override { return name_; }

 private:
  std::vector<uint8_t> bytes_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes, std::string name) {
  return std::make_unique<MemorySource>(std::move(bytes), std::move(name));
}

}  // namespace ws
