// The ONNX reader: the shared PaddleOCR classifier (weights in Constant nodes) tensor by tensor
// against the reference's layout file (sha256 of each mapped tensor) and analyzed against
// weightwatcher's results on its safetensors conversion; then models written byte by byte
// (tests/core/support/onnx_builder.h): initializers in raw_data and in the typed fields, external
// data files, the layer rule by consuming op, and malformed files with their messages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "formats/onnx.h"
#include "support/formats_test_util.h"
#include "support/metrics_reference.h"
#include "support/onnx_builder.h"
#include "support/sha256.h"
#include "support/test_model_builder.h"

using wstest::analyze;
using wstest::input_error;
using wstest::le_bytes;
using wstest::Proto;
namespace onnx = wstest::onnx;

namespace {

const char* const kCls = "onnx/ch_ppocr_mobile_v2.0_cls_infer.onnx";

std::unique_ptr<ws::ByteSource> source(const std::vector<uint8_t>& bytes, const std::string& name) {
  return ws::memory_source(bytes, name);
}

// An .onnx file plus other files dropped with it, through the page's entry point.
ws::ModelInput open(const std::vector<uint8_t>& model, std::vector<std::pair<std::string, std::vector<uint8_t>>> others = {}) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(source(model, "m.onnx"));
  for (auto& [name, bytes] : others) sources.push_back(source(bytes, name));
  return ws::open_model(std::move(sources));
}

std::string error(const std::vector<uint8_t>& model) {
  return input_error([&] { open(model); });
}

const ws::TensorInfo& tensor(const ws::ModelInput& m, const std::string& name) {
  const auto it = std::find_if(m.tensors.begin(), m.tensors.end(), [&](const auto& t) { return t.name == name; });
  REQUIRE(it != m.tensors.end());
  return *it;
}

