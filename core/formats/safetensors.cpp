// safetensors header reader. Validation mirrors huggingface/safetensors `SafeTensors::read_metadata`
// + `Metadata::validate` (docs/methods.md, "safetensors validation"), plus what that reader leaves to chance:
// duplicate names and fields, JSON nesting depth, non-string metadata, offsets beyond 2^53.
// The header is parsed with a SAX handler straight into TensorInfo, so a 100 MB header of tiny
// tensors costs about its own size in memory, not a DOM several times larger.
#include "formats/safetensors.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "formats/utf8.h"
#include "io/input_error.h"

namespace ws {

namespace {

constexpr int kMaxJsonDepth = 64;  // a valid header nests 3 deep; the cap only bounds hostile input

std::string list_str(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

struct Entry {
  TensorInfo info;
  uint64_t offsets[2] = {0, 0};  // data_offsets as written: [begin, end), relative to the data buffer
  size_t n_offsets = 0;          // how many numbers data_offsets held (must be 2)
  bool has_dtype = false, has_shape = false, has_offsets = false;
};

std::string offsets_str(const Entry& e) {
  return "[" + std::to_string(e.offsets[0]) + "," + std::to_string(e.offsets[1]) + "]";
}

// Events arrive in document order; `state_` says which value the next event is.
class HeaderSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  std::string error;                      // set when a handler stops the parse
  std::optional<size_t> syntax_position;  // byte within the header, for JSON syntax errors

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t) override { return scalar("a negative number"); }
  bool number_float(number_float_t, const string_t&) override { return scalar("a non-integer number"); }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool number_unsigned(number_unsigned_t v) override {
    if (state_ == State::Skip) return true;
    if (state_ != State::Array) return scalar("a number");
    Entry& e = cur();
    if (field_ == Field::Shape) e.info.shape.push_back(v);
    else if (e.n_offsets++ < 2) e.offsets[e.n_offsets - 1] = v;
    return true;
  }

  bool string(string_t& s) override {
    switch (state_) {
      case State::Skip:
        return true;
      case State::MetaValue:
        metadata[key_] = std::move(s);
        state_ = State::Meta;
        return true;
      case State::Field:
        if (field_ != Field::Dtype) return scalar("a string");
        if (auto d = parse_dtype(s)) {
          cur().info.dtype = *d;
          state_ = State::Tensor;
          return true;
        }
        return fail(tensor_where() + "unknown dtype '" + s + "'");
      default:
        return scalar("a string");
    }
  }

  bool start_object(std::size_t) override {
    if (!enter()) return false;
    switch (state_) {
      case State::Skip: ++skip_; return true;
      case State::Start: state_ = State::Root; return true;
      case State::RootValue:
        if (key_ == "__metadata__") {
          state_ = State::Meta;
        } else {
          entries.emplace_back();
          cur().info.name = key_;
          state_ = State::Tensor;
        }
        return true;
      case State::Field:
        if (field_ == Field::Other) return skip();
        return scalar("an object");
      default:
        return scalar("an object");
    }
  }

  bool start_array(std::size_t) override {
    if (!enter()) return false;
    if (state_ == State::Skip) {
      ++skip_;
      return true;
    }
    if (state_ == State::Field && (field_ == Field::Shape || field_ == Field::Offsets)) {
      state_ = State::Array;
      return true;
    }
    if (state_ == State::Field && field_ == Field::Other) return skip();
    return scalar("an array");
  }

  bool key(string_t& k) override {
    switch (state_) {
      case State::Root:
        // Duplicate tensor names are found after the parse (sorting beats a hash set on memory);
        // a second __metadata__ must be caught here because it is not kept as an entry.
        if (k == "__metadata__" && std::exchange(seen_metadata_, true)) return fail("'__metadata__' appears twice");
        key_ = std::move(k);
        state_ = State::RootValue;
        return true;
      case State::Meta:
        if (metadata.count(k)) return fail("__metadata__ key '" + k + "' appears twice");
        key_ = std::move(k);
        state_ = State::MetaValue;
        return true;
      case State::Tensor: return tensor_field(k);
      default: return true;  // State::Skip
    }
  }

