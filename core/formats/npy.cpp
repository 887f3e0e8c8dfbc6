// NumPy .npy reader (format spec: numpy/lib/format.py). The header is a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and '\n';
// it is parsed here by a small strict tokenizer (numpy itself uses ast.literal_eval).
#include "formats/npy.h"

#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

#include "formats/utf8.h"
#include "io/input_error.h"

namespace ws {

namespace {

// numpy refuses headers over 10,000 bytes by default; we allow more but bound what we read.
constexpr uint64_t kMaxNpyHeader = 1'000'000;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};

class DictParser {
 public:
  DictParser(std::string_view text, std::string where) : s_(text), where_(std::move(where)) {}

  NpyHeader parse() {
    NpyHeader h;
    std::set<std::string> seen;
    expect('{');
    while (true) {
      if (peek() == '}') break;
      const std::string key = quoted();
      if (!seen.insert(key).second) fail("key '" + key + "' appears twice");
      expect(':');
      if (key == "descr") {
        if (peek() == '[') fail("structured dtypes (a descr list) are not supported; save a plain float array");
        h.descr = quoted();
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
      } else if (key == "shape") {
        h.shape = tuple();
      } else {
        fail("unexpected key '" + key + "' (expected descr, fortran_order, shape)");
      }
      if (peek() == ',') ++i_;
      else if (peek() != '}') fail("expected ',' or '}'");
    }
    ++i_;
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    if (i_ != s_.size()) fail("unexpected text after the header dict");
    for (const char* k : {"descr", "fortran_order", "shape"})
      if (!seen.count(k)) fail(std::string("header has no '") + k + "' key");
    return h;
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where_ + "header is not a valid .npy dict: " + what + " (at header character " +
                     std::to_string(i_) + ")");
  }

  // Next non-space character without consuming it ('\0' at the end).
  char peek() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }

  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const size_t close = s_.find(q, ++i_);
    if (close == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_, close - i_));
    i_ = close + 1;
    return out;
  }

  bool boolean() {
    peek();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t len = std::strlen(word);
      if (s_.substr(i_, len) == word) {
        i_ += len;
        return value;
      }
    }
    fail("fortran_order must be True or False");
  }

  std::vector<uint64_t> tuple() {
    std::vector<uint64_t> dims;
    expect('(');
    while (peek() != ')') {
      if (peek() < '0' || peek() > '9') fail("shape must be a tuple of non-negative integers");
      uint64_t v = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        const uint64_t digit = static_cast<uint64_t>(s_[i_++] - '0');
        if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) fail("shape dimension does not fit 64 bits");
        v = v * 10 + digit;
      }
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 long literal, written by old numpy
      dims.push_back(v);
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("expected ',' or ')' in shape");
    }
    ++i_;
    return dims;
  }

  std::string_view s_;
  std::string where_;
  size_t i_ = 0;
};

// descr -> Dtype for little-endian floats; anything else gets a message saying what it is.
Dtype npy_dtype(const std::string& descr, const std::string& where) {
  auto reject = [&](const std::string& why) -> InputError {
    return InputError(where + "dtype '" + descr + "' is not supported: " + why);
  };
  if (descr.size() < 2) throw reject("not a numpy type string");
  const char order = descr[0];
  const char kind = descr[1];
  const std::string size = descr.substr(2);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    throw reject("not a numpy type string");
  if (kind == 'O') throw reject("object arrays hold pickled Python objects; save a float array");
  if (kind != 'f') {
    const char* what = kind == 'i' || kind == 'u' ? "integer" : kind == 'b' ? "boolean" : kind == 'c' ? "complex"
                                                                                                      : "non-float";
    throw reject(std::string("the analyzer reads float16/32/64 matrices, this is a ") + what +
                 " type; convert with arr.astype('<f4')");
  }
  Dtype d;
  if (size == "2") d = Dtype::F16;
  else if (size == "4") d = Dtype::F32;
  else if (size == "8") d = Dtype::F64;
  else throw reject("only float16, float32 and float64 are read; convert with arr.astype('<f4')");
  if (order == '>')
    throw reject("big-endian data is not read; convert with arr.astype('<" + descr.substr(1) + "')");
  return d;
}

std::string stem(const std::string& file) {
  const size_t dot = file.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? file : file.substr(0, dot);
}