template <typename T>
std::vector<T> values(ws::ModelInput& m, const std::string& name) {
  const std::vector<uint8_t> bytes = ws::read_tensor(m, tensor(m, name));
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

std::vector<float> ramp(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + 0.125f * static_cast<float>(i);
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Where `needle` starts in `bytes` (it must be there once at least).
uint64_t offset_of(const std::vector<uint8_t>& bytes, const std::vector<uint8_t>& needle) {
  const auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  REQUIRE(it != bytes.end());
  return static_cast<uint64_t>(it - bytes.begin());
}

// The byte where the field holding message `m` starts: its tag (1 byte here) and length varint.
uint64_t field_at(const std::vector<uint8_t>& file, const Proto& m) {
  std::vector<uint8_t> length;
  wstest::put_varint(length, m.b.size());
  return offset_of(file, m.b) - 1 - length.size();
}

std::string strip_weight(const std::string& n) {
  return n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0 ? n.substr(0, n.size() - 7) : n;
}

}  // namespace

TEST_CASE("onnx: the classifier's Constant tensors are the reference's, bit for bit", "[onnx]") {
  ws::ModelInput m = ws::open_model_paths({wstest::fixture(kCls)});
  CHECK(m.format == "onnx");
  CHECK(m.sources.size() == 1);
  CHECK(m.metadata.at("onnx.ir_version") == "8");
  CHECK(m.metadata.at("onnx.opset_import") == "ai.onnx 9");
  CHECK(m.metadata.at("onnx.initializers") == "0");
  CHECK(m.metadata.at("onnx.constant_nodes") == "250");
  CHECK(m.tensors.size() == 250);

  const nlohmann::json layout = wsmetrics::load_json(ws_test::test_data("reference/ppocr_mobile_v2_cls_onnx_layout.json"));
  REQUIRE(layout["tensors"].size() == 213);
  size_t weights = 0;
  for (const auto& t : m.tensors) weights += t.is_weight.value_or(false);
  CHECK(weights == 54);  // 53 Conv W inputs and the MatMul B input
  for (const auto& ref : layout["tensors"]) {
    const std::string name = ref["onnx_name"];
    INFO("tensor " << name);
    const ws::TensorInfo& t = tensor(m, name);
    std::vector<uint64_t> dims = ref["dims"];
    if (ref["transposed"]) std::reverse(dims.begin(), dims.end());  // handed out as [out, in]
    CHECK(t.shape == dims);
    CHECK(t.dtype == ws::Dtype::F32);
    const std::string op = ref["consumers"][0]["op"];
    const int slot = ref["consumers"][0]["input"];
    CHECK(*t.is_weight == ((op == "Conv" || op == "MatMul") && slot == 1));
    const std::vector<uint8_t> bytes = ws::read_tensor(m, t);
    CHECK(ws_test::sha256_hex(bytes.data(), bytes.size()) == ref["safetensors_sha256"]);
  }
}

TEST_CASE("onnx: the classifier analyzes as the reference tool did on its weights", "[onnx]") {
  const nlohmann::json ref = wsmetrics::reference("ppocr_mobile_v2_cls");
  const nlohmann::json map = wsmetrics::load_json(ws_test::test_data("reference/ppocr_mobile_v2_cls_onnx_map.json"));
  const nlohmann::json report = analyze(ws::open_model_paths({wstest::fixture(kCls)}));
  CHECK(report["model"]["format"] == "onnx");

  // Our layers keep the graph's names; the reference's are the map's, without ".weight".
  std::map<std::string, nlohmann::json> ours;
  for (const auto& l : report["layers"]) ours[strip_weight(map.at(l["tensor"].get<std::string>()))] = l;
  const auto theirs = wsmetrics::reference_layers(ref, "default");
  REQUIRE(ours.size() == theirs.size());
  for (const auto& [name, r] : theirs) {
    INFO("layer " << name);
    REQUIRE(ours.count(name));
    const auto& l = ours.at(name);
    REQUIRE(l["status"] == "success");
    CHECK(l["type"] == "conv2d");
    CHECK(l["N"] == r["N"]);
    CHECK(l["M"] == r["M"]);
    CHECK(l["num_evals"] == r["num_evals"]);
    CHECK(std::abs(l["alpha"].get<double>() - r["alpha"].get<double>()) <= 1e-3);
    CHECK(std::abs(l["D"].get<double>() - r["D"].get<double>()) <= 1e-4);
    CHECK(l["lambda_max"].get<double>() == Approx(r["lambda_max"].get<double>()).epsilon(1e-6));
    CHECK(l["num_pl_spikes"] == r["num_pl_spikes"]);
  }
  CHECK(report["summary"]["alpha"].get<double>() == Approx(ref["results"]["default"]["summary"]["alpha"].get<double>()).epsilon(1e-9));

  // Skipped: the reference's 2-D / 4-D skips (its 1-D BatchNormalization scales are not layer
  // weights here: no Conv, Gemm or MatMul consumes them, so they are ignored, not skipped).
  std::set<std::string> our_skips, their_skips;
  for (const auto& s : report["skipped"]) our_skips.insert(strip_weight(map.at(s["tensor"].get<std::string>())));
  for (const auto& s : ref["skipped_layers"])
    if (s["shape"].size() == 2 || s["shape"].size() == 4) their_skips.insert(s["name"].get<std::string>());
  CHECK(our_skips == their_skips);
  CHECK(our_skips.count("fc_0"));  // the MatMul weight, [2, 200]: 2 eigenvalues
}

TEST_CASE("onnx: initializers in raw_data and in every typed field decode exactly", "[onnx]") {
  const std::vector<float> w = ramp(12, -0.75f);  // a [3, 4] matrix, [out, in]
  std::vector<float> w_in_out(12);                // the same matrix stored [in, out] = [4, 3]
  for (int o = 0; o < 3; ++o)
    for (int i = 0; i < 4; ++i) w_in_out[i * 3 + o] = w[o * 4 + i];

  // Gemm transB = 1: B stored [out, in] in raw_data.
  Proto gemm_b = onnx::tensor("gemm.B", onnx::FLOAT, {3, 4});
  onnx::raw_data(gemm_b, le_bytes(w));
  // MatMul B: [in, out] in one packed float_data run.
  Proto matmul_b = onnx::tensor("mm.B", onnx::FLOAT, {4, 3});
  matmul_b.bytes(4, le_bytes(w_in_out));
  // Gemm transB = 0: [in, out] as unpacked float_data values split over two packed runs and single values.
  Proto gemm0_b = onnx::tensor("gemm0.B", onnx::FLOAT, {4, 3});
  gemm0_b.bytes(4, le_bytes(std::vector<float>(w_in_out.begin(), w_in_out.begin() + 5)));
  for (size_t i = 5; i < 9; ++i) gemm0_b.fixed32(4, bits(w_in_out[i]));
  gemm0_b.bytes(4, le_bytes(std::vector<float>(w_in_out.begin() + 9, w_in_out.end())));
  // Conv W [2, 1, 2, 3] as double_data, FLOAT16 and BFLOAT16 as int32_data (one varint per element).
  const std::vector<double> d = {0.1, -0.2, 1e-300, 3.5, -7.25, 0.0, 1.0 / 3, 2.0, -4.0, 8.5, 1e10, -0.0};
  Proto conv_w = onnx::tensor("conv.W", onnx::DOUBLE, {2, 1, 2, 3});
  conv_w.bytes(10, le_bytes(d));
  const std::vector<uint64_t> f16 = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555};  // 1, -2, 65504, 2^-24, -0, ~1/3
  Proto half = onnx::tensor("conv.W16", onnx::FLOAT16, {1, 1, 2, 3});
  half.bytes(5, wstest::packed_varints(f16));
  Proto bf16 = onnx::tensor("conv.Wbf", onnx::BFLOAT16, {1, 1, 2, 3});
  for (uint64_t v : {0x3F80u, 0xC000u, 0x7F7Fu, 0x0001u, 0x8000u, 0x3EABu}) bf16.varint(5, v);  // unpacked
  // An INT64 shape constant (no layer) and a FLOAT bias that only Add consumes.
  Proto shape = onnx::tensor("", onnx::INT64, {2});
  shape.bytes(7, wstest::packed_varints({static_cast<uint64_t>(-1), 12}));
  Proto bias = onnx::tensor("bias.weight", onnx::FLOAT, {3});
  onnx::raw_data(bias, le_bytes(std::vector<float>{1, 2, 3}));

  const Proto g = onnx::graph(
      {onnx::constant("shape", shape), onnx::constant("conv.W16", half),
       onnx::node("Gemm", {"x", "gemm.B"}, {"y"}, {onnx::attr_int("transB", 1)}),
       onnx::node("MatMul", {"y", "mm.B"}, {"z"}), onnx::node("Gemm", {"z", "gemm0.B"}, {"u"}),
       onnx::node("Conv", {"img", "conv.W"}, {"c"}), onnx::node("Conv", {"img", "conv.W16"}, {"c16"}),
       onnx::node("Conv", {"img", "conv.Wbf"}, {"cbf"}), onnx::node("Add", {"u", "bias.weight"}, {"out"})},
      {gemm_b, matmul_b, gemm0_b, conv_w, bf16, bias});
  ws::ModelInput m = open(onnx::model(g));
  CHECK(m.format == "onnx");
  CHECK(m.metadata.at("onnx.producer") == "test 1");
  CHECK(m.metadata.at("onnx.opset_import") == "ai.onnx 13");
  CHECK(m.metadata.at("onnx.initializers") == "6");
  CHECK(m.metadata.at("onnx.constant_nodes") == "2");
  // File order: the nodes' Constants, then the initializers.
  std::vector<std::string> names;
  for (const auto& t : m.tensors) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"shape", "conv.W16", "gemm.B", "mm.B", "gemm0.B", "conv.W", "conv.Wbf", "bias.weight"});

  for (const char* name : {"gemm.B", "mm.B", "gemm0.B"}) {
    INFO(name);
    CHECK(tensor(m, name).shape == std::vector<uint64_t>{3, 4});  // [out, in] whatever the storage
    CHECK(*tensor(m, name).is_weight);
    CHECK(values<float>(m, name) == w);
  }
  CHECK(tensor(m, "gemm.B").onnx_encoding == 0);                    // raw_data [out, in]: read as it is
  CHECK(tensor(m, "mm.B").onnx_encoding == ws::kOnnxTransposed);    // one packed run: its bytes, transposed
  CHECK(tensor(m, "gemm0.B").onnx_encoding == (ws::kOnnxTypedData | ws::kOnnxTransposed));
  CHECK(values<double>(m, "conv.W") == d);
  CHECK(tensor(m, "conv.W").shape == std::vector<uint64_t>{2, 1, 2, 3});
  CHECK(tensor(m, "conv.W16").dtype == ws::Dtype::F16);
  CHECK(values<uint16_t>(m, "conv.W16") == std::vector<uint16_t>{0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555});
  CHECK(tensor(m, "conv.Wbf").dtype == ws::Dtype::BF16);
  CHECK(values<uint16_t>(m, "conv.Wbf") == std::vector<uint16_t>{0x3F80, 0xC000, 0x7F7F, 0x0001, 0x8000, 0x3EAB});
  CHECK(values<int64_t>(m, "shape") == std::vector<int64_t>{-1, 12});
  CHECK_FALSE(*tensor(m, "shape").is_weight);
  // Named like a state-dict weight, but no Conv / Gemm / MatMul consumes it: not a layer.
  CHECK_FALSE(*tensor(m, "bias.weight").is_weight);
  CHECK(values<float>(m, "bias.weight") == std::vector<float>{1, 2, 3});

  const nlohmann::json report = analyze(std::move(m));
  CHECK(report["summary"]["num_ignored"] == 2);
  std::set<std::string> planned;
  for (const auto& s : report["skipped"]) planned.insert(s["name"].get<std::string>());
  CHECK(planned == std::set<std::string>{"gemm.B", "mm.B", "gemm0.B", "conv.W", "conv.W16", "conv.Wbf"});  // all < 10 eigenvalues
}

