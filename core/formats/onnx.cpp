// ONNX reader: ModelProto -> graph -> node / initializer -> TensorProto, walked once, front to back,
// by the schema: each message is entered only where the schema says a message is, so nesting is at
// most six levels deep (model, graph, node, attribute, tensor, external-data entry) whatever the
// file holds, and every other field is skipped by its wire type without being read.
#include "formats/onnx.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "formats/protobuf_wire.h"
#include "formats/utf8.h"
#include "io/input_error.h"

namespace ws {
namespace {

constexpr uint64_t kMaxNameBytes = 65535;       // tensor, node, op, attribute names and locations
constexpr uint64_t kMaxShownString = 64 << 10;  // longer metadata strings are summarized
constexpr uint64_t kMaxDims = 64;               // far beyond any real tensor's rank; bounds what is kept
// A 6-byte TensorProto becomes a record of a few hundred bytes, so a hostile file of tiny tensors
// or nodes could take many times its size in memory: these bound it (real graphs hold up to ~10^4
// weights and ~10^5 nodes).
constexpr size_t kMaxTensors = size_t(1) << 20;
constexpr size_t kMaxNodes = size_t(1) << 22;

// Field numbers of onnx/onnx.proto. The schema only ever adds fields, so these stay valid.
enum ModelField : uint32_t {
  kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kModelDomain = 4, kModelVersion = 5, kModelDoc = 6,
  kGraph = 7, kOpsetImport = 8, kMetadataProps = 14, kTrainingInfo = 20, kFunctions = 25,
};
enum GraphField : uint32_t { kNode = 1, kInitializer = 5 };
enum NodeField : uint32_t { kNodeInput = 1, kNodeOutput = 2, kOpType = 4, kAttribute = 5, kNodeDomain = 7 };
enum AttributeField : uint32_t { kAttrName = 1, kAttrInt = 3, kAttrTensor = 5, kAttrType = 20 };
enum TensorField : uint32_t {
  kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kStringData = 6, kInt64Data = 7,
  kTensorName = 8, kRawData = 9, kDoubleData = 10, kUint64Data = 11, kExternalData = 13, kDataLocation = 14,
};
enum EntryField : uint32_t { kEntryKey = 1, kEntryValue = 2 };  // StringStringEntryProto
enum OpsetField : uint32_t { kOpsetDomain = 1, kOpsetVersion = 2 };
constexpr uint64_t kAttrTypeTensor = 4;  // AttributeProto.AttributeType TENSOR
constexpr uint64_t kLocationDefault = 0, kLocationExternal = 1;

// TensorProto.DataType: its name and the Dtype its elements are, where this reader reads them.
struct OnnxType {
  const char* name;
  std::optional<Dtype> dtype;
};

OnnxType onnx_type(uint64_t code) {
  static const OnnxType kTypes[] = {
      {"UNDEFINED", std::nullopt},       {"FLOAT", Dtype::F32},      {"UINT8", Dtype::U8},
      {"INT8", Dtype::I8},               {"UINT16", Dtype::U16},     {"INT16", Dtype::I16},
      {"INT32", Dtype::I32},             {"INT64", Dtype::I64},      {"STRING", std::nullopt},
      {"BOOL", Dtype::BOOL},             {"FLOAT16", Dtype::F16},    {"DOUBLE", Dtype::F64},
      {"UINT32", Dtype::U32},            {"UINT64", Dtype::U64},     {"COMPLEX64", Dtype::C64},
      {"COMPLEX128", std::nullopt},      {"BFLOAT16", Dtype::BF16},  {"FLOAT8E4M3FN", Dtype::F8_E4M3},
      {"FLOAT8E4M3FNUZ", Dtype::F8_E4M3FNUZ}, {"FLOAT8E5M2", Dtype::F8_E5M2}, {"FLOAT8E5M2FNUZ", Dtype::F8_E5M2FNUZ},
      {"UINT4", std::nullopt},           {"INT4", std::nullopt},     {"FLOAT4E2M1", std::nullopt},
      {"FLOAT8E8M0", Dtype::F8_E8M0},
  };
  if (code < std::size(kTypes)) return kTypes[code];
  return {nullptr, std::nullopt};
}

// The typed field that holds elements of dtype d when raw_data is not used.
uint32_t typed_field(Dtype d) {
  switch (d) {
    case Dtype::F32: case Dtype::C64: return kFloatData;
    case Dtype::F64: return kDoubleData;
    case Dtype::I64: return kInt64Data;
    case Dtype::U32: case Dtype::U64: return kUint64Data;
    default: return kInt32Data;  // the 8- and 16-bit types (FLOAT16 and BFLOAT16 as their bits), INT32
  }
}

const char* typed_field_name(uint32_t field) {
  switch (field) {
    case kFloatData: return "float_data";
    case kInt32Data: return "int32_data";
    case kInt64Data: return "int64_data";
    case kDoubleData: return "double_data";
    default: return "uint64_data";
  }
}

// Bytes of one stored value of a typed field: fixed for float_data / double_data; a varint's low
// bytes, one element's worth, for the integer fields.
uint64_t value_bytes(uint32_t field, Dtype d) {
  if (field == kFloatData) return 4;
  if (field == kDoubleData) return 8;
  return static_cast<uint64_t>(dtype_bits(d) / 8);
}

std::string dims_text(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Where one typed field's values are: packed runs and/or unpacked values, as protobuf allows both.
struct TypedData {
  uint64_t runs = 0;           // packed (length-delimited) runs
  uint64_t unpacked = 0;       // values written one field each
  uint64_t packed_bytes = 0;   // payload bytes of all runs
  uint64_t first_offset = 0;   // the first run's payload
};

// A TensorProto as found: its fields, and where its data is; no element is read.
struct TensorRecord {
  uint64_t at = 0;                   // the tag of the field holding the TensorProto
  uint64_t offset = 0, length = 0;   // its payload
  std::string name;
  std::vector<uint64_t> dims;
  std::optional<uint64_t> data_type;
  bool segment = false;
  bool has_raw = false;
  uint64_t raw_offset = 0, raw_length = 0;
  std::map<uint32_t, TypedData> typed;  // by field number
  std::vector<std::pair<std::string, std::string>> external;
  uint64_t data_location = kLocationDefault;
};

// A tensor use that makes a layer weight: Conv input 1 (W), Gemm / MatMul input 1 (B).
struct WeightUse {
  bool stored_in_out = false;  // [in, out] as stored: MatMul B, Gemm B with transB = 0
};

class Parser {
 public:
  explicit Parser(ByteSource& src) : src_(src), r_(src) {}

  void model();

  std::vector<TensorInfo> tensors;
  std::vector<std::pair<std::string, std::string>> external_files;  // location, first tensor using it
  std::map<std::string, std::string> metadata;

 private:
  struct Pending {
    std::string name;
    TensorRecord rec;
  };

  InputError error(uint64_t at, const std::string& what) const { return r_.error(at, what); }

  // A known field must come with its schema's wire type (or, for repeated scalars, packed).
  void expect(const WireField& f, WireType want, const std::string& what) const {
    if (f.type != want)
      throw error(f.at, what + " (field " + std::to_string(f.number) + ") has wire type " + std::to_string(int(f.type)) +
                            " (" + wire_type_name(f.type) + "), expected " + std::to_string(int(want)) + " (" +
                            wire_type_name(want) + ")");
  }

  uint64_t varint(const WireField& f, const std::string& what) const {
    expect(f, WireType::Varint, what);
    return f.value;
  }

  // A name-like string: bounded, valid UTF-8 (it may go into the report's JSON and messages).
  std::string name(const WireField& f, const std::string& what) {
    expect(f, WireType::Len, what);
    if (f.length > kMaxNameBytes)
      throw error(f.at, what + " is " + std::to_string(f.length) + " bytes long, over the " +
                            std::to_string(kMaxNameBytes) + "-byte limit for names");
    std::string s = r_.bytes(f);
    if (auto bad = first_invalid_utf8(s)) throw error(f.offset + *bad, what + " is not valid UTF-8");
    return s;
  }

  // A metadata string: shown when short and valid UTF-8, else summarized.
  std::string shown(const WireField& f, const std::string& what) {
    expect(f, WireType::Len, what);
    if (f.length > kMaxShownString) {
      r_.skip(f);
      return "(string of " + std::to_string(f.length) + " bytes)";
    }
    std::string s = r_.bytes(f);
    if (first_invalid_utf8(s)) return "(string of " + std::to_string(f.length) + " bytes, not valid UTF-8)";
    return s;
  }

  void add_dim(TensorRecord& rec, uint64_t at, uint64_t d, const std::string& msg) const {
    if (rec.dims.size() >= kMaxDims) throw error(at, msg + " has more than " + std::to_string(kMaxDims) + " dims");
    if (static_cast<int64_t>(d) < 0)
      throw error(at, msg + " dims[" + std::to_string(rec.dims.size()) + "] = " +
                          std::to_string(static_cast<int64_t>(d)) + " is negative");
    rec.dims.push_back(d);
  }

  void check_start();
  void graph(const WireField& g);
  void node(const WireField& n, size_t index);
  TensorRecord tensor(const WireField& t, const std::string& where);
  void typed_values(const WireField& f, TensorRecord& rec, const std::string& where);
  std::pair<std::string, std::string> entry(const WireField& e, const std::string& where, bool shown_value);
  void opset(const WireField& o);
  TensorInfo tensor_info(const Pending& p, const WeightUse* use);
  void place_data(const TensorRecord& rec, TensorInfo& t, uint64_t elements, Dtype dtype);
  void place_external(const TensorRecord& rec, TensorInfo& t);

  ByteSource& src_;
  WireReader r_;
  std::vector<Pending> pending_;             // initializers and Constant tensors, in file order
  std::unordered_map<std::string, WeightUse> uses_;  // tensor name -> its first weight use
  std::vector<std::string> opsets_;
  size_t initializers_ = 0, constants_ = 0;
};

void Parser::model() {
  check_start();
  WireField f;
  bool has_graph = false;
  std::string producer, producer_version;
  while (r_.next(r_.size(), f, "ModelProto")) {
    switch (f.number) {
      case kIrVersion: metadata["onnx.ir_version"] = std::to_string(varint(f, "ModelProto.ir_version")); break;
      case kProducerName: producer = shown(f, "ModelProto.producer_name"); break;
      case kProducerVersion: producer_version = shown(f, "ModelProto.producer_version"); break;
      case kGraph:
        expect(f, WireType::Len, "ModelProto.graph");
        if (has_graph) throw error(f.at, "ModelProto has a second graph");
        has_graph = true;
        graph(f);
        break;
      case kOpsetImport:
        expect(f, WireType::Len, "ModelProto.opset_import");
        opset(f);
        break;
      case kMetadataProps: {
        expect(f, WireType::Len, "ModelProto.metadata_props");
        auto kv = entry(f, "ModelProto.metadata_props", /*shown_value=*/true);
        metadata[kv.first] = kv.second;
        break;
      }
      default: r_.skip(f);
    }
  }
  if (!has_graph) throw InputError(src_.name() + ": the ONNX model has no graph");
  if (!producer.empty()) metadata["onnx.producer"] = producer + (producer_version.empty() ? "" : " " + producer_version);
  if (!opsets_.empty()) {
    std::string list;
    for (const std::string& o : opsets_) list += (list.empty() ? "" : ", ") + o;
    metadata["onnx.opset_import"] = list;
  }
  metadata["onnx.initializers"] = std::to_string(initializers_);
  metadata["onnx.constant_nodes"] = std::to_string(constants_);

  std::unordered_map<std::string, uint64_t> seen;  // name -> where it was defined
  for (const Pending& p : pending_) {
    const auto [it, fresh] = seen.emplace(p.name, p.rec.at);
    if (!fresh)
      throw error(p.rec.at, "tensor '" + p.name + "' is defined twice (first at byte " + std::to_string(it->second) + ")");
    const auto use = uses_.find(p.name);
    tensors.push_back(tensor_info(p, use == uses_.end() ? nullptr : &use->second));
  }
}

// ModelProto has no magic number: the first field's tag must be one a ModelProto has, with its
// wire type, or this is not an ONNX file at all (only the tag is looked at, so a truncated model
// still gets its truncation error).
void Parser::check_start() {
  if (src_.size() == 0) throw InputError(src_.name() + ": the file is empty, not an ONNX model");
  static const std::map<uint64_t, WireType> kFields = {
      {kIrVersion, WireType::Varint}, {kProducerName, WireType::Len}, {kProducerVersion, WireType::Len},
      {kModelDomain, WireType::Len},  {kModelVersion, WireType::Varint}, {kModelDoc, WireType::Len},
      {kGraph, WireType::Len},        {kOpsetImport, WireType::Len},  {kMetadataProps, WireType::Len},
      {kTrainingInfo, WireType::Len}, {kFunctions, WireType::Len}};
  const uint64_t end = std::min<uint64_t>(src_.size(), 5);  // a tag of field number < 2^29 fits in 5 bytes
  WireReader probe(src_, 0, end);
  std::string first;
  try {
    const uint64_t tag = probe.varint(end, "ModelProto");
    const auto it = kFields.find(tag >> 3);
    if (it != kFields.end() && static_cast<uint64_t>(it->second) == (tag & 7)) return;
    first = "its first field is number " + std::to_string(tag >> 3) + " with wire type " + std::to_string(tag & 7) +
            ", which a ModelProto does not have";
  } catch (const InputError&) {
    first = "its first bytes are not a protobuf field tag";
  }
  throw error(0, "does not start like an ONNX model: " + first + " (is it an ONNX file?)");
}

void Parser::opset(const WireField& o) {
  std::string domain;
  uint64_t version = 0;
  WireField f;
  while (r_.next(o.end(), f, "OperatorSetIdProto")) {
    if (f.number == kOpsetDomain) domain = name(f, "OperatorSetIdProto.domain");
    else if (f.number == kOpsetVersion) version = varint(f, "OperatorSetIdProto.version");
    else r_.skip(f);
  }
  opsets_.push_back((domain.empty() ? "ai.onnx" : domain) + " " + std::to_string(version));
}

std::pair<std::string, std::string> Parser::entry(const WireField& e, const std::string& where, bool shown_value) {
  std::pair<std::string, std::string> kv;
  WireField f;
  while (r_.next(e.end(), f, where)) {
    if (f.number == kEntryKey) kv.first = name(f, where + ".key");
    else if (f.number == kEntryValue) kv.second = shown_value ? shown(f, where + ".value") : name(f, where + ".value");
    else r_.skip(f);
  }
  return kv;
}

void Parser::graph(const WireField& g) {
  WireField f;
  size_t nodes = 0;
  while (r_.next(g.end(), f, "GraphProto")) {
    switch (f.number) {
      case kNode:
        expect(f, WireType::Len, "GraphProto.node");
        if (nodes == kMaxNodes) throw error(f.at, "the graph has more than " + std::to_string(kMaxNodes) + " nodes");
        node(f, nodes++);
        break;
      case kInitializer: {
        expect(f, WireType::Len, "GraphProto.initializer");
        const std::string where = "initializer #" + std::to_string(initializers_);
        TensorRecord rec = tensor(f, where);
        if (rec.name.empty()) throw error(f.at, where + " has no name");
        if (pending_.size() == kMaxTensors) throw error(f.at, "the graph has more than " + std::to_string(kMaxTensors) + " tensors");
        ++initializers_;
        pending_.push_back({rec.name, std::move(rec)});
        break;
      }
      default: r_.skip(f);
    }
  }
}

void Parser::node(const WireField& n, size_t index) {
  const std::string where = "node #" + std::to_string(index);
  std::vector<std::string> inputs, outputs;
  std::string op_type, domain;
  std::optional<TensorRecord> value;  // a TENSOR attribute named "value"
  uint64_t trans_b = 0;
  WireField f;
  while (r_.next(n.end(), f, "NodeProto")) {
    switch (f.number) {
      case kNodeInput: inputs.push_back(name(f, where + " input")); break;
      case kNodeOutput: outputs.push_back(name(f, where + " output")); break;
      case kOpType: op_type = name(f, where + " op_type"); break;
      case kNodeDomain: domain = name(f, where + " domain"); break;
      case kAttribute: {
        expect(f, WireType::Len, where + " attribute");
        std::string attr;
        std::optional<uint64_t> type, i;
        std::optional<TensorRecord> t;
        WireField a;
        while (r_.next(f.end(), a, "AttributeProto")) {
          switch (a.number) {
            case kAttrName: attr = name(a, where + " attribute name"); break;
            case kAttrType: type = varint(a, where + " attribute type"); break;
            case kAttrInt: i = varint(a, where + " attribute i"); break;
            case kAttrTensor:
              expect(a, WireType::Len, where + " attribute t");
              t = tensor(a, where + " attribute t");
              break;
            default: r_.skip(a);
          }
        }
        // IR version 1 files have no attribute type; the field in use then says it.
        if (attr == "value" && t && (!type || *type == kAttrTypeTensor)) value = std::move(t);
        if (attr == "transB" && i) trans_b = *i;
        break;
      }
      default: r_.skip(f);
    }
  }
  if (!domain.empty() && domain != "ai.onnx") return;  // another operator set's ops are not ONNX's
  if (op_type == "Constant" && value) {
    if (outputs.empty()) throw error(n.at, where + " (Constant) has no output to name its tensor");
    if (pending_.size() == kMaxTensors) throw error(n.at, "the graph has more than " + std::to_string(kMaxTensors) + " tensors");
    ++constants_;
    pending_.push_back({outputs[0], std::move(*value)});
  } else if ((op_type == "Conv" || op_type == "Gemm" || op_type == "MatMul") && inputs.size() >= 2) {
    // Only the first use counts: a tensor is one layer, laid out as its first consumer reads it.
    uses_.emplace(inputs[1], WeightUse{op_type == "MatMul" || (op_type == "Gemm" && trans_b == 0)});
  }
}

TensorRecord Parser::tensor(const WireField& t, const std::string& where) {
  TensorRecord rec;
  rec.at = t.at;
  rec.offset = t.offset;
  rec.length = t.length;
  const std::string msg = where + " (TensorProto)";
  WireField f;
  while (r_.next(t.end(), f, msg)) {
    switch (f.number) {
      case kDims:
        if (f.type == WireType::Len) {  // packed: varints up to the payload's end
          while (r_.pos() < f.end()) {
            const uint64_t at = r_.pos();
            add_dim(rec, at, r_.varint(f.end(), msg + " dims"), msg);
          }
        } else {
          add_dim(rec, f.at, varint(f, msg + " dims"), msg);
        }
        break;
      case kDataType: rec.data_type = varint(f, msg + " data_type"); break;
      case kSegment:
        expect(f, WireType::Len, msg + " segment");
        rec.segment = true;
        r_.skip(f);
        break;
      case kFloatData: case kInt32Data: case kInt64Data: case kDoubleData: case kUint64Data:
        typed_values(f, rec, msg);
        break;
      case kTensorName: rec.name = name(f, msg + " name"); break;
      case kRawData:
        expect(f, WireType::Len, msg + " raw_data");
        if (rec.has_raw) throw error(f.at, msg + " has a second raw_data");
        rec.has_raw = true;
        rec.raw_offset = f.offset;
        rec.raw_length = f.length;
        r_.skip(f);
        break;
      case kExternalData:
        expect(f, WireType::Len, msg + " external_data");
        rec.external.push_back(entry(f, msg + " external_data", /*shown_value=*/false));
        break;
      case kDataLocation: rec.data_location = varint(f, msg + " data_location"); break;
      case kStringData:
        expect(f, WireType::Len, msg + " string_data");
        r_.skip(f);
        break;
      default: r_.skip(f);
    }
  }
  return rec;
}

// A typed data field: a packed run (its payload only measured, not read), or one unpacked value.
void Parser::typed_values(const WireField& f, TensorRecord& rec, const std::string& msg) {
  const std::string what = msg + " " + typed_field_name(f.number);
  TypedData& d = rec.typed[f.number];
  if (f.type == WireType::Len) {
    const uint64_t width = f.number == kFloatData ? 4 : f.number == kDoubleData ? 8 : 0;
    if (width && f.length % width)
      throw error(f.at, what + ": a packed run of " + std::to_string(f.length) + " bytes is not a whole number of " +
                            std::to_string(width) + "-byte values");
    if (d.runs++ == 0) d.first_offset = f.offset;
    d.packed_bytes += f.length;
    r_.skip(f);
    return;
  }
  const WireType want = f.number == kFloatData ? WireType::Fixed32 : f.number == kDoubleData ? WireType::Fixed64 : WireType::Varint;
  expect(f, want, what);
  ++d.unpacked;
}

TensorInfo Parser::tensor_info(const Pending& p, const WeightUse* use) {
  const TensorRecord& rec = p.rec;
  TensorInfo t;
  t.name = p.name;
  t.shape = rec.dims;
  t.is_weight = use != nullptr;
  const std::string where = "tensor '" + t.name + "'";

  uint64_t elements = 1;
  for (uint64_t d : rec.dims)
    if (__builtin_mul_overflow(elements, d, &elements))
      throw error(rec.at, where + ": dims " + dims_text(rec.dims) + " hold more than 2^64 elements");

  const OnnxType type = onnx_type(rec.data_type.value_or(0));
  if (!type.dtype || rec.segment) {
    t.storage = type.name ? type.name : "data_type " + std::to_string(*rec.data_type);
    if (rec.segment) t.unsupported = "stored in segments (TensorProto.segment), which this reader does not join";
    else if (!rec.data_type) t.unsupported = "the TensorProto has no data_type";
    else t.unsupported = std::string("ONNX data_type ") + std::to_string(*rec.data_type) + " (" +
                         (type.name ? type.name : "unknown") + ") is not read";
    return t;
  }
  t.dtype = *type.dtype;
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  if (__builtin_mul_overflow(elements, bits / 8, &t.nbytes))
    throw error(rec.at, where + ": dims " + dims_text(rec.dims) + " of " + type.name + " hold more than 2^64 bytes");
  place_data(rec, t, elements, t.dtype);

  if (use && use->stored_in_out && t.shape.size() == 2) {
    std::swap(t.shape[0], t.shape[1]);
    t.onnx_encoding |= kOnnxTransposed;
  }
  return t;
}

// Sets offset, source_index and, for typed fields, the encoding; checks the stored size.
void Parser::place_data(const TensorRecord& rec, TensorInfo& t, uint64_t elements, Dtype dtype) {
  const std::string where = "tensor '" + t.name + "'";
  const std::string need = " bytes, dims " + dims_text(t.shape) + " of " + dtype_name(dtype) + " need " + std::to_string(t.nbytes);
  if (rec.data_location != kLocationDefault && rec.data_location != kLocationExternal)
    throw error(rec.at, where + ": data_location " + std::to_string(rec.data_location) +
                            " is neither DEFAULT (0) nor EXTERNAL (1)");
  if (rec.data_location == kLocationExternal) {
    if (rec.has_raw || !rec.typed.empty())
      throw error(rec.at, where + ": data_location is EXTERNAL, but the tensor also holds data in the file");
    place_external(rec, t);
    return;
  }
  if (rec.has_raw) {
    if (!rec.typed.empty())
      throw error(rec.at, where + ": holds both raw_data and " + typed_field_name(rec.typed.begin()->first));
    if (rec.raw_length != t.nbytes) throw error(rec.raw_offset, where + ": raw_data holds " + std::to_string(rec.raw_length) + need);
    t.offset = rec.raw_offset;
    return;
  }
  if (rec.typed.empty()) {
    if (elements == 0) return;
    throw error(rec.at, where + ": has no data (no raw_data, " + typed_field_name(typed_field(dtype)) +
                            " or external data) for its " + std::to_string(elements) + " elements");
  }
  const uint32_t field = typed_field(dtype);
  for (const auto& [other, unused] : rec.typed)
    if (other != field)
      throw error(rec.at, where + ": holds " + typed_field_name(other) + ", but " + dtype_name(dtype) +
                              " values belong in " + typed_field_name(field));
  const TypedData& d = rec.typed.begin()->second;
  if (field == kFloatData || field == kDoubleData) {
    const uint64_t width = value_bytes(field, dtype);
    const uint64_t values = d.packed_bytes / width + d.unpacked;
    if (values != t.nbytes / width)
      throw error(rec.at, where + ": " + typed_field_name(field) + " holds " + std::to_string(values) + " values, dims " +
                              dims_text(t.shape) + " of " + dtype_name(dtype) + " need " + std::to_string(t.nbytes / width));
    if (d.runs == 1 && d.unpacked == 0) {  // one packed run: its payload is the little-endian elements
      t.offset = d.first_offset;
      return;
    }
  } else if (t.nbytes / value_bytes(field, dtype) > d.packed_bytes + d.unpacked) {
    // A varint takes a byte at least: the exact count is checked on read, this bound before any
    // buffer for the tensor is allocated.
    throw error(rec.at, where + ": " + typed_field_name(field) + " has room for at most " +
                            std::to_string(d.packed_bytes + d.unpacked) + " values, dims " + dims_text(t.shape) +
                            " need " + std::to_string(t.nbytes / value_bytes(field, dtype)));
  }
  // Decoded on read (their count is checked there too for the varint fields).
  t.offset = rec.offset;
  t.stored_nbytes = rec.length;
  t.onnx_encoding |= kOnnxTypedData;
}

// A decimal number in an external_data value.
std::optional<uint64_t> decimal(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, uint64_t(c - '0'), &v)) return std::nullopt;
  }
  return v;
}