std::string shape_str(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

TensorInfo parse_npy(ByteSource& src, size_t source_index) {
  const std::string file = src.name();
  const uint64_t size = src.size();
  const std::string where = file + ": ";

  uint8_t pre[12];
  if (size < 10) throw InputError(where + "file is " + std::to_string(size) + " bytes, too short for a .npy header");
  src.read(0, pre, 10);
  if (std::memcmp(pre, "\x93NUMPY", 6) != 0)
    throw InputError(where + "byte 0: missing the .npy magic \\x93NUMPY (not a .npy file?)");
  const int major = pre[6];
  uint64_t header_len, prelude;
  if (major == 1) {
    header_len = pre[8] | (uint64_t{pre[9]} << 8);
    prelude = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw InputError(where + "file is " + std::to_string(size) + " bytes, too short for a .npy header");
    src.read(10, pre + 10, 2);
    header_len = pre[8] | (uint64_t{pre[9]} << 8) | (uint64_t{pre[10]} << 16) | (uint64_t{pre[11]} << 24);
    prelude = 12;
  } else {
    throw InputError(where + "byte 6: .npy format version " + std::to_string(major) + "." + std::to_string(pre[7]) +
                     " is not supported (1.0, 2.0 and 3.0 are)");
  }
  if (header_len > kMaxNpyHeader)
    throw InputError(where + "byte 8: header length " + std::to_string(header_len) + " exceeds the " +
                     std::to_string(kMaxNpyHeader) + "-byte limit");
  if (header_len > size - prelude)
    throw InputError(where + "byte 8: header length " + std::to_string(header_len) + " runs past the end of the " +
                     std::to_string(size) + "-byte file (truncated?)");
  std::string text(static_cast<size_t>(header_len), '\0');
  src.read(prelude, text.data(), text.size());
  // v1/v2 headers are latin-1 and v3 UTF-8, but every valid header is ASCII.
  if (auto bad = first_invalid_utf8(text))
    throw InputError(where + "byte " + std::to_string(prelude + *bad) + ": header is not valid text");
  const NpyHeader h = DictParser(text, where).parse();

  TensorInfo t;
  t.name = stem(file);
  t.dtype = npy_dtype(h.descr, where);
  if (h.shape.size() != 2)
    throw InputError(where + "shape " + shape_str(h.shape) + " is " + std::to_string(h.shape.size()) +
                     "-D; the analyzer reads one 2-D matrix per .npy file");
  // Fortran order stores W column-major, i.e. W^T in C order: same singular values.
  t.shape = h.fortran_order ? std::vector<uint64_t>{h.shape[1], h.shape[0]} : h.shape;
  t.transposed = h.fortran_order;
  const uint64_t item = static_cast<uint64_t>(dtype_bits(t.dtype) / 8);
  const uint64_t rows = t.shape[0], cols = t.shape[1];
  if (rows != 0 && cols > std::numeric_limits<uint64_t>::max() / item / rows)
    throw InputError(where + "shape " + shape_str(h.shape) + " overflows 64-bit arithmetic");
  t.nbytes = rows * cols * item;
  t.offset = prelude + header_len;
  t.source_index = source_index;
  const uint64_t have = size - t.offset;
  if (have != t.nbytes)
    throw InputError(where + "file is " + std::to_string(size) + " bytes but shape " + shape_str(h.shape) + " of '" +
                     h.descr + "' needs " + std::to_string(t.nbytes) + " data bytes after the " +
                     std::to_string(t.offset) + "-byte header, " + (have < t.nbytes ? "which are not all there (truncated file?)" : "and there are trailing bytes"));
  return t;
}

std::string npy_float64(const std::vector<double>& values, uint64_t rows, uint64_t cols) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the writer stores the host's doubles as '<f8'");
  if (values.size() != rows * cols) throw std::logic_error("npy_float64: values do not fill the shape");
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  // Version 1.0 when the header fits its 16-bit length; numpy pads the whole prelude to 64 bytes.
  const bool v1 = header.size() + 11 < 65536;
  const size_t prelude = v1 ? 10 : 12;
  header.append(63 - (prelude + header.size()) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  for (size_t i = 0, len = header.size(); i < prelude - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  out += header;
  const size_t data = out.size();
  out.resize(data + values.size() * sizeof(double));
  std::memcpy(out.data() + data, values.data(), values.size() * sizeof(double));
  return out;
}

}  // namespace ws