  bool end_object() override {
    --depth_;
    switch (state_) {
      case State::Skip: return leave_skip();
      case State::Root: state_ = State::Done; return true;
      case State::Meta: state_ = State::Root; return true;
      default: {  // State::Tensor
        const Entry& e = cur();
        const char* missing = !e.has_dtype ? "dtype" : !e.has_shape ? "shape" : !e.has_offsets ? "data_offsets" : nullptr;
        if (missing) return fail(tensor_where() + "missing field '" + missing + "'");
        state_ = State::Root;
        return true;
      }
    }
  }

  bool end_array() override {
    --depth_;
    if (state_ == State::Skip) return leave_skip();
    if (field_ == Field::Offsets && cur().n_offsets != 2)
      return fail(tensor_where() + "data_offsets must be [begin, end], got " + std::to_string(cur().n_offsets) +
                  " numbers");
    state_ = State::Tensor;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    const size_t bracket = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] " tag
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    syntax_position = position;
    error = "header is not valid JSON (" + what + ")";
    return false;
  }

 private:
  enum class State { Start, Root, RootValue, Meta, MetaValue, Tensor, Field, Array, Skip, Done };
  enum class Field { Dtype, Shape, Offsets, Other };

  Entry& cur() { return entries.back(); }
  std::string tensor_where() const { return "tensor '" + entries.back().info.name + "': "; }

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  bool enter() {
    if (++depth_ > kMaxJsonDepth)
      return fail("header JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  }

  bool skip() {
    state_ = State::Skip;
    skip_ = 1;
    return true;
  }

  bool leave_skip() {
    if (--skip_ == 0) state_ = State::Tensor;
    return true;
  }

  bool tensor_field(const std::string& k) {
    Entry& e = cur();
    bool* seen = nullptr;
    if (k == "dtype") field_ = Field::Dtype, seen = &e.has_dtype;
    else if (k == "shape") field_ = Field::Shape, seen = &e.has_shape;
    else if (k == "data_offsets") field_ = Field::Offsets, seen = &e.has_offsets;
    else field_ = Field::Other;  // the reference's serde struct ignores unknown fields; so do we
    if (seen) {
      if (*seen) return fail(tensor_where() + "field '" + k + "' appears twice");
      *seen = true;
    }
    state_ = State::Field;
    return true;
  }

  // A value of the wrong kind for where it stands (unknown tensor fields accept anything).
  bool scalar(const char* kind) {
    switch (state_) {
      case State::Skip: return true;
      case State::Field:
        if (field_ == Field::Other) {
          state_ = State::Tensor;
          return true;
        }
        if (field_ == Field::Dtype) return fail(tensor_where() + "dtype must be a string, got " + kind);
        return fail(tensor_where() + (field_ == Field::Shape ? "shape" : "data_offsets") +
                    " must be an array of non-negative integers, got " + kind);
      case State::Array:
        return fail(tensor_where() + (field_ == Field::Shape ? "shape" : "data_offsets") +
                    " must hold non-negative integers below 2^64, got " + kind);
      case State::MetaValue:
        return fail("__metadata__ value for key '" + key_ + "' must be a string, got " + kind);
      case State::RootValue:
        if (key_ == "__metadata__") {
          if (std::string(kind) == "null") {  // Option<HashMap> in the reference: null means none
            state_ = State::Root;
            return true;
          }
          return fail(std::string("__metadata__ must be an object of strings, got ") + kind);
        }
        return fail("tensor '" + key_ + "': entry must be an object, got " + kind);
      default:  // State::Start
        return fail(std::string("header must be a JSON object, got ") + kind);
    }
  }

  State state_ = State::Start;
  Field field_ = Field::Other;
  int depth_ = 0, skip_ = 0;
  std::string key_;
  bool seen_metadata_ = false;
};

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

}  // namespace

SafetensorsFile parse_safetensors(ByteSource& src, size_t source_index) {
  const std::string file = src.name();
  const uint64_t size = src.size();
  auto error = [&](uint64_t byte, const std::string& what) {
    return InputError(file + ": byte " + std::to_string(byte) + ": " + what);
  };

  if (size < 8)
    throw error(0, "file is " + std::to_string(size) +
                       " bytes, too short for the 8-byte header length (not a safetensors file?)");
  uint8_t prefix[8];
  src.read(0, prefix, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];  // little-endian u64
  if (n > kMaxSafetensorsHeader)
    throw error(0, "header length " + std::to_string(n) + " exceeds the " + std::to_string(kMaxSafetensorsHeader) +
                       "-byte limit (not a safetensors file?)");
  if (n > size - 8)
    throw error(0, "header length " + std::to_string(n) + " runs past the end of the " + std::to_string(size) +
                       "-byte file (truncated or not a safetensors file?)");

  std::string header(static_cast<size_t>(n), '\0');
  src.read(8, header.data(), header.size());
  if (auto bad = first_invalid_utf8(header)) throw error(8 + *bad, "header is not valid UTF-8");
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore what follows it.
  if (const size_t nul = header.find('\0'); nul != std::string::npos)
    throw error(8 + nul, "header contains a NUL byte (not valid JSON)");

  HeaderSax sax;
  const bool ok = nlohmann::json::sax_parse(header, &sax, nlohmann::json::input_format_t::json, /*strict=*/true);
  if (!ok || !sax.error.empty()) {
    // nlohmann reports how many bytes it had read; the bad byte is the last of them.
    const uint64_t at = 8 + (sax.syntax_position ? std::max<size_t>(*sax.syntax_position, 1) - 1 : 0);
    throw error(sax.syntax_position ? at : 8, sax.error.empty() ? "header is not valid JSON" : sax.error);
  }

  std::string().swap(header);  // not needed any more; a hostile header can be 100 MB
  std::vector<Entry>& entries = sax.entries;
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;

  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return entries[a].info.name < entries[b].info.name; });
  for (size_t i = 1; i < order.size(); ++i)
    if (entries[order[i]].info.name == entries[order[i - 1]].info.name)
      throw error(8, "tensor name '" + entries[order[i]].info.name + "' appears twice in the header");

  // Contiguity walk in data-offset order: each tensor must start where the previous ended, which
  // rejects overlaps, gaps and aliasing all at once. Ties (zero-sized tensors) keep JSON order.
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Entry &x = entries[a], &y = entries[b];
    return x.offsets[0] != y.offsets[0] ? x.offsets[0] < y.offsets[0] : x.offsets[1] < y.offsets[1];
  });
  const uint64_t data_start = 8 + n;
  uint64_t end = 0;
  SafetensorsFile out;
  out.header_size = n;
  out.metadata = std::move(sax.metadata);
  out.tensors.reserve(entries.size());
  for (size_t index : order) {
    Entry& e = entries[index];
    TensorInfo& t = e.info;
    const std::string where = file + ": tensor '" + t.name + "': ";
    const uint64_t begin = e.offsets[0], stop = e.offsets[1];
    if (begin != end || stop < begin)
      throw InputError(where + "data_offsets " + offsets_str(e) + " do not follow the previous tensor's end " +
                       std::to_string(end) + " (overlap or gap)");
    std::optional<uint64_t> elements = 1;
    for (uint64_t d : t.shape)
      if (elements) elements = checked_mul(*elements, d);
    const std::optional<uint64_t> bits =
        elements ? checked_mul(*elements, static_cast<uint64_t>(dtype_bits(t.dtype))) : std::nullopt;
    if (!bits) throw InputError(where + "shape " + list_str(t.shape) + " overflows 64-bit arithmetic");
    if (*bits % 8 != 0)
      throw InputError(where + std::to_string(*elements) + " elements of " + dtype_name(t.dtype) +
                       " do not fill whole bytes");
    if (stop - begin != *bits / 8)
      throw InputError(where + "data_offsets " + offsets_str(e) + " hold " + std::to_string(stop - begin) +
                       " bytes but shape " + list_str(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                       std::to_string(*bits / 8));
    end = stop;
    t.offset = data_start + begin;  // cannot overflow: checked against the file size below
    t.nbytes = stop - begin;
    t.source_index = source_index;
    out.tensors.push_back(std::move(t));
  }
  if (end != size - data_start) {
    const bool beyond = end > size - data_start;
    // data_start + end may exceed 2^64 in hostile headers; print it as a sum then.
    const std::string data_end = end <= std::numeric_limits<uint64_t>::max() - data_start
                                     ? std::to_string(data_start + end)
                                     : std::to_string(data_start) + " + " + std::to_string(end);
    throw InputError(file + ": file is " + std::to_string(size) + " bytes but the header says the data ends at byte " +
                     data_end + (beyond ? " (truncated file?)" : " (trailing bytes after the last tensor)"));
  }
  return out;
}

}  // namespace ws
