// POSIX file reads with 64-bit offsets (pread): no shared file position, no size limit at 2 GiB.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/byte_source.h"
#include "io/input_error.h"

namespace ws {

namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t size() const override { return size_; }

  void read(uint64_t offset, void* dst, size_t n) override {
    auto* out = static_cast<uint8_t*>(dst);
    size_t done = 0;
    while (done < n) {
      const uint64_t at = offset + done;
      if (at < offset || at > static_cast<uint64_t>(INT64_MAX)) break;  // beyond any off_t
      const ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0)
        throw InputError(name_ + ": byte " + std::to_string(at) + ": read failed: " + std::strerror(errno));
      if (r == 0) break;  // end of file: the file is shorter than the caller expected
      done += static_cast<size_t>(r);
    }
    if (done < n)
      throw InputError(name_ + ": byte " + std::to_string(offset) + ": cannot read " + std::to_string(n) +
                       " bytes, the file ends after " + std::to_string(done) + " (was it truncated or changed?)");
  }

  std::string name() const override { return name_; }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw InputError("cannot open " + path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InputError("cannot open " + path + ": it is a folder, not a file");
  }
  return std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), base_name(path));
}

}  // namespace ws