void Parser::place_external(const TensorRecord& rec, TensorInfo& t) {
  const std::string where = "tensor '" + t.name + "': external_data";
  std::optional<std::string> location;
  std::optional<uint64_t> offset, length;
  for (const auto& [key, value] : rec.external) {
    if (key == "location") {
      location = value;
    } else if (key == "offset" || key == "length") {
      const auto v = decimal(value);
      if (!v) throw error(rec.at, where + " " + key + " '" + value + "' is not a decimal byte count");
      (key == "offset" ? offset : length) = v;
    }  // "checksum" (SHA-1 of the whole file) and other keys are not checked
  }
  if (!location || location->empty()) throw error(rec.at, where + " has no location");
  // A location is relative to the model's folder: it may not leave it.
  if ((*location)[0] == '/') throw error(rec.at, where + " location '" + *location + "' is an absolute path");
  for (size_t b = 0; b <= location->size();) {
    const size_t e = std::min(location->find('/', b), location->size());
    if (location->compare(b, e - b, "..") == 0)
      throw error(rec.at, where + " location '" + *location + "' leaves the model's folder");
    b = e + 1;
  }
  if (length && *length != t.nbytes)
    throw error(rec.at, where + " length " + std::to_string(*length) + " bytes, dims " + dims_text(t.shape) + " of " +
                            dtype_name(t.dtype) + " need " + std::to_string(t.nbytes));
  t.offset = offset.value_or(0);
  const auto it = std::find_if(external_files.begin(), external_files.end(), [&](const auto& e) { return e.first == *location; });
  t.source_index = 1 + static_cast<size_t>(it - external_files.begin());
  if (it == external_files.end()) external_files.emplace_back(*location, t.name);
}