TEST_CASE("onnx: a 12x40 MatMul weight stored [in, out] analyzes as its [out, in] original", "[onnx]") {
  std::vector<float> w(12 * 40);  // [out = 12, in = 40]
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.7f * static_cast<float>(i)) + 0.01f * static_cast<float>(i % 7);
  std::vector<float> stored(w.size());
  for (int o = 0; o < 12; ++o)
    for (int i = 0; i < 40; ++i) stored[i * 12 + o] = w[o * 40 + i];
  Proto b = onnx::tensor("fc.w", onnx::FLOAT, {40, 12});
  onnx::raw_data(b, le_bytes(stored));
  ws::ModelInput m = open(onnx::model(onnx::graph({onnx::node("MatMul", {"x", "fc.w"}, {"y"})}, {b})));
  CHECK(values<float>(m, "fc.w") == w);
  const nlohmann::json ours = analyze(std::move(m));

  std::vector<std::unique_ptr<ws::ByteSource>> st;
  st.push_back(source(wstest::safetensors_bytes({{"fc.weight", {12, 40}, w}}), "fc.safetensors"));
  const nlohmann::json original = analyze(ws::open_model(std::move(st)));
  REQUIRE(ours["layers"].size() == 1);
  REQUIRE(original["layers"].size() == 1);
  const auto &l = ours["layers"][0], &o = original["layers"][0];
  CHECK(l["name"] == "fc.w");
  CHECK(o["name"] == "fc");
  for (const char* key : {"shape", "type", "N", "M", "num_evals", "alpha", "D", "lambda_max", "num_pl_spikes", "stable_rank"}) {
    INFO(key);
    CHECK(l[key] == o[key]);
  }
}

TEST_CASE("onnx: external data files are found by name, natively beside the model", "[onnx]") {
  const std::vector<float> a = ramp(6, 1.0f), b = ramp(20, -2.0f);
  std::vector<uint8_t> data(48, 0xEE);  // a at byte 16 of it
  std::memcpy(data.data() + 16, a.data(), 24);
  const std::vector<uint8_t> other = le_bytes(b);
  Proto ta = onnx::tensor("a", onnx::FLOAT, {2, 3});
  onnx::external(ta, "model.onnx.data", 16, 24);
  Proto tb = onnx::tensor("b", onnx::FLOAT, {4, 5});
  onnx::external(tb, "weights/b.bin", 0, 80);
  const std::vector<uint8_t> model = onnx::model(onnx::graph({onnx::node("Conv", {"x", "b"}, {"y"})}, {ta, tb}));

  SECTION("dropped together (the page): unused files are left out") {
    ws::ModelInput m = open(model, {{"b.bin", other}, {"README.md", {'h', 'i'}}, {"model.onnx.data", data}});
    REQUIRE(m.sources.size() == 3);
    CHECK(m.sources[0]->name() == "m.onnx");
    CHECK(m.sources[1]->name() == "model.onnx.data");  // in first-use order
    CHECK(m.sources[2]->name() == "b.bin");
    CHECK(m.total_bytes == model.size() + data.size() + other.size());
    CHECK(tensor(m, "a").source_index == 1);
    CHECK(tensor(m, "a").offset == 16);
    CHECK(values<float>(m, "a") == a);
    CHECK(values<float>(m, "b") == b);
  }
  SECTION("natively: given the .onnx (or its folder), the files come from its folder") {
    wstest::TempDir dir("onnx_external");
    std::filesystem::create_directories(dir.path / "weights");
    wstest::write_file(dir / "m.onnx", model);
    wstest::write_file(dir / "model.onnx.data", data);
    wstest::write_file(dir / "weights/b.bin", other);
    wstest::write_file(dir / "unrelated.bin", std::vector<uint8_t>{1, 2, 3});  // not a PyTorch file here
    for (const std::string& path : {dir / "m.onnx", dir.path.string()}) {
      INFO(path);
      ws::ModelInput m = ws::open_model_paths({path});
      CHECK(m.format == "onnx");
      REQUIRE(m.sources.size() == 3);
      CHECK(values<float>(m, "a") == a);
      CHECK(values<float>(m, "b") == b);
    }
  }
  SECTION("missing, short or outside the model's folder") {
    CHECK(input_error([&] { open(model, {{"b.bin", other}}); }) ==
          "m.onnx: tensor 'a' has its data in the external file 'model.onnx.data', which is missing: give it "
          "together with the .onnx file");
    CHECK(input_error([&] { open(model, {{"b.bin", other}, {"model.onnx.data", std::vector<uint8_t>(data.begin(), data.begin() + 39)}}); }) ==
          "m.onnx: tensor 'a': external data bytes [16, +24) lie past the end of model.onnx.data (39 bytes)");
    Proto up = onnx::tensor("a", onnx::FLOAT, {2, 3});
    onnx::external(up, "../secret.bin", 0, 24);
    const std::vector<uint8_t> bad = onnx::model(onnx::graph({}, {up}));
    CHECK(error(bad) == "m.onnx: byte " + std::to_string(field_at(bad, up)) +
                            ": tensor 'a': external_data location '../secret.bin' leaves the model's folder");
    Proto wrong = onnx::tensor("a", onnx::FLOAT, {2, 3});
    onnx::external(wrong, "model.onnx.data", 16, 20);
    const std::vector<uint8_t> bad_length = onnx::model(onnx::graph({}, {wrong}));
    CHECK(error(bad_length) == "m.onnx: byte " + std::to_string(field_at(bad_length, wrong)) +
                                   ": tensor 'a': external_data length 20 bytes, dims [2, 3] of F32 need 24");
  }
}