// In-place transpose of a rows x cols matrix of `width`-byte elements (row-major) to cols x rows, by
// following the permutation's cycles: a bit per element instead of a second copy of the tensor.
void transpose_in_place(uint8_t* data, uint64_t rows, uint64_t cols, size_t width) {
  const uint64_t n = rows * cols;
  if (rows < 2 || cols < 2) return;  // a vector: same bytes
  std::vector<bool> done(n, false);
  // Element i = (r, c) goes to c * rows + r.
  const auto dest = [&](uint64_t i) { return (i % cols) * rows + i / cols; };
  uint8_t carry[8], swap[8];
  for (uint64_t start = 1; start + 1 < n; ++start) {
    if (done[start]) continue;
    std::memcpy(carry, data + start * width, width);
    uint64_t i = start;
    do {
      const uint64_t j = dest(i);
      std::memcpy(swap, data + j * width, width);
      std::memcpy(data + j * width, carry, width);
      std::memcpy(carry, swap, width);
      done[j] = true;
      i = j;
    } while (i != start);
  }
}

// Walks the TensorProto at [t.offset, +t.stored_nbytes) and writes the values of its typed field.
void decode_typed(ByteSource& src, const TensorInfo& t, uint8_t* out) {
  const uint32_t field = typed_field(t.dtype);
  const uint64_t width = value_bytes(field, t.dtype);
  const uint64_t want = t.nbytes / width;
  const std::string what = std::string("TensorProto ") + typed_field_name(field);
  WireReader r(src, t.offset, t.offset + t.stored_nbytes);
  const uint64_t end = t.offset + t.stored_nbytes;
  const bool fixed = field == kFloatData || field == kDoubleData;
  uint64_t count = 0;
  const auto put = [&](uint64_t at, uint64_t v) {
    if (count == want)
      throw r.error(at, what + " holds more than the " + std::to_string(want) + " values dims " + dims_text(t.shape) +
                            " need");
    std::memcpy(out + count++ * width, &v, static_cast<size_t>(width));  // the value's low bytes (little-endian host)
  };
  WireField f;
  while (r.next(end, f, "TensorProto")) {
    if (f.number != field) {
      r.skip(f);
    } else if (f.type == WireType::Len) {
      while (r.pos() < f.end()) {
        const uint64_t at = r.pos();
        put(at, fixed ? r.fixed(f.end(), static_cast<int>(width), what) : r.varint(f.end(), what));
      }
    } else {
      put(f.at, f.value);
    }
  }
  if (count != want)
    throw r.error(t.offset, what + " holds " + std::to_string(count) + " values, dims " + dims_text(t.shape) + " need " +
                                std::to_string(want));
}

}  // namespace

OnnxModel open_onnx(std::unique_ptr<ByteSource> model, const FindExternalFile& find) {
  Parser p(*model);
  p.model();
  OnnxModel m;
  m.metadata = std::move(p.metadata);
  m.sources.push_back(std::move(model));
  for (const auto& [location, first_tensor] : p.external_files) {
    std::unique_ptr<ByteSource> s = find(location);
    if (!s)
      throw InputError(m.sources[0]->name() + ": tensor '" + first_tensor + "' has its data in the external file '" +
                       location + "', which is missing: give it together with the .onnx file");
    m.sources.push_back(std::move(s));
  }
  for (const TensorInfo& t : p.tensors) {
    if (t.source_index == 0) continue;
    const ByteSource& s = *m.sources[t.source_index];
    if (t.offset > s.size() || t.nbytes > s.size() - t.offset)
      throw InputError(m.sources[0]->name() + ": tensor '" + t.name + "': external data bytes [" + std::to_string(t.offset) +
                       ", +" + std::to_string(t.nbytes) + ") lie past the end of " + s.name() + " (" +
                       std::to_string(s.size()) + " bytes)");
  }
  m.tensors = std::move(p.tensors);
  return m;
}

void read_onnx_tensor(ByteSource& src, const TensorInfo& t, uint8_t* out) {
  if (t.onnx_encoding & kOnnxTypedData) decode_typed(src, t, out);
  else src.read(t.offset, out, static_cast<size_t>(t.nbytes));
  if (t.onnx_encoding & kOnnxTransposed)
    transpose_in_place(out, t.shape[1], t.shape[0], static_cast<size_t>(dtype_bits(t.dtype) / 8));
}

}  // namespace ws