TEST_CASE("onnx: data types that are not read are listed, and a weight of one is skipped with the reason", "[onnx]") {
  Proto w4 = onnx::tensor("w4", onnx::INT4, {4, 4, 3, 3});
  onnx::raw_data(w4, std::vector<uint8_t>(72));
  Proto ws = onnx::tensor("wstr", onnx::STRING, {2, 2});
  Proto w8 = onnx::tensor("w8", onnx::INT8, {16, 16});
  onnx::raw_data(w8, std::vector<uint8_t>(256, 1));
  Proto wx = onnx::tensor("wx", 99, {16, 16});
  const Proto g = onnx::graph({onnx::node("Conv", {"x", "w4"}, {"y"}), onnx::node("Gemm", {"x", "wstr"}, {"z"}),
                               onnx::node("MatMul", {"x", "w8"}, {"u"}), onnx::node("MatMul", {"x", "wx"}, {"v"})},
                              {w4, ws, w8, wx});
  ws::ModelInput m = open(onnx::model(g));
  CHECK(tensor(m, "w4").unsupported == "ONNX data_type 22 (INT4) is not read");
  CHECK(tensor(m, "wx").unsupported == "ONNX data_type 99 (unknown) is not read");
  const nlohmann::json report = analyze(std::move(m));
  std::map<std::string, std::pair<std::string, std::string>> skipped;  // name -> dtype, reason
  for (const auto& s : report["skipped"]) skipped[s["name"]] = {s["dtype"], s["reason"]};
  CHECK(skipped.at("w4") == std::pair<std::string, std::string>{"INT4", "ONNX data_type 22 (INT4) is not read"});
  CHECK(skipped.at("wstr") == std::pair<std::string, std::string>{"STRING", "ONNX data_type 8 (STRING) is not read"});
  CHECK(skipped.at("w8") == std::pair<std::string, std::string>{"I8", "dtype I8 is not a float type"});
  CHECK(skipped.at("wx") == std::pair<std::string, std::string>{"data_type 99", "ONNX data_type 99 (unknown) is not read"});
  CHECK(report["layers"].empty());
}

TEST_CASE("onnx: malformed files are refused with where and what", "[onnx]") {
  using V = std::vector<uint8_t>;
  SECTION("not a ModelProto") {
    CHECK(error({}) == "m.onnx: the file is empty, not an ONNX model");
    CHECK(error(V{'{', '"', 'a', '"', '}'}) ==
          "m.onnx: byte 0: does not start like an ONNX model: its first field is number 15 with wire type 3, which a "
          "ModelProto does not have (is it an ONNX file?)");
    CHECK(error(V{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}) ==
          "m.onnx: byte 0: does not start like an ONNX model: its first bytes are not a protobuf field tag (is it an "
          "ONNX file?)");
    CHECK(error(V{0x08, 0x08}) == "m.onnx: the ONNX model has no graph");
  }
  SECTION("varints") {
    CHECK(error(V{0x08, 0x88}) ==
          "m.onnx: byte 1: ModelProto field 1: truncated varint (its message ends at byte 2, the end of the file)");
    V eleven = {0x08};
    for (int i = 0; i < 10; ++i) eleven.push_back(0xFF);
    eleven.push_back(0x01);
    CHECK(error(eleven) == "m.onnx: byte 1: ModelProto field 1: malformed varint (longer than 64 bits)");
    // Inside a nested message, a varint that runs into the end of its message, not of the file.
    const V dims = {0x08, 0x80};  // TensorProto dims: a varint cut by the message's end
    Proto g;
    g.bytes(5, dims);
    const V m = onnx::model(g);
    CHECK(error(m) == "m.onnx: byte " + std::to_string(offset_of(m, dims) + 1) +
                          ": initializer #0 (TensorProto) field 1: truncated varint (its message ends at byte " +
                          std::to_string(offset_of(m, dims) + 2) + ")");
  }
  SECTION("lengths past their message or the file") {
    Proto w = onnx::tensor("w", onnx::FLOAT, {2, 2});
    onnx::raw_data(w, V(16, 0));
    const V full = onnx::model(onnx::graph({}, {w}));
    const V cut(full.begin(), full.end() - 20);  // inside raw_data
    const uint64_t graph_at = field_at(full, onnx::graph({}, {w}));
    CHECK(error(cut) == "m.onnx: byte " + std::to_string(graph_at) + ": ModelProto field 7: length " +
                            std::to_string(onnx::graph({}, {w}).b.size()) + " runs past the end of the file (" +
                            std::to_string(cut.size()) + " bytes; truncated?)");
    Proto t = onnx::tensor("w", onnx::FLOAT, {2, 2});
    t.tag(9, 2);
    wstest::put_varint(t.b, 100);  // raw_data claims 100 bytes, the TensorProto holds 2 more
    t.b.push_back(0);
    t.b.push_back(0);
    const V inner = onnx::model(onnx::graph({}, {t}));
    CHECK(error(inner) == "m.onnx: byte " + std::to_string(offset_of(inner, t.b) + t.b.size() - 4) +
                              ": initializer #0 (TensorProto) field 9: length 100 runs past the end of its message (byte " +
                              std::to_string(offset_of(inner, t.b) + t.b.size()) + ")");
  }
  SECTION("wire types") {
    CHECK(error(V{0x08, 0x08, 0x38, 0x05}) ==
          "m.onnx: byte 2: ModelProto.graph (field 7) has wire type 0 (varint), expected 2 (length-delimited)");
    Proto t;
    t.str(2, "FLOAT");  // data_type as a string
    const V m = onnx::model(onnx::graph({}, {t}));
    CHECK(error(m) == "m.onnx: byte " + std::to_string(offset_of(m, t.b)) +
                          ": initializer #0 (TensorProto) data_type (field 2) has wire type 2 (length-delimited), "
                          "expected 0 (varint)");
    Proto group;
    group.tag(3, 3);
    const V g = onnx::model(group);
    CHECK(error(g) == "m.onnx: byte " + std::to_string(offset_of(g, group.b)) +
                          ": GraphProto field 3: wire type 3 (group), which ONNX does not use");
  }
  SECTION("dims and data sizes") {
    Proto big = onnx::tensor("w", onnx::FLOAT, {1ull << 32, 1ull << 32});
    const V m1 = onnx::model(onnx::graph({}, {big}));
    CHECK(error(m1) == "m.onnx: byte " + std::to_string(field_at(m1, big)) +
                           ": tensor 'w': dims [4294967296, 4294967296] hold more than 2^64 elements");
    Proto wide = onnx::tensor("w", onnx::FLOAT, {1ull << 62, 2});
    const V m2 = onnx::model(onnx::graph({}, {wide}));
    CHECK(error(m2) == "m.onnx: byte " + std::to_string(field_at(m2, wide)) +
                           ": tensor 'w': dims [4611686018427387904, 2] of FLOAT hold more than 2^64 bytes");
    Proto neg;
    neg.varint(1, static_cast<uint64_t>(-3));
    const V m3 = onnx::model(onnx::graph({}, {neg}));
    CHECK(error(m3) == "m.onnx: byte " + std::to_string(offset_of(m3, neg.b)) +
                           ": initializer #0 (TensorProto) dims[0] = -3 is negative");
    Proto shortraw = onnx::tensor("w", onnx::FLOAT, {2, 3});
    onnx::raw_data(shortraw, V(20, 0));
    const V m4 = onnx::model(onnx::graph({}, {shortraw}));
    CHECK(error(m4) == "m.onnx: byte " + std::to_string(offset_of(m4, V(20, 0))) +
                           ": tensor 'w': raw_data holds 20 bytes, dims [2, 3] of F32 need 24");
    Proto few = onnx::tensor("w", onnx::FLOAT, {2, 3});
    few.bytes(4, le_bytes(std::vector<float>{1, 2, 3}));
    const V m5 = onnx::model(onnx::graph({}, {few}));
    CHECK(error(m5) == "m.onnx: byte " + std::to_string(field_at(m5, few)) +
                           ": tensor 'w': float_data holds 3 values, dims [2, 3] of F32 need 6");
    Proto none = onnx::tensor("w", onnx::FLOAT, {2, 3});
    const V m6 = onnx::model(onnx::graph({}, {none}));
    CHECK(error(m6) == "m.onnx: byte " + std::to_string(field_at(m6, none)) +
                           ": tensor 'w': has no data (no raw_data, float_data or external data) for its 6 elements");
    Proto mixed = onnx::tensor("w", onnx::FLOAT, {2});
    mixed.bytes(5, wstest::packed_varints({1, 2}));
    const V m7 = onnx::model(onnx::graph({}, {mixed}));
    CHECK(error(m7) == "m.onnx: byte " + std::to_string(field_at(m7, mixed)) +
                           ": tensor 'w': holds int32_data, but F32 values belong in float_data");
  }
  SECTION("int32_data counts are bounded by its bytes, and checked when the tensor is read") {
    Proto huge = onnx::tensor("w", onnx::FLOAT16, {1000, 1000});
    huge.bytes(5, wstest::packed_varints({1, 2, 3}));
    const V big = onnx::model(onnx::graph({}, {huge}));
    CHECK(error(big) == "m.onnx: byte " + std::to_string(field_at(big, huge)) +
                            ": tensor 'w': int32_data has room for at most 3 values, dims [1000, 1000] need 1000000");
    Proto h = onnx::tensor("w", onnx::FLOAT16, {2, 2});
    h.bytes(5, wstest::packed_varints({300, 2, 3}));  // 4 bytes (300 takes 2), 3 values
    ws::ModelInput m = open(onnx::model(onnx::graph({}, {h})));
    CHECK(input_error([&] { ws::read_tensor(m, m.tensors[0]); }) ==
          "tensor 'w': m.onnx: byte " + std::to_string(m.tensors[0].offset) +
              ": TensorProto int32_data holds 3 values, dims [2, 2] need 4");
  }
  SECTION("names") {
    Proto unnamed = onnx::tensor("", onnx::FLOAT, {1});
    onnx::raw_data(unnamed, V(4, 0));
    const V m1 = onnx::model(onnx::graph({}, {unnamed}));
    CHECK(error(m1) == "m.onnx: byte " + std::to_string(field_at(m1, unnamed)) + ": initializer #0 has no name");
    Proto a = onnx::tensor("w", onnx::FLOAT, {1});
    onnx::raw_data(a, V(4, 0));
    Proto c = onnx::tensor("", onnx::FLOAT, {1});
    onnx::raw_data(c, V{0, 0, 0x80, 0x3F});
    const V m2 = onnx::model(onnx::graph({onnx::constant("w", c)}, {a}));
    CHECK(error(m2) == "m.onnx: byte " + std::to_string(field_at(m2, a)) + ": tensor 'w' is defined twice (first at byte " +
                           std::to_string(field_at(m2, c)) + ")");
  }
}

TEST_CASE("onnx: model input takes an .onnx by name, alone", "[onnx]") {
  Proto w = onnx::tensor("w", onnx::FLOAT, {1});
  onnx::raw_data(w, std::vector<uint8_t>(4, 0));
  const std::vector<uint8_t> model = onnx::model(onnx::graph({}, {w}));
  std::vector<std::unique_ptr<ws::ByteSource>> two;
  two.push_back(source(model, "a.onnx"));
  two.push_back(source(model, "b.onnx"));
  CHECK(input_error([&] { ws::open_model(std::move(two)); }) ==
        "2 .onnx files given; an ONNX model is one .onnx file (with its external data files)");
  std::vector<std::unique_ptr<ws::ByteSource>> one;
  one.push_back(source(model, "a.onnx"));
  CHECK(input_error([&] { ws::open_model(std::move(one), std::string("{}")); }) ==
        "a shard index (.index.json) goes with safetensors or PyTorch shards, not with an .onnx model");
  // A .bin beside an .onnx is a candidate external data file, not a PyTorch checkpoint.
  CHECK(open(model, {{"weights.bin", {0x80, 0x02}}}).format == "onnx");

  wstest::TempDir dir("onnx_folder");
  wstest::write_file(dir / "a.onnx", model);
  wstest::write_file(dir / "b.onnx", model);
  CHECK(input_error([&] { ws::open_model_paths({dir.path.string()}); }) ==
        "folder " + dir.path.string() + " holds 2 .onnx files; give one");
}
